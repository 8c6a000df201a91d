package main

import (
	"context"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/redact"
)

type planOpts struct {
	serverFlags
	detailed bool
	json     bool
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

Under each update, every differing field shows the server's value and the
one a deploy would set ("schedules: [...] -> [...]"), as one line of JSON cut
at 160 characters; --json gives them whole.

With --detailed-exitcode it exits 3 when there are changes, 0 when there are
none, 1 when it could not plan and 2 on bad usage (terraform's 2 is taken by
bad usage here).

With --json it prints one JSON object instead: {"environment", "server",
"changes" (bool), "actions": [{"name", "kind" (create, update, unchanged,
delete, unowned), "changes": [{"field", "old", "new"}], "note"}], "counts":
{kind: n}}. Keys are never removed in a release; new keys may be added.`,
	examples: `
# what deploy would change on staging
prefectgen plan --env staging
# in CI: exit 3 when there are changes
prefectgen plan --env production --detailed-exitcode`,
	flags: func(fs *pflag.FlagSet) any {
		o := &planOpts{}
		o.serverFlags.register(fs, true)
		fs.BoolVar(&o.detailed, "detailed-exitcode", false, "exit 3 when there are changes, 0 when there are none")
		fs.BoolVar(&o.json, "json", false, "print the plan as JSON")
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
		if o.json {
			c := map[string]int{}
			for k, n := range deploy.Counts(actions) {
				c[string(k)] = n
			}
			err = writeJSON(e.stdout, jsonPlan{Environment: s.env.Name, Server: redact.URL(s.client.API), Changes: deploy.HasChanges(actions),
				Actions: jsonActions(actions), Counts: c})
			if err != nil {
				return err
			}
		} else {
			printPlan(e.stdout, actions)
		}
		if o.detailed && deploy.HasChanges(actions) {
			return exitError{exitChanges}
		}
		return nil
	},
}
