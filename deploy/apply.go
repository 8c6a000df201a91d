package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"prefectgen/model"
)

// watchdogInterval is how often apply checks that the server answers.
const watchdogInterval = 2 * time.Second

// readBackTimeout bounds reading the applied deployments back, which
// happens even after the run was interrupted.
const readBackTimeout = 30 * time.Second

// batches is the state of one apply: what prefect said it applied, what
// failed, and what an interruption left uncertain.
type batches struct {
	mu      sync.Mutex
	queue   chan []model.DeploymentConfig
	pending sync.WaitGroup
	// down is set when the server stopped answering: nothing more is tried.
	down    error
	applied map[string]time.Duration
	failed  map[string]Result
	// unsure are the deployments of a batch whose prefect was stopped
	// midway: the server tells whether they were applied.
	unsure map[string]bool
}

func (b *batches) stopped() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.down
}

func (b *batches) serverDown(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down == nil {
		b.down = err
	}
}

// apply deploys the create and update actions with prefect deploy:
// batches of BatchSize deployments per process, Concurrency processes at
// a time. When a process fails, the deployments it applied before the
// failure are kept, the failing one is reported, and the rest are applied
// again in a new batch: one failure never stops or hides the others.
// Every applied deployment is then read back from the server and compared
// with what was intended. skip are the deployments that already failed
// (their image did not build).
func (r *run) apply(ctx context.Context, actions []Action, skip map[string]string) []Result {
	var todo []model.DeploymentConfig
	var results []Result
	kinds := map[string]Kind{}
	for _, a := range actions {
		if !a.changes() {
			continue
		}
		if reason := skip[a.FullName]; reason != "" {
			res := Result{FullName: a.FullName, Outcome: Failed, Reason: reason}
			r.progress(res)
			results = append(results, res)
			continue
		}
		kinds[a.FullName] = a.Kind
		todo = append(todo, *a.Desired)
	}
	if len(todo) == 0 {
		return results
	}
	b := &batches{applied: map[string]time.Duration{}, failed: map[string]Result{}, unsure: map[string]bool{}}
	runCtx, cancel := context.WithCancel(ctx)
	stopWatchdog := r.watchdog(runCtx, cancel, b)
	r.runBatches(runCtx, todo, b)
	stopWatchdog()
	cancel()
	return append(results, r.conclude(ctx, todo, kinds, b)...)
}

// watchdog ends the prefect processes when the server stops answering
// (they would retry for a minute each). It returns the function that
// stops it.
func (r *run) watchdog(ctx context.Context, cancel context.CancelFunc, b *batches) func() {
	if r.DryRun {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(watchdogInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := r.Client.Health(ctx); err != nil && ctx.Err() == nil {
					b.serverDown(err)
					cancel()
					return
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// runBatches applies todo in batches, Concurrency processes at a time.
func (r *run) runBatches(ctx context.Context, todo []model.DeploymentConfig, b *batches) {
	workers := max(1, min(r.Concurrency, len(todo)))
	size := max(1, (len(todo)+workers-1)/workers)
	if r.BatchSize > 0 {
		size = min(size, r.BatchSize)
	}
	b.queue = make(chan []model.DeploymentConfig, len(todo)+1)
	for start := 0; start < len(todo); start += size {
		b.pending.Add(1)
		b.queue <- todo[start:min(start+size, len(todo))]
	}
	go func() { b.pending.Wait(); close(b.queue) }()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range b.queue {
				r.runBatch(ctx, batch, b)
				b.pending.Done()
			}
		}()
	}
	wg.Wait()
}

// runBatch applies one batch and records what happened; the rest of a
// batch after a failure goes back in the queue.
func (r *run) runBatch(ctx context.Context, batch []model.DeploymentConfig, b *batches) {
	if b.stopped() != nil || ctx.Err() != nil {
		return // left unapplied; conclude says why
	}
	ok, failedAt, out := r.applyBatch(ctx, batch)
	if failedAt >= 0 && !out.interrupted && !r.DryRun {
		// A failure may be the server going away rather than this
		// deployment.
		if err := r.Client.Health(ctx); err != nil {
			b.serverDown(err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, name := range ok {
		b.applied[name] = out.took
	}
	if failedAt < 0 {
		return
	}
	if out.interrupted {
		// prefect was stopped: the server tells what it applied.
		for _, d := range batch[failedAt:] {
			b.unsure[d.FullName] = true
		}
		return
	}
	if b.down != nil {
		b.unsure[batch[failedAt].FullName] = true
		return
	}
	res := Result{FullName: batch[failedAt].FullName, Outcome: Failed, Reason: out.reason(), Duration: out.took}
	b.failed[res.FullName] = res
	r.progress(res)
	if rest := batch[failedAt+1:]; len(rest) > 0 {
		b.pending.Add(1)
		b.queue <- rest
	}
}

// applyBatch runs one prefect deploy over a batch. It returns the
// deployments applied, the index of the one that failed (-1 when none)
// and the command's output.
func (r *run) applyBatch(ctx context.Context, batch []model.DeploymentConfig) (ok []string, failedAt int, o output) {
	content, err := r.Render(batch)
	if err != nil {
		return nil, 0, output{err: fmt.Errorf("rendering the deployment: %w", err)}
	}
	dir, err := os.MkdirTemp("", "prefectgen-deploy-")
	if err != nil {
		return nil, 0, output{err: err}
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "prefect.yaml")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		return nil, 0, output{err: err}
	}
	c := Command{Dir: r.Root, Env: r.env(), Args: []string{r.Prefect, "--no-prompt", "deploy", "--prefect-file", file, "--all"}}
	var names []string
	for _, d := range batch {
		names = append(names, d.FullName)
	}
	if r.DryRun {
		r.log("would run: %s   # %s", c, strings.Join(names, ", "))
		return names, -1, output{}
	}
	r.log("running: prefect deploy of %s", strings.Join(names, ", "))
	o = runCommand(ctx, c)
	stdout := string(o.stdout)
	for i, d := range batch {
		if strings.Contains(stdout, "Deployment '"+d.FullName+"' successfully created") || o.err == nil {
			ok = append(ok, d.FullName) // with exit 0, the read-back tells
			continue
		}
		return ok, i, o
	}
	if o.err != nil {
		// Every deployment printed success, yet prefect failed: blame the
		// last one.
		return ok[:len(ok)-1], len(batch) - 1, o
	}
	return ok, -1, o
}

// conclude turns what the batches did into one result per deployment,
// reading the applied and uncertain ones back from the server, even when
// the run was interrupted.
func (r *run) conclude(ctx context.Context, todo []model.DeploymentConfig, kinds map[string]Kind, b *batches) []Result {
	if r.DryRun {
		var out []Result
		for _, d := range todo {
			res := Result{FullName: d.FullName, Outcome: Planned}
			r.progress(res)
			out = append(out, res)
		}
		return out
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	live, readErr := r.readBack(rctx, todo, b)
	var out []Result
	for _, d := range todo {
		if res, failed := b.failed[d.FullName]; failed {
			out = append(out, r.concludeFailed(d, kinds[d.FullName], res, live, readErr))
			continue
		}
		res := r.concludeOne(rctx, d, kinds[d.FullName], b, live, readErr)
		if res.Outcome != NotApplied || b.unsure[d.FullName] {
			r.progress(res)
		}
		out = append(out, res)
	}
	return out
}

// concludeFailed says what the server holds of a deployment whose prefect
// deploy failed: an error after the server took it leaves it applied,
// one before leaves the former version, or nothing.
func (r *run) concludeFailed(d model.DeploymentConfig, kind Kind, res Result, live map[string]*Deployment, readErr error) Result {
	l := live[d.FullName]
	switch {
	case readErr != nil:
		res.Reason += "; the server could not be read back to tell what it holds"
	case l != nil && len(Diff(d, l, r.Vars)) == 0:
		res.Outcome = map[Kind]Outcome{Create: Created, Update: Updated}[kind]
		res.ID, res.URL = l.ID, UIURL(r.UI, l.ID)
		res.Reason = "applied as intended, though prefect deploy failed: " + res.Reason
	case l != nil:
		res.Reason += "; the server holds a version that differs in " + strings.Join(Diff(d, l, r.Vars), ", ")
	case kind == Create:
		res.Reason += "; it is not on the server"
	}
	return res
}

// readBack lists the applied and uncertain deployments in one query.
func (r *run) readBack(ctx context.Context, todo []model.DeploymentConfig, b *batches) (map[string]*Deployment, error) {
	var names []string
	for _, d := range todo {
		_, failed := b.failed[d.FullName]
		if _, ok := b.applied[d.FullName]; ok || b.unsure[d.FullName] || failed {
			names = append(names, d.DeploymentName)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	ds, err := r.Client.DeploymentsNamed(ctx, names)
	if err != nil {
		return nil, err
	}
	live := map[string]*Deployment{}
	for i := range ds {
		live[ds[i].FullName()] = &ds[i]
	}
	return live, nil
}

// concludeOne is the result of one deployment that did not fail in
// prefect deploy.
func (r *run) concludeOne(ctx context.Context, d model.DeploymentConfig, kind Kind, b *batches, live map[string]*Deployment, readErr error) Result {
	outcome := map[Kind]Outcome{Create: Created, Update: Updated}[kind]
	took, applied := b.applied[d.FullName]
	res := Result{FullName: d.FullName, Outcome: outcome, Duration: took}
	why := "interrupted"
	if b.down != nil {
		why = "the server stopped answering: " + b.down.Error()
	}
	switch {
	case !applied && !b.unsure[d.FullName]:
		res.Outcome, res.Reason = NotApplied, why
	case readErr != nil:
		res.Outcome = Unverified
		res.Reason = "prefect deploy applied it, but the server could not be read back: " + readErr.Error()
		if !applied {
			res.Reason = why + "; whether it was applied is unknown: " + readErr.Error()
		}
	case !applied:
		// prefect was stopped midway: applied only if the server holds it.
		l := live[d.FullName]
		if l == nil || len(Diff(d, l, r.Vars)) > 0 {
			res.Outcome, res.Reason = NotApplied, why
		} else {
			res.ID, res.URL = l.ID, UIURL(r.UI, l.ID)
			res.Reason = "applied before the run stopped"
		}
	default:
		if err := r.verify(ctx, d, live[d.FullName], &res); err != nil {
			res.Outcome, res.Reason = Failed, err.Error()
		}
	}
	return res
}

// verify reads a deployment back and compares it with what was intended.
// Prefect never clears schedules: when every schedule was removed, the
// server's are deleted here.
func (r *run) verify(ctx context.Context, want model.DeploymentConfig, live *Deployment, res *Result) error {
	var err error
	if live == nil {
		if live, err = r.Client.DeploymentByName(ctx, want.FlowName, want.DeploymentName); err != nil {
			return fmt.Errorf("not on the server after deploying: %w", err)
		}
	}
	res.ID, res.URL = live.ID, UIURL(r.UI, live.ID)
	fields := Diff(want, live, r.Vars)
	if slices.Contains(fields, "schedules") {
		if err := r.pruneSchedules(ctx, want, live); err != nil {
			return err
		}
		if live, err = r.Client.DeploymentByName(ctx, want.FlowName, want.DeploymentName); err != nil {
			return err
		}
		fields = Diff(want, live, r.Vars)
	}
	if len(fields) > 0 {
		return fmt.Errorf("the server's deployment differs from the intended one in %s", strings.Join(fields, ", "))
	}
	return nil
}

// pruneSchedules deletes the server's schedules whose slug is not
// wanted, which prefect deploy leaves in place.
func (r *run) pruneSchedules(ctx context.Context, want model.DeploymentConfig, live *Deployment) error {
	keep := map[string]bool{}
	for _, s := range want.Schedules {
		keep[s.Slug] = true
	}
	for _, s := range live.Schedules {
		if !keep[s.Slug] {
			if err := r.Client.do(ctx, http.MethodDelete, "/deployments/"+url.PathEscape(live.ID)+"/schedules/"+url.PathEscape(s.ID), nil, nil); err != nil {
				return fmt.Errorf("deleting schedule %s: %w", s.Slug, err)
			}
		}
	}
	return nil
}

// sortResults sorts results by deployment name.
func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].FullName < rs[j].FullName })
}
