package main

import (
	"context"
	"errors"
	"fmt"

	"prefectgen/generator"

	"github.com/spf13/pflag"
)

type validateOpts struct {
	projectFlags
	json bool
}

var validateCmd = &command{
	name:    "validate",
	args:    "[PATH]",
	short:   "check flows, dependencies and configuration, like a compiler",
	maxArgs: 1,
	long: `
Validate checks the repository at PATH (default: the current folder): its
Prefect flows and their dependencies, deployment_config.yaml and
flow_templates.yaml against prefectgen's schema, and the configuration against
the flows (parameters against each flow's signature, flows: entries against
the flows found, work pools for every enabled deployment type), and what
generating would find (hand-written Dockerfiles against the build context,
template overrides). It prints every problem like a compiler:

	path:line:col: CODE: message
	    fix: remediation

Warnings and notes read 'path:line:col: warning: CODE: message' and
'path:line:col: note: CODE: message'. Paths are relative to the current
folder. Every code, its meaning and its remediation are listed in
prefectgen's README.

Validate exits 1 when there is an error, 0 when there are only warnings.`,
	examples: `
# every problem, like a compiler; exit 1 on errors
prefectgen validate
# as JSON, for editors and CI annotations
prefectgen validate --json`,
	flags: func(fs *pflag.FlagSet) any {
		o := &validateOpts{}
		o.projectFlags.register(fs)
		fs.BoolVar(&o.json, "json", false, "print the problems as JSON ({is_valid, errors, warnings})")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*validateOpts)
		root := pathArg(args)
		p, err := o.load(root)
		if err != nil {
			return err
		}
		v := p.Validation
		if v.IsValid {
			// What only generating finds: hand-written Dockerfiles against
			// the build context, template overrides, name clashes.
			out, err := generator.Generate(p, generator.GenerateOptions{})
			if err != nil && !errors.Is(err, generator.ErrProblems) {
				return err
			}
			if out != nil {
				v.Merge(out.Problems...)
				v.Finish()
			}
		}
		if o.json {
			if err := writeJSON(e.stdout, v); err != nil {
				return err
			}
		} else {
			printProblems(e.stderr, root, v.All())
			fmt.Fprintf(e.stdout, "%s, %s, %s\n", plural(len(p.Discovery.Flows), "flow"), plural(len(v.Errors), "error"), plural(len(v.Warnings), "warning"))
		}
		if !v.IsValid {
			return exitError{exitFailure}
		}
		return nil
	},
}
