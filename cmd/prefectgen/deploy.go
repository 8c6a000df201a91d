package main

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/generator"
	"prefectgen/model"
	"prefectgen/redact"
)

type deployOpts struct {
	serverFlags
	dryRun      bool
	concurrency int
	batchSize   int
	force       bool
	createPools bool
	allowDrift  bool
	prune       bool
	atomic      bool
	docker      string
	json        bool
}

var deployCmd = &command{
	name:    "deploy",
	args:    "[PATH]",
	short:   "deploy to an environment's Prefect server: plan, build, apply, verify",
	maxArgs: 1,
	long: `
Deploy applies the generated deployments of one environment to its Prefect
server, through the real prefect and docker tools.

Before anything changes it checks: the flows and the configuration are valid;
the generated files have not drifted from them (unless --allow-drift); the
environment's Prefect API answers (its prefect_api_url, never an ambient
Prefect profile; --api-url overrides it); every work pool exists (or is
created, with the right type, with --create-pools).

Then it compares each deployment with the server's (see 'prefectgen plan') and
applies only the ones that are new or differ, unless --force. For docker and
kubernetes deployments it builds each image once (docker build --force-rm -f <Dockerfile>
-t <image> ., labelled with the git commit) and pushes it when the environment
has a docker_registry; a failed build fails only that image's deployments. It
runs 'prefect --no-prompt deploy --prefect-file <temporary file> --all' from
the repository root with PREFECT_API_URL set, at most --concurrency processes
at a time, each applying a batch; when one deployment fails, the others of its
batch are applied again in a new batch, so one failure never stops or hides
the others. Every applied deployment is read back from the server and
compared with what was intended.

The image tag placeholder {{ $PREFECTGEN_IMAGE_TAG }} is the git commit
(12 characters, -dirty with uncommitted changes), or $PREFECTGEN_IMAGE_TAG.

With --dry-run it does every check and the plan and prints the exact commands;
nothing changes. With --atomic, when any deployment fails, every deployment
this run created is deleted and every one it updated is put back as the plan
read it, schedules included: the server is never left half old and half new.
(To go back to an earlier release, check out its commit and deploy it: the
generated prefect.yaml is committed.) With --prune it also deletes the environment's deployments
that prefectgen made (tag managed-by:prefectgen) and no longer generates.

It exits 1 when any deployment failed, and 130 when interrupted (Ctrl-C): it
stops the prefect and docker processes and prints what the server then holds.

With --json it prints one JSON object on stdout once done, and the plan and
progress on stderr: {"environment", "server", "dry_run", "plan": [{"name",
"kind", "changes", "note"}], "results": [{"name", "outcome" (created, updated,
unchanged, deleted, failed, planned, rolled back, not applied, unverified),
"reason", "id", "url", "seconds"}], "counts": {outcome: n}, "interrupted",
"seconds", "release"}. Keys are never removed in a release.`,
	examples: `
# deploy every deployment of staging
prefectgen deploy --env staging
# one flow's docker deployments, against a local server, creating pools
prefectgen deploy --env development --flow etl --type docker --create-pools --api-url http://127.0.0.1:4200/api
# check and plan, print the commands, change nothing
prefectgen deploy --env production --dry-run`,
	flags: func(fs *pflag.FlagSet) any {
		o := &deployOpts{}
		o.register(fs)
		fs.BoolVar(&o.allowDrift, "allow-drift", false, "deploy even when the generated files have drifted")
		return o
	},
	run: runDeploy,
}

// register adds the flags deploy and rollback share.
func (o *deployOpts) register(fs *pflag.FlagSet) {
	o.serverFlags.register(fs, true)
	fs.BoolVar(&o.dryRun, "dry-run", false, "check and plan, print the commands, change nothing")
	fs.IntVar(&o.concurrency, "concurrency", runtime.GOMAXPROCS(0), "prefect and docker processes at a time")
	fs.IntVar(&o.batchSize, "batch-size", 25, "deployments applied by one prefect process at most")
	fs.BoolVar(&o.force, "force", false, "apply deployments that are already as intended too")
	fs.BoolVar(&o.createPools, "create-pools", false, "create missing work pools with the right type")
	fs.BoolVar(&o.prune, "prune", false, "delete this project's deployments that are no longer generated")
	fs.BoolVar(&o.atomic, "atomic", false, "when any deployment fails, put back every deployment this run changed")
	fs.StringVar(&o.docker, "docker", "docker", "the docker executable")
	fs.BoolVar(&o.json, "json", false, "print what happened as JSON (the progress goes to stderr)")
}

func runDeploy(ctx context.Context, e *env, opts any, args []string) error {
	o := opts.(*deployOpts)
	if o.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	root := pathArg(args)
	s, err := o.open(e, root)
	if err != nil {
		return err
	}
	if err := checkDrift(e, s, o.allowDrift); err != nil {
		return err
	}
	return release(ctx, e, o, s, deploy.Release{Command: "deploy", Commit: gitCommit(root)})
}

// release runs the deploy pipeline on a session, prints what it did, and
// records it in the environment's history (not a dry run).
func release(ctx context.Context, e *env, o *deployOpts, s *session, rel deploy.Release) error {
	warnJobAPIURL(e, s)
	warnNetworks(e, s)
	render, err := generator.PrefectFileRenderer(s.project, generator.GenerateOptions{})
	if err != nil {
		return err
	}
	h := e.human(o.json)
	out := h.stdout
	tty := isTerminal(out)
	rep, err := deploy.Run(ctx, s.env.Name, s.desired, s.scope, deploy.Options{
		Client: s.client, Root: s.root, Prefect: o.prefectPath(), Docker: o.docker,
		Concurrency: o.concurrency, BatchSize: o.batchSize, Render: render, Vars: s.vars,
		UI: s.ui, Revision: s.vars[model.ImageTagVariable], DryRun: o.dryRun,
		Force: o.force, Prune: o.prune, Atomic: o.atomic, CreatePools: o.createPools, Project: s.project.Config.Project,
		Log:  func(line string) { fmt.Fprintln(out, "  "+line) },
		Plan: func(actions []deploy.Action) { printPlan(out, actions) },
		Progress: func(r deploy.Result, done, total int) {
			line := fmt.Sprintf("[%d/%d] %-11s %s", done, total, r.Outcome, r.FullName)
			if r.Reason != "" {
				line += ": " + r.Reason
			}
			if tty {
				line = "\r\033[K" + line
			}
			fmt.Fprintln(out, line)
		},
	})
	if err != nil {
		return err
	}
	err = printResults(h, rep.Results, rep.Took, o.dryRun, "applied")
	if !o.dryRun {
		rel = recordRelease(ctx, h, s, rel, rep)
	}
	if o.json {
		if jerr := writeJSON(e.stdout, jsonRun{Environment: s.env.Name, Server: redact.URL(s.client.API), DryRun: o.dryRun,
			Plan: jsonActions(rep.Plan), Results: jsonResults(rep.Results), Counts: counts(rep.Results),
			Interrupted: rep.Interrupted, Seconds: rep.Took.Seconds(), Release: rel.Number}); jerr != nil {
			return jerr
		}
	}
	if rep.Interrupted {
		fmt.Fprintln(e.stderr, "prefectgen: interrupted; the summary above is what the server holds")
		return exitError{exitInterrupted}
	}
	return err
}

// recordRelease adds the run to the environment's history on the server;
// a failure to record is a warning, never a failed deploy.
func recordRelease(ctx context.Context, e *env, s *session, rel deploy.Release, rep *deploy.Report) deploy.Release {
	rel.Time = time.Now()
	rel.Revision = s.vars[model.ImageTagVariable]
	rel.Result = deploy.ReleaseResult(rep)
	rel.Summary = deploy.Summary(rep.Results)
	// Even an interrupted run is recorded; a second signal ends it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	key := deploy.HistoryKey(s.project.Config.Project, s.env.Name)
	recorded, err := s.client.Record(ctx, key, rel, rep.Results)
	if err != nil {
		fmt.Fprintf(e.stderr, "prefectgen: warning: the release was not recorded in the history: %s\n", s.secrets.String(err.Error()))
		return rel
	}
	fmt.Fprintf(e.stdout, "recorded as release %d of %s (prefectgen history --env %s)\n", recorded.Number, s.env.Name, s.env.Name)
	return recorded
}

// checkDrift refuses to deploy when the committed files differ from what
// the flows and the configuration generate, unless allowed.
func checkDrift(e *env, s *session, allow bool) error {
	gen, err := generator.Generate(s.project, generator.GenerateOptions{})
	if err != nil {
		return err
	}
	changes, err := s.project.Changes(gen.Files)
	if err != nil || len(changes) == 0 || allow {
		return err
	}
	verbs := map[string]string{"create": "created", "update": "updated", "remove": "removed"}
	for _, c := range changes {
		fmt.Fprintf(e.stderr, "prefectgen: %s would be %s by prefectgen generate\n", display(s.root, c.Path), verbs[c.Kind])
	}
	return fmt.Errorf("the generated files have drifted from the flows and configuration: run prefectgen generate (or deploy with --allow-drift)")
}

// warnJobAPIURL warns when deployments bake into their job env an API
// URL other than the one deployed to: their runs would report elsewhere.
func warnJobAPIURL(e *env, s *session) {
	byURL := map[string][]string{}
	for _, d := range s.desired {
		env, _ := d.JobVariables["env"].(map[string]any)
		if u, ok := env["PREFECT_API_URL"].(string); ok && strings.TrimSuffix(u, "/") != s.client.API {
			byURL[u] = append(byURL[u], d.FullName)
		}
	}
	for _, u := range slices.Sorted(maps.Keys(byURL)) {
		fmt.Fprintf(e.stderr, "prefectgen: warning: the runs of %s will report to %s (job_variables.env.PREFECT_API_URL), not to %s, where they are deployed; remove PREFECT_API_URL from the job variables (CONFIG_JOB_API_URL)\n",
			plural(len(byURL[u]), "deployment"), redact.URL(u), redact.URL(s.client.API))
	}
}

// warnNetworks warns when docker deployments join a named network while
// the server is on the worker's loopback: the docker worker then points
// the runs at host.docker.internal, where a server on 127.0.0.1 does not
// answer.
func warnNetworks(e *env, s *session) {
	u, err := url.Parse(s.client.API)
	if err != nil || (u.Hostname() != "localhost" && !net.ParseIP(u.Hostname()).IsLoopback()) {
		return
	}
	var names []string
	for _, d := range s.desired {
		if n, ok := d.JobVariables["networks"].([]any); ok && len(n) > 0 && d.DeploymentType == "docker" {
			names = append(names, d.FullName)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(e.stderr, "prefectgen: warning: %s join a docker network, but the server is on the loopback (%s): their containers will not reach it; leave networks unset for a server on the worker's machine (the docker worker then uses host networking)\n",
			plural(len(names), "deployment"), redact.URL(s.client.API))
	}
}
