package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"prefectgen/generator/discover"
)

type validateOpts struct {
	json     bool
	flowsDir string
}

func init() {
	commands = append(commands, &command{
		name:    "validate",
		args:    "[PATH]",
		short:   "check flows and their dependencies, like a compiler",
		maxArgs: 1,
		long: `
Validate checks the Prefect flows of the repository at PATH (default: the
current folder) and prints every problem like a compiler:

	path:line:col: CODE: message
	    fix: remediation

Warnings read 'path:line:col: warning: CODE: message'. Paths are relative to
the current folder. Every code, its meaning and its remediation are listed
in prefectgen's README.

Validate exits 1 when there is an error, 0 when there are only warnings.`,
		flags: func(fs *pflag.FlagSet) any {
			o := &validateOpts{}
			fs.BoolVar(&o.json, "json", false, "print the problems as JSON ({is_valid, errors, warnings})")
			fs.StringVar(&o.flowsDir, "flows-dir", "", "scan only this folder (relative to PATH)")
			return o
		},
		run: func(e *env, opts any, args []string) error {
			o := opts.(*validateOpts)
			root := pathArg(args)
			res, err := discover.Discover(discover.Options{Root: root, FlowsDir: o.flowsDir})
			if err != nil {
				return err
			}
			v := res.Validation
			if o.json {
				if err := writeJSON(e.stdout, v); err != nil {
					return err
				}
			} else {
				printProblems(e.stderr, root, v.All())
				fmt.Fprintf(e.stdout, "%s, %s, %s\n", plural(len(res.Flows), "flow"), plural(len(v.Errors), "error"), plural(len(v.Warnings), "warning"))
			}
			if !v.IsValid {
				return exitError{exitFailure}
			}
			return nil
		},
	})
}
