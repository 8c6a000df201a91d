package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/redact"
)

var statusCmd = &command{
	name:    "status",
	args:    "[PATH]",
	short:   "check that an environment's deployments are on the server as generated",
	maxArgs: 1,
	long: `
Status checks that every generated deployment of one environment is on its
Prefect server as generated: the work pool, schedules, parameters, tags and
every other field plan compares. It prints each deployment with its state and
its page in the Prefect UI, and exits 1 when any is missing or differs.

With --json it prints one JSON object instead: {"environment", "server",
"deployments": [{"name", "state" (ok, missing, differs), "changes": [{"field",
"old", "new"}], "work_pool", "id", "url"}], "as_generated", "total"}.`,
	examples: `
# is every deployment of staging on the server as generated?
prefectgen status --env staging
# only the python deployments of one flow
prefectgen status --env staging --type python --flow etl`,
	flags: func(fs *pflag.FlagSet) any {
		o := &statusOpts{}
		o.register(fs, true)
		fs.BoolVar(&o.json, "json", false, "print the states as JSON")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*statusOpts)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		st := jsonStatus{Environment: s.env.Name, Server: redact.URL(s.client.API), Deployments: []jsonDeploy{}, Total: len(s.desired)}
		for _, d := range s.desired {
			j := jsonDeploy{Name: d.FullName, State: "ok", WorkPool: d.WorkPool}
			live, err := s.client.DeploymentByName(ctx, d.FlowName, d.DeploymentName)
			switch {
			case deploy.IsNotFound(err):
				j.State = "missing"
			case err != nil:
				return err
			default:
				j.WorkPool, j.ID, j.URL = live.WorkPoolName, live.ID, deploy.UIURL(s.ui, live.ID)
				if j.Changes = deploy.Changes(d, live, s.vars); len(j.Changes) > 0 {
					j.State = "differs"
				}
			}
			if j.State == "ok" {
				st.AsGenerated++
			}
			st.Deployments = append(st.Deployments, j)
		}
		if o.json {
			if err := writeJSON(e.stdout, st); err != nil {
				return err
			}
		} else {
			printStatus(e, st)
		}
		if st.AsGenerated < st.Total {
			return exitError{exitFailure}
		}
		return nil
	},
}

type statusOpts struct {
	serverFlags
	json bool
}

// printStatus prints a status as a table.
func printStatus(e *env, st jsonStatus) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPLOYMENT\tSTATE\tWORK POOL\tUI")
	for _, d := range st.Deployments {
		state := d.State
		if d.State == "differs" {
			var fields []string
			for _, c := range d.Changes {
				fields = append(fields, c.Field)
			}
			state = "differs: " + strings.Join(fields, ", ")
		}
		url := d.URL
		if url == "" {
			url = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(d.Name), state, oneLine(d.WorkPool), url)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\n%d of %d deployments of %s as generated\n", st.AsGenerated, st.Total, st.Environment)
}
