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

func init() {
	commands = append(commands, &command{
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
		flags: func(fs *pflag.FlagSet) any {
			o := &cleanOpts{}
			o.serverFlags.register(fs, true)
			fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be deleted, delete nothing")
			return o
		},
		run: func(e *env, opts any, args []string) error {
			o := opts.(*cleanOpts)
			s, err := o.open(e, pathArg(args))
			if err != nil {
				return err
			}
			ctx := context.Background()
			start := time.Now()
			if err := s.client.Health(ctx); err != nil {
				return err
			}
			actions, err := deploy.MakePlan(ctx, s.client, s.env.Name, s.desired, s.scope, s.vars)
			if err != nil {
				return err
			}
			var deletes []deploy.Action
			for _, a := range actions {
				if a.Kind == deploy.Delete {
					deletes = append(deletes, a)
				}
			}
			fmt.Fprintf(e.stdout, "%d managed deployments of %s are no longer generated\n", len(deletes), s.env.Name)
			d := &deploy.Deployer{Client: s.client, DryRun: o.dryRun, Log: func(l string) { fmt.Fprintln(e.stdout, "  "+l) }}
			return summarize(e, d.Delete(ctx, deletes), time.Since(start), o.dryRun)
		},
	})
}
