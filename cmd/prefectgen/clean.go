package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/redact"
)

type cleanOpts struct {
	serverFlags
	dryRun bool
	yes    bool
	json   bool
}

var cleanCmd = &command{
	name:    "clean",
	args:    "[PATH]",
	short:   "delete an environment's deployments that prefectgen made and no longer generates",
	maxArgs: 1,
	long: `
Clean deletes, on one environment's server, the deployments this project made
(tags managed-by:prefectgen, project:<project> and env:<environment>) and no
longer generates: a flow was removed, a type disabled. It never touches a
deployment of another project or without prefectgen's tag, and refuses to run
without a project (the configuration's project:). --flow and --type limit it
further; --dry-run lists what it would delete.

On a terminal it lists the deployments and asks before deleting them, unless
--yes; elsewhere (CI) it does not ask.

With --json it prints one JSON object once done: {"environment", "server",
"dry_run", "results": [{"name", "outcome" (deleted, failed, planned), "reason",
"id", "url", "seconds"}], "counts", "interrupted", "seconds"}.`,
	examples: `
# what would be deleted from staging
prefectgen clean --env staging --dry-run
# delete it, without asking
prefectgen clean --env staging --yes`,
	flags: func(fs *pflag.FlagSet) any {
		o := &cleanOpts{}
		o.serverFlags.register(fs, true)
		fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be deleted, delete nothing")
		fs.BoolVarP(&o.yes, "yes", "y", false, "do not ask before deleting")
		fs.BoolVar(&o.json, "json", false, "print what happened as JSON")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*cleanOpts)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		h := e.human(o.json)
		start := time.Now()
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		actions, err := deploy.Plan(ctx, s.client, s.env.Name, s.project.Config.Project, s.desired, s.scope, s.vars)
		if err != nil {
			return err
		}
		var stale []string
		for _, a := range actions {
			if a.Kind == deploy.Stale {
				stale = append(stale, a.FullName)
			}
		}
		fmt.Fprintf(h.stdout, "%s of %s no longer generated\n", plural(len(stale), "deployment"), s.env.Name)
		if len(stale) > 0 && !o.dryRun && !o.yes && isTerminal(e.stdout) && isTerminal(e.stdin) {
			for _, n := range stale {
				fmt.Fprintf(h.stdout, "  - %s\n", n)
			}
			if !confirm(e, fmt.Sprintf("Delete these %s from %s?", plural(len(stale), "deployment"), redact.URL(s.client.API))) {
				fmt.Fprintln(h.stdout, "nothing was deleted")
				return nil
			}
		}
		results, err := deploy.Clean(ctx, actions, deploy.Options{Client: s.client, DryRun: o.dryRun, Project: s.project.Config.Project,
			Log: func(l string) { fmt.Fprintln(h.stdout, "  "+l) }})
		if err != nil {
			return err
		}
		err = printResults(h, results, time.Since(start), o.dryRun, "deleted")
		if o.json {
			if jerr := writeJSON(e.stdout, jsonRun{Environment: s.env.Name, Server: redact.URL(s.client.API), DryRun: o.dryRun,
				Results: jsonResults(results), Counts: counts(results), Seconds: time.Since(start).Seconds()}); jerr != nil {
				return jerr
			}
		}
		return err
	},
}

// confirm asks a yes/no question on the terminal; no is the default.
func confirm(e *env, question string) bool {
	fmt.Fprintf(e.stdout, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
