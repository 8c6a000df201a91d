package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
)

type smokeOpts struct {
	serverFlags
	timeout time.Duration
}

var smokeCmd = &command{
	name:    "smoke",
	args:    "[PATH]",
	short:   "run each deployment of an environment once and wait for it to complete",
	maxArgs: 1,
	long: `
Smoke proves that an environment's deployments run: it starts one flow run of
each generated deployment in scope (--type, --flow), with the parameters the
configuration gives them, through the Prefect REST API, and waits until every
run ends or --timeout passes. Workers must be running for the runs to start:
a process worker started at the repository root for python deployments
('prefect worker start --pool POOL'), a docker worker for docker ones. Smoke
warns when no worker polls a deployment's work pool.

It prints each run's final state, its duration and its page in the Prefect UI,
and for a run that did not complete its error log lines. A deployment with a
required parameter that has no value (CONFIG_RUNTIME_PARAMETER) is not started:
it is listed as Skipped. Smoke exits 0 when it started at least one run and
every run it started Completed, 1 otherwise.`,
	examples: `
# one run of each deployment of development, after a deploy
prefectgen smoke --env development
# the python deployment of one flow, waiting at most two minutes
prefectgen smoke --env staging --type python --flow etl --timeout 2m`,
	flags: func(fs *pflag.FlagSet) any {
		o := &smokeOpts{}
		o.serverFlags.register(fs, true)
		fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long to wait for the runs to end")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*smokeOpts)
		s, err := o.open(e, pathArg(args))
		if err != nil {
			return err
		}
		if err := s.client.Health(ctx); err != nil {
			return err
		}
		if len(s.desired) == 0 {
			fmt.Fprintf(e.stdout, "no deployments of %s in scope\n", s.env.Name)
			return nil
		}
		fmt.Fprintf(e.stdout, "smoke: one run of each of %s of %s (timeout %s)\n", plural(len(s.desired), "deployment"), s.env.Name, o.timeout)
		start := time.Now()
		results, err := deploy.Smoke(ctx, s.desired, deploy.SmokeOptions{
			Client: s.client, UI: s.ui, Timeout: o.timeout,
			Done: func(r deploy.RunResult) { printRun(e, r) },
		})
		if err != nil {
			return err
		}
		completed, skipped := 0, 0
		for _, r := range results {
			switch {
			case r.Completed():
				completed++
			case r.State == deploy.Skipped:
				skipped++
			}
		}
		summary := fmt.Sprintf("%d of %d runs completed", completed, len(results)-skipped)
		if skipped > 0 {
			summary += fmt.Sprintf(", %d not started (required parameters without a value)", skipped)
		}
		fmt.Fprintf(e.stdout, "\n%s (%.1fs)\n", summary, time.Since(start).Seconds())
		if completed+skipped < len(results) || completed == 0 && skipped > 0 {
			if completed+skipped == len(results) {
				fmt.Fprintln(e.stderr, "prefectgen: smoke started no run: every deployment it selected requires parameters without a value")
			}
			return exitError{exitFailure}
		}
		return nil
	},
}

// printRun prints one ended run: state, name, duration and UI link, then
// the log lines of a run that did not complete.
func printRun(e *env, r deploy.RunResult) {
	line := fmt.Sprintf("  %-10s %s", r.State, r.FullName)
	if r.RunName != "" {
		line += fmt.Sprintf("  (%s, %.1fs)", r.RunName, r.Duration.Seconds())
	}
	if r.URL != "" {
		line += "  " + r.URL
	}
	fmt.Fprintln(e.stdout, line)
	if r.Note != "" {
		fmt.Fprintf(e.stdout, "      %s\n", r.Note)
	}
	for _, l := range r.Logs {
		fmt.Fprintf(e.stdout, "      | %s\n", oneLine(l))
	}
}
