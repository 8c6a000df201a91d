package main

import (
	"context"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
)

type planOpts struct {
	serverFlags
	detailed bool
}

var planCmd = &command{
	name:    "plan",
	args:    "[PATH]",
	short:   "show what deploy would change on an environment's server",
	maxArgs: 1,
	long: `
Plan compares the generated deployments of one environment with its Prefect
server, read through the REST API (every page), and prints per deployment:

	+ create     not on the server
	~ update     on the server, differing in the fields named
	- delete     made by prefectgen (tag managed-by:prefectgen) but no
	             longer generated
	(unchanged deployments are counted)

The compared fields are the entrypoint, work pool and queue, job variables,
parameters, tags, description, version, paused, concurrency limit, parameter
schema enforcement, pull steps, schedules (by slug) and the flow's signature
against the parameter schema Prefect computed. Only deployments with
prefectgen's tag are listed for deletion.

With --detailed-exitcode it exits 2 when there are changes, 0 when there are
none and 1 on error.`,
	examples: `
# what deploy would change on staging
prefectgen plan --env staging
# in CI: exit 2 when there are changes
prefectgen plan --env production --detailed-exitcode`,
	flags: func(fs *pflag.FlagSet) any {
		o := &planOpts{}
		o.serverFlags.register(fs, true)
		fs.BoolVar(&o.detailed, "detailed-exitcode", false, "exit 2 when there are changes")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*planOpts)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		actions, err := deploy.Plan(ctx, s.client, s.env.Name, s.project.Config.Project, s.desired, s.scope, s.vars)
		if err != nil {
			return err
		}
		for i := range actions {
			if actions[i].Kind == deploy.Stale {
				actions[i].Kind = deploy.Delete // what clean, or deploy --prune, does
			}
		}
		printPlan(e.stdout, actions)
		if o.detailed && deploy.HasChanges(actions) {
			return exitError{2}
		}
		return nil
	},
}
