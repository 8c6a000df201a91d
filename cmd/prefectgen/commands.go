package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"prefectgen/deploy"

	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	// exitChanges: generate --check found drift, plan --detailed-exitcode
	// found changes; the command itself worked.
	exitChanges = 3
	// exitInterrupted is the shell's code for a process ended by SIGINT.
	exitInterrupted = 130
)

// env is what a command may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand.
type command struct {
	name  string
	args  string // the positional arguments, for the usage line
	short string // one line for the command list
	long  string // the help text
	// examples ends the help: command lines, each with a comment above.
	examples string
	flags    func(fs *pflag.FlagSet) any
	run      func(ctx context.Context, e *env, opts any, args []string) error
	maxArgs  int
}

// usageError is bad usage: printed with a pointer to the help, exit 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries an exit code for failures already reported in full.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// commands are prefectgen's commands, in the order help lists them: the
// order a team meets them in.
func commands() []*command {
	return []*command{initCmd, discoverCmd, validateCmd, configCmd, schemaCmd, generateCmd,
		planCmd, deployCmd, smokeCmd, statusCmd, historyCmd, rollbackCmd, cleanCmd, imagesCmd, versionCmd,
		completionCmd}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run runs prefectgen with args and returns the exit code. ctx ends when
// the user interrupts prefectgen.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		if args[0] == "help" && len(args) > 1 {
			c := lookup(args[1])
			if c == nil {
				return report(e, "", usagef("unknown command %q", args[1]))
			}
			commandHelp(stdout, c)
			return exitOK
		}
		usage(stdout)
		return exitOK
	case "-v", "--version":
		args = []string{"version"}
	}
	c := lookup(args[0])
	if c == nil {
		return report(e, "", usagef("unknown command %q", args[0]))
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	var opts any
	if c.flags != nil {
		opts = c.flags(fs)
	}
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args[1:]); err != nil {
		return report(e, c.name, usageError{err.Error()})
	}
	if *help {
		commandHelp(stdout, c)
		return exitOK
	}
	if fs.NArg() > c.maxArgs {
		return report(e, c.name, usagef("too many arguments: %s", strings.Join(fs.Args()[c.maxArgs:], " ")))
	}
	return report(e, c.name, c.run(ctx, e, opts, fs.Args()))
}

// report prints err, the one place errors are printed, and returns the
// exit code.
func report(e *env, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(e.stderr, "prefectgen: interrupted")
		return exitInterrupted
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "prefectgen: %s\n", ue.msg)
		if cmd != "" {
			fmt.Fprintf(e.stderr, "Run 'prefectgen help %s' for usage.\n", cmd)
		} else {
			fmt.Fprintln(e.stderr, "Run 'prefectgen help' for usage.")
		}
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "prefectgen: %s\n", hideCredentials(err.Error()))
	return exitFailure
}

// hideCredentials hides Prefect's credentials (from the environment or
// the active profile) and URL passwords in a message.
func hideCredentials(s string) string {
	settings, _ := deploy.ReadSettings(os.Getenv)
	return settings.Secrets().String(s)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `prefectgen discovers the Prefect flows of a Python repository, validates them,
generates their deployment artifacts and deploys them.

Usage:

	prefectgen <command> [arguments]

Commands:

`)
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Run 'prefectgen help <command>' for more about a command.
Exit codes: 0 success, 1 failure (validation errors, failed work), 2 bad usage,
3 changes found (generate --check, plan --detailed-exitcode), 130 interrupted.
`)
}

func commandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: prefectgen %s", c.name)
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	if c.flags != nil {
		c.flags(fs)
		if fs.HasFlags() {
			fmt.Fprint(w, " [flags]")
		}
	}
	if c.args != "" {
		fmt.Fprintf(w, " %s", c.args)
	}
	fmt.Fprintf(w, "\n\n%s\n", strings.TrimSpace(c.long))
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", flagUsages(fs))
	}
	if ex := strings.TrimSpace(c.examples); ex != "" {
		fmt.Fprintf(w, "\nExamples:\n\n")
		for _, l := range strings.Split(ex, "\n") {
			fmt.Fprintf(w, "  %s\n", strings.TrimSpace(l))
		}
	}
}

// flagUsages lists the flags, one a line: "  -s, --name TYPE   usage".
func flagUsages(fs *pflag.FlagSet) string {
	var rows [][2]string
	fs.VisitAll(func(f *pflag.Flag) {
		left := "    --" + f.Name
		if f.Shorthand != "" {
			left = "-" + f.Shorthand + ", --" + f.Name
		}
		if t := f.Value.Type(); t != "bool" {
			left += " " + strings.ToUpper(strings.TrimSuffix(t, "Slice"))
			if strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array") {
				left += " (repeatable)"
			}
		}
		usage := f.Usage
		if d := f.DefValue; d != "" && d != "false" && d != "[]" && d != "0" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		rows = append(rows, [2]string{left, usage})
	})
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s   %s\n", width, r[0], r[1])
	}
	return b.String()
}
