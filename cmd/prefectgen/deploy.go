package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/generator"
	"prefectgen/model"
	"prefectgen/schema"
)

// serverFlags are the flags of every command that talks to a server.
type serverFlags struct {
	projectFlags
	env     string
	apiURL  string
	types   []string
	flows   []string
	prefect string
}

func (s *serverFlags) register(fs *pflag.FlagSet, withScope bool) {
	s.projectFlags.register(fs)
	fs.StringVar(&s.env, "env", "", "the environment (required)")
	fs.StringVar(&s.apiURL, "api-url", "", "use this Prefect API instead of the environment's prefect_api_url")
	if withScope {
		fs.StringArrayVar(&s.types, "type", nil, "only this deployment type: python, docker, kubernetes or all (repeatable)")
		fs.StringArrayVar(&s.flows, "flow", nil, "only this flow, by Prefect name (repeatable)")
	}
	fs.StringVar(&s.prefect, "prefect", "", "the prefect executable (default: $PREFECTGEN_PREFECT, else prefect on PATH)")
}

// session is a loaded repository with its environment and server.
type session struct {
	root    string
	project *generator.Project
	env     *schema.EnvironmentConfig
	client  *deploy.Client
	desired []model.DeploymentConfig
	all     []model.DeploymentConfig
	scope   deploy.Scope
	vars    map[string]string
	ui      string
}

// open loads the repository, checks it is valid, and picks the
// environment, its server and the deployments in scope.
func (s *serverFlags) open(e *env, root string) (*session, error) {
	if s.env == "" {
		return nil, usagef("--env NAME is required")
	}
	p, err := s.load(root)
	if err != nil {
		return nil, err
	}
	if !p.Validation.IsValid {
		printProblems(e.stderr, root, p.Validation.All())
		fmt.Fprintf(e.stderr, "prefectgen: the repository has errors (prefectgen validate %s)\n", root)
		return nil, exitError{exitFailure}
	}
	m := p.Manager()
	envCfg, err := m.LoadEnvironmentConfig(s.env)
	if err != nil {
		return nil, err
	}
	all, _, err := m.Plan(s.env)
	if err != nil {
		return nil, err
	}
	scope := deploy.Scope{Flows: s.flows}
	for _, t := range s.types {
		if t != "all" && !slices.Contains(schema.Types, t) {
			return nil, usagef("--type %q: use python, docker, kubernetes or all", t)
		}
		if t != "all" {
			scope.Types = append(scope.Types, t)
		}
	}
	if slices.Contains(s.types, "all") {
		scope.Types = nil
	}
	var names []string
	for _, f := range m.Flows {
		names = append(names, f.Name)
	}
	for _, f := range s.flows {
		if !slices.Contains(names, f) {
			msg := fmt.Sprintf("--flow %q: no such flow", f)
			if n := schema.Nearest(f, names); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return nil, usageError{msg}
		}
	}
	api := envCfg.PrefectAPIURL
	ui := ""
	if len(all) > 0 {
		ui = all[0].UIURL
	}
	if s.apiURL != "" {
		if u, err := url.Parse(s.apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("--api-url %q: give an absolute http(s) URL such as http://127.0.0.1:4200/api", s.apiURL)
		}
		api = s.apiURL
		ui = strings.TrimSuffix(strings.TrimSuffix(api, "/"), "/api")
	}
	return &session{
		root: root, project: p, env: envCfg, client: deploy.NewClient(api),
		desired: scope.Filter(all), all: all, scope: scope, vars: imageVars(root), ui: ui,
	}, nil
}

// imageVars are the variables prefect.yaml's {{ $VAR }} placeholders
// read: the image tag, from $PREFECTGEN_IMAGE_TAG or the git commit.
func imageVars(root string) map[string]string {
	tag := os.Getenv(model.ImageTagVariable)
	if tag == "" {
		tag = gitRevision(root)
	}
	return map[string]string{model.ImageTagVariable: tag}
}

// gitRevision is the repository's commit (12 characters, "-dirty" when
// it has uncommitted changes), or "dev" outside git.
func gitRevision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "dev"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "-dirty"
	}
	return rev
}

func (s *serverFlags) prefectPath() string {
	if s.prefect != "" {
		return s.prefect
	}
	if p := os.Getenv("PREFECTGEN_PREFECT"); p != "" {
		return p
	}
	return "prefect"
}

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
}

func init() {
	commands = append(commands, &command{
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
kubernetes deployments it builds each image once (docker build -f <Dockerfile>
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

It exits 1 when any deployment failed.`,
		flags: func(fs *pflag.FlagSet) any {
			o := &deployOpts{}
			o.serverFlags.register(fs, true)
			fs.BoolVar(&o.dryRun, "dry-run", false, "check and plan, print the commands, change nothing")
			fs.IntVar(&o.concurrency, "concurrency", runtime.GOMAXPROCS(0), "prefect and docker processes at a time")
			fs.IntVar(&o.batchSize, "batch-size", 25, "deployments applied by one prefect process at most")
			fs.BoolVar(&o.force, "force", false, "apply deployments that are already as intended too")
			fs.BoolVar(&o.createPools, "create-pools", false, "create missing work pools with the right type")
			fs.BoolVar(&o.allowDrift, "allow-drift", false, "deploy even when the generated files have drifted")
			fs.BoolVar(&o.prune, "prune", false, "delete managed deployments that are no longer generated")
			fs.BoolVar(&o.atomic, "atomic", false, "when any deployment fails, put back every deployment this run changed")
			fs.StringVar(&o.docker, "docker", "docker", "the docker executable")
			return o
		},
		run: runDeploy,
	})
}

func runDeploy(e *env, opts any, args []string) error {
	o := opts.(*deployOpts)
	if o.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	root := pathArg(args)
	s, err := o.open(e, root)
	if err != nil {
		return err
	}
	ctx := context.Background()
	start := time.Now()
	out := e.stdout

	// Preflight: generated files, server, work pools.
	render, err := generator.PrefectFileRenderer(s.project, generator.GenerateOptions{})
	if err != nil {
		return err
	}
	if gen, err := generator.Generate(s.project, generator.GenerateOptions{}); err != nil {
		return err
	} else if changes, err := generator.Changes(root, gen.Files); err != nil {
		return err
	} else if len(changes) > 0 && !o.allowDrift {
		for _, c := range changes {
			fmt.Fprintf(e.stderr, "prefectgen: %s would be %s by prefectgen generate\n", display(root, c.Path), map[string]string{"create": "created", "update": "updated", "remove": "removed"}[c.Kind])
		}
		return fmt.Errorf("the generated files have drifted from the flows and configuration: run prefectgen generate (or deploy with --allow-drift)")
	}
	if err := s.client.Health(ctx); err != nil {
		return err
	}
	d := &deploy.Deployer{
		Client: s.client, Root: root, Prefect: o.prefectPath(), Docker: o.docker,
		Concurrency: o.concurrency, BatchSize: o.batchSize, Render: render, Vars: s.vars,
		UI: s.ui, Revision: s.vars[model.ImageTagVariable], DryRun: o.dryRun,
		Log: func(line string) { fmt.Fprintln(out, "  "+line) },
	}
	if err := checkPools(ctx, e, s, d, o.createPools); err != nil {
		return err
	}

	// Plan.
	actions, err := deploy.MakePlan(ctx, s.client, s.env.Name, s.desired, s.scope, s.vars)
	if err != nil {
		return err
	}
	for i, a := range actions {
		if a.Unmanaged && !o.force {
			return fmt.Errorf("deployment %s exists on the server and was not made by prefectgen (no %s tag); rename it, or deploy with --force to take it over", a.FullName, model.ManagedTag)
		}
		if o.force && a.Kind == deploy.Unchanged {
			actions[i].Kind = deploy.Update
			actions[i].Fields = []string{"(forced)"}
		}
		if !o.prune && a.Kind == deploy.Delete {
			actions[i].Kind = "keep"
		}
	}
	printPlan(out, actions)

	// Apply.
	total := 0
	for _, a := range actions {
		if a.Kind == deploy.Create || a.Kind == deploy.Update {
			total++
		}
	}
	done := 0
	tty := isTerminal(out)
	d.Progress = func(r deploy.Result) {
		done++
		line := fmt.Sprintf("[%d/%d] %-9s %s", done, total, r.Kind, r.FullName)
		if r.Reason != "" {
			line += ": " + r.Reason
		}
		if tty {
			fmt.Fprintf(out, "\r\033[K%s\n", line)
		} else {
			fmt.Fprintln(out, line)
		}
	}
	failedImages := d.BuildImages(ctx, actions)
	results := d.Apply(ctx, actions, failedImages)
	if o.prune {
		results = append(results, d.Delete(ctx, actions)...)
	}
	for _, a := range actions {
		if a.Kind == deploy.Unchanged {
			results = append(results, deploy.Result{FullName: a.FullName, Kind: "unchanged", ID: a.Live.ID, URL: deploy.UIURL(s.ui, a.Live.ID)})
		}
	}
	if o.atomic && !o.dryRun && slices.ContainsFunc(results, func(r deploy.Result) bool { return r.Kind == "failed" }) {
		fmt.Fprintln(out, "a deployment failed: rolling back what this run changed (--atomic)")
		rolled := d.Rollback(ctx, actions)
		for _, r := range rolled {
			fmt.Fprintf(out, "  %-11s %s: %s\n", r.Kind, r.FullName, r.Reason)
		}
		for i, r := range results {
			if r.Kind == "created" || r.Kind == "updated" {
				results[i].Kind = "rolled back"
			}
		}
		for _, r := range rolled {
			if r.Kind == "failed" {
				results = append(results, r)
			}
		}
	}
	return summarize(e, results, time.Since(start), o.dryRun)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// checkPools checks that every work pool of the deployments in scope
// exists with the right type, creating missing ones when asked.
func checkPools(ctx context.Context, e *env, s *session, d *deploy.Deployer, create bool) error {
	type pool struct{ name, typ string }
	var pools []pool
	seen := map[string]bool{}
	for _, dep := range s.desired {
		if !seen[dep.WorkPool] {
			seen[dep.WorkPool] = true
			pools = append(pools, pool{dep.WorkPool, dep.WorkPoolType})
		}
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].name < pools[j].name })
	var missing []string
	for _, p := range pools {
		wp, err := s.client.WorkPool(ctx, p.name)
		switch {
		case deploy.IsNotFound(err):
			if !create {
				missing = append(missing, fmt.Sprintf("%s (%s)", p.name, p.typ))
				continue
			}
			if err := d.CreatePool(ctx, p.name, p.typ); err != nil {
				return fmt.Errorf("creating work pool %s: %w", p.name, err)
			}
		case err != nil:
			return fmt.Errorf("reading work pool %s: %w", p.name, err)
		case wp.Type != p.typ:
			return fmt.Errorf("work pool %s is of type %s, but its deployments need %s", p.name, wp.Type, p.typ)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("work pools missing on %s: %s; create them, or deploy with --create-pools", s.client.API, strings.Join(missing, ", "))
	}
	return nil
}

func printPlan(w io.Writer, actions []deploy.Action) {
	counts := deploy.Counts(actions)
	fmt.Fprintf(w, "plan: %d to create, %d to update, %d unchanged, %d to delete\n",
		counts[deploy.Create], counts[deploy.Update], counts[deploy.Unchanged], counts[deploy.Delete])
	for _, a := range actions {
		switch a.Kind {
		case deploy.Create:
			note := ""
			if a.Unmanaged {
				note = " (exists, not managed by prefectgen: taken over)"
			}
			fmt.Fprintf(w, "  + %s%s\n", a.FullName, note)
		case deploy.Update:
			fmt.Fprintf(w, "  ~ %s (%s)\n", a.FullName, strings.Join(a.Fields, ", "))
		case deploy.Delete:
			fmt.Fprintf(w, "  - %s\n", a.FullName)
		case "keep":
			fmt.Fprintf(w, "  ! %s is no longer generated (prefectgen clean, or deploy --prune, deletes it)\n", a.FullName)
		}
	}
}

func summarize(e *env, results []deploy.Result, took time.Duration, dry bool) error {
	sort.SliceStable(results, func(i, j int) bool { return results[i].FullName < results[j].FullName })
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Kind]++
	}
	w := e.stdout
	if dry {
		fmt.Fprintf(w, "\ndry run: %d would be applied, %d unchanged, %d failed checks; nothing was changed (%.1fs)\n", counts["planned"], counts["unchanged"], counts["failed"], took.Seconds())
	} else {
		fmt.Fprintf(w, "\n%d created, %d updated, %d unchanged, %d deleted, %d failed", counts["created"], counts["updated"], counts["unchanged"], counts["deleted"], counts["failed"])
		if n := counts["rolled back"]; n > 0 {
			fmt.Fprintf(w, ", %d rolled back", n)
		}
		fmt.Fprintf(w, " (%.1fs)\n", took.Seconds())
	}
	for _, r := range results {
		if r.URL != "" {
			fmt.Fprintf(w, "  %-9s %s  %s\n", r.Kind, r.FullName, r.URL)
		} else if r.Kind != "failed" {
			fmt.Fprintf(w, "  %-9s %s\n", r.Kind, r.FullName)
		}
	}
	failed := 0
	for _, r := range results {
		if r.Kind == "failed" {
			if failed == 0 {
				fmt.Fprintln(e.stderr, "failed:")
			}
			failed++
			fmt.Fprintf(e.stderr, "  %s: %s\n", r.FullName, r.Reason)
		}
	}
	if failed > 0 {
		return exitError{exitFailure}
	}
	return nil
}
