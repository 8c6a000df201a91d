package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"prefectgen/deploy"
	"prefectgen/diag"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printProblems prints problems like a compiler, with paths relative to
// the working folder: path:line:col: CODE: message, then the remediation.
func printProblems(w io.Writer, root string, ps []diag.ValidationError) {
	for _, p := range ps {
		switch {
		case p.FilePath == "":
			p.FilePath = root
		case !filepath.IsAbs(p.FilePath):
			p.FilePath = filepath.ToSlash(filepath.Join(root, filepath.FromSlash(p.FilePath)))
		}
		fmt.Fprint(w, p.Format())
	}
}

func display(root, rel string) string {
	return filepath.ToSlash(filepath.Join(root, filepath.FromSlash(rel)))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printPlan prints a plan: a count line, then a line per change.
func printPlan(w io.Writer, actions []deploy.Action) {
	counts := deploy.Counts(actions)
	fmt.Fprintf(w, "plan: %d to create, %d to update, %d unchanged, %d to delete\n",
		counts[deploy.Create], counts[deploy.Update], counts[deploy.Same], counts[deploy.Delete]+counts[deploy.Stale])
	for _, a := range actions {
		switch a.Kind {
		case deploy.Create:
			fmt.Fprintf(w, "  + %s\n", a.FullName)
		case deploy.Update:
			note := ""
			switch {
			case a.Adopted:
				note = " (made by prefectgen without a project tag: adopted)"
			case a.Unmanaged:
				note = " (exists, not managed by prefectgen: taken over with --force)"
			case a.Owner != "":
				note = fmt.Sprintf(" (exists, project %s's: taken over with --force)", a.Owner)
			}
			fmt.Fprintf(w, "  ~ %s (%s)%s\n", a.FullName, strings.Join(a.Fields, ", "), note)
			printChanges(w, a.Changes)
		case deploy.Delete:
			fmt.Fprintf(w, "  - %s\n", a.FullName)
		case deploy.Stale:
			fmt.Fprintf(w, "  ! %s is no longer generated (prefectgen clean, or deploy --prune, deletes it)\n", a.FullName)
		case deploy.Unowned:
			fmt.Fprintf(w, "  ? %s was made by prefectgen without a project tag and is not generated: left alone (delete it by hand if it is this repository's)\n", a.FullName)
		}
	}
}

// printChanges prints a plan's changes to one deployment, a line each.
func printChanges(w io.Writer, changes []deploy.FieldChange) {
	for _, c := range changes {
		fmt.Fprintf(w, "      %s: %s -> %s\n", c.Field, compactValue(c.Old), compactValue(c.New))
	}
}

// printResults prints what a run did to each deployment: a count line,
// then one line per deployment with its UI link, and the failures on
// stderr; verb says what a dry run would do (applied, deleted). It returns
// the exit error when any failed.
func printResults(e *env, results []deploy.Result, took time.Duration, dry bool, verb string) error {
	count := func(o deploy.Outcome) int {
		n := 0
		for _, r := range results {
			if r.Outcome == o {
				n++
			}
		}
		return n
	}
	w := e.stdout
	if dry {
		fmt.Fprintf(w, "\ndry run: %d would be %s, %d unchanged, %d failed checks; nothing was changed (%.1fs)\n",
			count(deploy.Planned), verb, count(deploy.Unchanged), count(deploy.Failed), took.Seconds())
	} else {
		fmt.Fprintf(w, "\n%d created, %d updated, %d unchanged, %d deleted, %d failed",
			count(deploy.Created), count(deploy.Updated), count(deploy.Unchanged), count(deploy.Deleted), count(deploy.Failed))
		for _, o := range []deploy.Outcome{deploy.RolledBack, deploy.NotApplied, deploy.Unverified} {
			if n := count(o); n > 0 {
				fmt.Fprintf(w, ", %d %s", n, o)
			}
		}
		fmt.Fprintf(w, " (%.1fs)\n", took.Seconds())
	}
	for _, r := range results {
		switch {
		case r.Outcome == deploy.Failed:
		case r.URL != "" && r.Reason == "":
			fmt.Fprintf(w, "  %-11s %s  %s\n", r.Outcome, r.FullName, r.URL)
		case r.Reason != "" && r.Outcome != deploy.Planned:
			fmt.Fprintf(w, "  %-11s %s: %s", r.Outcome, r.FullName, r.Reason)
			if r.URL != "" {
				fmt.Fprintf(w, "  %s", r.URL)
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "  %-11s %s\n", r.Outcome, r.FullName)
		}
	}
	failed := 0
	for _, r := range results {
		if r.Outcome == deploy.Failed {
			if failed == 0 {
				fmt.Fprintln(e.stderr, "failed:")
			}
			failed++
			fmt.Fprintf(e.stderr, "  %s: %s\n", r.FullName, r.Reason)
		}
	}
	if failed > 0 || count(deploy.Unverified) > 0 {
		return exitError{exitFailure}
	}
	return nil
}

// compactValue writes a value as one line of JSON, cut at 160 bytes.
func compactValue(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSpace(b.String())
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
