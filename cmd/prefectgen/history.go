package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
)

type historyOpts struct {
	serverFlags
	limit int
}

var historyCmd = &command{
	name:    "history",
	args:    "[PATH]",
	short:   "list the releases of an environment: what each deploy and rollback applied",
	maxArgs: 1,
	long: `
History lists the releases of one environment, newest first: every
'prefectgen deploy' and 'prefectgen rollback' that changed, or tried to
change, its server records one, with its number, time, commit, result and
what happened to the deployments. The records live on the server, as the
versions of the artifact prefectgen-<project>-<environment>, so the team
sees them in the Prefect UI under Artifacts as well.

'prefectgen rollback --env NAME --to N' redeploys release N.`,
	examples: `
# the releases of staging
prefectgen history --env staging
# the last three
prefectgen history --env production --limit 3`,
	flags: func(fs *pflag.FlagSet) any {
		o := &historyOpts{}
		o.serverFlags.register(fs, false)
		fs.IntVar(&o.limit, "limit", 20, "how many releases to list")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*historyOpts)
		if o.limit < 1 {
			return usagef("--limit must be at least 1")
		}
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		key := deploy.HistoryKey(s.project.Config.Project, s.env.Name)
		releases, err := s.client.History(ctx, key, o.limit)
		if err != nil {
			return err
		}
		if len(releases) == 0 {
			fmt.Fprintf(e.stdout, "no release of %s recorded yet (artifact %s)\n", s.env.Name, key)
			return nil
		}
		printReleases(e, releases)
		return nil
	},
}

// printReleases prints releases as a table.
func printReleases(e *env, releases []deploy.Release) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RELEASE\tTIME (UTC)\tCOMMAND\tCOMMIT\tRESULT\tDEPLOYMENTS")
	for _, r := range releases {
		commit := short(r.Commit)
		if commit == "" {
			commit = "-"
		}
		command := r.Command
		if r.To != "" {
			command += " to " + r.To
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Time.UTC().Format(time.DateTime), command, commit, r.Result, r.Summary)
	}
	tw.Flush()
}

// short is a commit as git abbreviates it.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
