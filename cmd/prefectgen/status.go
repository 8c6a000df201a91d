package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
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
its page in the Prefect UI, and exits 1 when any is missing or differs.`,
	examples: `
# is every deployment of staging on the server as generated?
prefectgen status --env staging
# only the python deployments of one flow
prefectgen status --env staging --type python --flow etl`,
	flags: func(fs *pflag.FlagSet) any {
		o := &serverFlags{}
		o.register(fs, true)
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*serverFlags)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEPLOYMENT\tSTATE\tWORK POOL\tUI")
		bad := 0
		for _, d := range s.desired {
			live, err := s.client.DeploymentByName(ctx, d.FlowName, d.DeploymentName)
			switch {
			case deploy.IsNotFound(err):
				bad++
				fmt.Fprintf(tw, "%s\tmissing\t%s\t-\n", oneLine(d.FullName), oneLine(d.WorkPool))
				continue
			case err != nil:
				return err
			}
			state := "ok"
			if fields := deploy.Diff(d, live, s.vars); len(fields) > 0 {
				bad++
				state = "differs: " + strings.Join(fields, ", ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(d.FullName), state, oneLine(live.WorkPoolName), deploy.UIURL(s.ui, live.ID))
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "\n%d of %d deployments of %s as generated\n", len(s.desired)-bad, len(s.desired), s.env.Name)
		if bad > 0 {
			return exitError{exitFailure}
		}
		return nil
	},
}
