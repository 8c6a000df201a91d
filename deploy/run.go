package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"prefectgen/model"
	"prefectgen/redact"
)

// Outcome is what happened to one deployment.
type Outcome string

const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Deleted   Outcome = "deleted"
	Failed    Outcome = "failed"
	// Planned is a dry run's: it would be applied.
	Planned Outcome = "planned"
	// RolledBack: applied, then put back as it was (--atomic).
	RolledBack Outcome = "rolled back"
	// NotApplied: never applied, because the run was interrupted or the
	// server stopped answering first.
	NotApplied Outcome = "not applied"
	// Unverified: prefect deploy applied it, but the server stopped
	// answering before it could be read back.
	Unverified Outcome = "unverified"
)

// Result is what happened to one deployment.
type Result struct {
	FullName string
	Outcome  Outcome
	Reason   string
	ID       string
	URL      string
	Duration time.Duration
}

// Options are how Run deploys.
type Options struct {
	Client *Client
	// Root is the repository root, where the tools run.
	Root    string
	Prefect string
	Docker  string
	// Concurrency bounds the prefect (and docker) processes run at once.
	Concurrency int
	// BatchSize bounds the deployments one prefect process applies.
	BatchSize int
	// Render writes a prefect.yaml holding exactly these deployments.
	Render func([]model.DeploymentConfig) ([]byte, error)
	// Vars are set for the tools and fill {{ $VAR }} placeholders.
	Vars map[string]string
	// UI is the Prefect UI's URL, for links.
	UI string
	// Revision labels the images built.
	Revision string
	// DryRun runs every check and the plan, and logs the commands
	// instead of running them.
	DryRun bool
	// Force applies deployments that are already as generated, and takes
	// over deployments that exist without prefectgen's tag.
	Force bool
	// Prune deletes the stale deployments of the plan.
	Prune bool
	// Atomic puts back everything the run changed when any deployment
	// fails or the run is interrupted.
	Atomic bool
	// CreatePools creates missing work pools with the right type.
	CreatePools bool
	// Project is the repository's project (the configuration's
	// project:), "" for none; Prune needs one.
	Project string
	// Log receives one line per command run (or, in a dry run, that would
	// run). Calls never overlap.
	Log func(string)
	// Plan receives the plan once it is made, before anything changes.
	Plan func([]Action)
	// Progress is called as each deployment is applied or fails, with
	// how many of total are done. Calls never overlap.
	Progress func(r Result, done, total int)
}

// Report is what a run did.
type Report struct {
	Plan []Action
	// Results has one entry per deployment the run was about, sorted by
	// name: what the server holds now.
	Results []Result
	// Interrupted is set when the context ended the run.
	Interrupted bool
	Took        time.Duration
}

// Count returns how many results have the outcome.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// Failed reports whether any deployment failed or is unverified.
func (r *Report) Failed() bool { return r.Count(Failed)+r.Count(Unverified) > 0 }

// run is one deploy: the options and the serialised callbacks.
type run struct {
	Options
	mu          sync.Mutex // serialises the callbacks
	done, total int
}

func (r *run) log(format string, a ...any) {
	if r.Log == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Log(r.redact(fmt.Sprintf(format, a...)))
}

// redact hides the credentials, and URL passwords, in s.
func (r *run) redact(s string) string {
	if r.Client == nil {
		return redact.URL(s)
	}
	return r.Client.Auth.Secrets().String(s)
}

// progress reports one finished deployment.
func (r *run) progress(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if r.Progress != nil {
		res.Reason = r.redact(res.Reason)
		r.Progress(res, r.done, r.total)
	}
}

// Run deploys the desired deployments of an environment (already in
// scope): it checks the server and the work pools, plans against the
// server, builds the images of what changes, applies the creates and
// updates with prefect deploy, verifies them on the server, prunes stale
// deployments and, with Atomic, puts everything back when anything
// failed. The error is for what stopped it before anything changed; what
// happened to each deployment is in the report. When ctx ends, the tools
// are stopped, and the report says exactly what was and was not applied.
func Run(ctx context.Context, env string, desired []model.DeploymentConfig, scope Scope, o Options) (*Report, error) {
	start := time.Now()
	r := &run{Options: o}
	if r.Prune && r.Project == "" {
		return nil, ErrNoProject
	}
	if err := r.Client.Health(ctx); err != nil {
		return nil, err
	}
	if err := r.checkPools(ctx, desired); err != nil {
		return nil, err
	}
	actions, err := Plan(ctx, r.Client, env, r.Project, desired, scope, r.Vars)
	if err != nil {
		return nil, err
	}
	if err := r.settle(actions); err != nil {
		return nil, err
	}
	if r.Plan != nil {
		r.Plan(actions)
	}
	for _, a := range actions {
		if a.changes() {
			r.total++
		}
	}
	failedImages := r.buildImages(ctx, actions)
	results := r.apply(ctx, actions, failedImages)
	failed := slices.ContainsFunc(results, func(res Result) bool { return res.Outcome == Failed })
	if r.Prune && !(r.Atomic && failed) {
		results = append(results, r.prune(ctx, actions)...)
	}
	for _, a := range actions {
		if a.Kind == Same {
			results = append(results, Result{FullName: a.FullName, Outcome: Unchanged, ID: a.Live.ID, URL: UIURL(r.UI, a.Live.ID)})
		}
	}
	rep := &Report{Plan: actions, Interrupted: ctx.Err() != nil}
	failed = slices.ContainsFunc(results, func(res Result) bool { return res.Outcome == Failed })
	if r.Atomic && !r.DryRun && (failed || rep.Interrupted) {
		// The rollback must run even when ctx ended: a second signal
		// ends prefectgen at once.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		results = r.rollback(rctx, actions, results)
		cancel()
	}
	sortResults(results)
	for i := range results {
		results[i].Reason, results[i].URL = r.redact(results[i].Reason), r.redact(results[i].URL)
	}
	rep.Results = results
	rep.Took = time.Since(start)
	return rep, nil
}

// ErrNoProject is the error of a prune or clean without a project.
var ErrNoProject = errors.New("deleting deployments needs the project they belong to: set project: NAME in deployment_config.yaml (prefectgen init sets it), so that a shared server's other repositories are never touched; deployments deployed from then on carry the tag project:NAME")

// settle applies Force to the plan, and refuses to overwrite what
// prefectgen does not own.
func (r *run) settle(actions []Action) error {
	for i, a := range actions {
		switch {
		case a.Unmanaged && !r.Force:
			return fmt.Errorf("deployment %s exists on the server and was not made by prefectgen (no %s tag); rename it, or deploy with --force to take it over", a.FullName, model.ManagedTag)
		case a.Owner != "" && !r.Force:
			return fmt.Errorf("deployment %s belongs to project %s (tag %s), not to %s; rename yours, or deploy with --force to take it over", a.FullName, a.Owner, model.ProjectTag(a.Owner), r.Project)
		case a.Kind == Same && r.Force:
			actions[i].Kind = Update
			actions[i].Fields = []string{"(forced)"}
		case a.Kind == Stale && r.Prune:
			actions[i].Kind = Delete
		}
	}
	return nil
}

// env is the environment of the prefect processes.
func (r *run) env() []string {
	env := []string{"PREFECT_API_URL=" + r.Client.API, "PREFECT_CLI_PROMPT=false", "PREFECT_CLI_COLORS=false", "COLUMNS=400"}
	// The credentials prefectgen found (the environment's, or the active
	// profile's), so that prefect authenticates as the REST client does.
	env = append(env, r.Client.Auth.env()...)
	if strings.HasPrefix(r.Client.API, "http://") {
		// Plain HTTP has no certificates to check, but every Prefect client
		// loads the CA bundle when it is built, several times per
		// deployment: a fifth of prefect deploy's time.
		env = append(env, "PREFECT_API_TLS_INSECURE_SKIP_VERIFY=true")
	}
	keys := make([]string, 0, len(r.Vars))
	for k := range r.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+r.Vars[k])
	}
	return env
}
