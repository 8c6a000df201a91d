package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
)

type cleanOpts struct {
	serverFlags
	dryRun bool
}

var cleanCmd = &command{
	name:    "clean",
	args:    "[PATH]",
	short:   "delete an environment's deployments that prefectgen made and no longer generates",
	maxArgs: 1,
	long: `
Clean deletes, on one environment's server, the deployments that prefectgen
made (tags managed-by:prefectgen and env:<environment>) and no longer
generates: a flow was removed, a type disabled. It never touches a deployment
without prefectgen's tag. --flow and --type limit it further; --dry-run lists
what it would delete.`,
	examples: `
# what would be deleted from staging
prefectgen clean --env staging --dry-run
# delete it
prefectgen clean --env staging`,
	flags: func(fs *pflag.FlagSet) any {
		o := &cleanOpts{}
		o.serverFlags.register(fs, true)
		fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be deleted, delete nothing")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*cleanOpts)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		start := time.Now()
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		actions, err := deploy.Plan(ctx, s.client, s.env.Name, s.project.Config.Project, s.desired, s.scope, s.vars)
		if err != nil {
			return err
		}
		stale := deploy.Counts(actions)[deploy.Stale]
		fmt.Fprintf(e.stdout, "%d managed deployments of %s are no longer generated\n", stale, s.env.Name)
		results, err := deploy.Clean(ctx, actions, deploy.Options{Client: s.client, DryRun: o.dryRun, Project: s.project.Config.Project,
			Log: func(l string) { fmt.Fprintln(e.stdout, "  "+l) }})
		if err != nil {
			return err
		}
		return printResults(e, results, time.Since(start), o.dryRun)
	},
}
