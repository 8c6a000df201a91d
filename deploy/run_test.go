package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"prefectgen/model"
)

// dep is a desired deployment of the tests.
func dep(flow, name string) model.DeploymentConfig {
	return model.DeploymentConfig{
		FlowName: flow, DeploymentName: name, FullName: flow + "/" + name, Environment: "dev", DeploymentType: "python",
		Entrypoint: "flows/" + flow + ".py:" + flow, WorkPool: "pool", WorkPoolType: "process",
		Schedules:  []model.Schedule{{Cron: "0 6 * * *", Active: true, Slug: "dev-python-1"}},
		Parameters: map[string]any{"n": 1}, JobVariables: map[string]any{"env": map[string]any{"A": "1"}},
		Tags:    []string{model.ManagedTag, model.ProjectTag("p"), model.EnvTag("dev"), model.TypeTag("python")},
		CodeDir: "/app", EnforceParameterSchema: true, Description: flow + " " + name,
	}
}

// harness is a fake server with a pool, and the options of a run against
// it with the fake prefect.
type harness struct {
	srv  *fakeServer
	opts Options
	log  string // the fake prefect's invocations
	// progress records every Progress call, in order.
	progress []Result
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{srv: newFakeServer(t), log: filepath.Join(t.TempDir(), "prefect.log")}
	h.srv.pools["pool"] = "process"
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PREFECTGEN_FAKE_PREFECT", "1")
	t.Setenv("FAKE_PREFECT_LOG", h.log)
	t.Setenv("TMPDIR", t.TempDir())
	h.opts = Options{
		Client: NewClient(h.srv.api(), Credentials{}), Root: t.TempDir(), Prefect: exe, Docker: "docker",
		Concurrency: 2, BatchSize: 25, Render: fakeRender, Vars: map[string]string{model.ImageTagVariable: "abc"},
		UI: "http://ui", Revision: "abc", Project: "p",
		Progress: func(r Result, done, total int) {
			// Unsynchronised on purpose: Run promises calls never overlap,
			// and the race detector checks it.
			h.progress = append(h.progress, r)
		},
		Log: func(string) {},
	}
	return h
}

func (h *harness) run(t *testing.T, ctx context.Context, desired ...model.DeploymentConfig) *Report {
	t.Helper()
	rep, err := Run(ctx, "dev", desired, Scope{}, h.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// invocations returns how many times the fake prefect deploy ran.
func (h *harness) invocations(t *testing.T) int {
	data, _ := os.ReadFile(h.log)
	return strings.Count(string(data), " deploy ")
}

func outcomes(rep *Report) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range rep.Results {
		m[r.FullName] = r.Outcome
	}
	return m
}

func checkOutcomes(t *testing.T, rep *Report, want map[string]Outcome) {
	t.Helper()
	got := outcomes(rep)
	for name, o := range want {
		if got[name] != o {
			t.Errorf("%s: %q, want %q (all: %v)", name, got[name], o, rep.Results)
		}
	}
	if len(got) != len(want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

// TestRunBatches: five deployments in batches of two, two prefect
// processes at a time; everything is created once, verified, and a second
// run changes nothing.
func TestRunBatches(t *testing.T) {
	h := newHarness(t)
	h.opts.BatchSize = 2
	var desired []model.DeploymentConfig
	for _, f := range []string{"a", "b", "c", "d", "e"} {
		desired = append(desired, dep(f, "dev-python"))
	}
	rep := h.run(t, context.Background(), desired...)
	want := map[string]Outcome{}
	for _, d := range desired {
		want[d.FullName] = Created
	}
	checkOutcomes(t, rep, want)
	if n := h.invocations(t); n != 3 {
		t.Errorf("prefect deploy ran %d times, want 3 (batches of 2, 2, 1)", n)
	}
	if len(h.progress) != 5 {
		t.Errorf("progress called %d times, want 5", len(h.progress))
	}
	for _, r := range rep.Results {
		if r.ID == "" || !strings.HasPrefix(r.URL, "http://ui/deployments/deployment/") {
			t.Errorf("%s: no id or UI link: %+v", r.FullName, r)
		}
	}
	rep = h.run(t, context.Background(), desired...)
	for name := range want {
		want[name] = Unchanged
	}
	checkOutcomes(t, rep, want)
	if n := h.invocations(t); n != 3 {
		t.Errorf("a second run ran prefect deploy again (%d runs in all)", n)
	}
}

// TestRunFailureIsolation: the middle deployment of a batch fails; the
// one before it stays applied and the one after it is applied in a new
// batch.
func TestRunFailureIsolation(t *testing.T) {
	h := newHarness(t)
	h.opts.Concurrency = 1
	rep := h.run(t, context.Background(), dep("a", "dev"), dep("b", "boom"), dep("c", "dev"))
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Created, "b/boom": Failed, "c/dev": Created})
	if n := h.invocations(t); n != 2 {
		t.Errorf("prefect deploy ran %d times, want 2 (the rest of the batch re-queued)", n)
	}
	for _, r := range rep.Results {
		if r.FullName == "b/boom" && !strings.Contains(r.Reason, "409 Conflict") {
			t.Errorf("reason %q does not carry prefect's exception", r.Reason)
		}
	}
	if !rep.Failed() {
		t.Error("report does not say it failed")
	}
}

// TestRunAtomic: when one deployment fails, the one created is deleted
// and the one updated is put back as it was, schedules included.
func TestRunAtomic(t *testing.T) {
	h := newHarness(t)
	old := dep("b", "dev")
	h.run(t, context.Background(), old)
	client := h.opts.Client
	before, err := client.DeploymentByName(context.Background(), "b", "dev")
	if err != nil {
		t.Fatal(err)
	}
	changed := dep("b", "dev")
	changed.Parameters = map[string]any{"n": 2}
	changed.Schedules = []model.Schedule{{Cron: "0 7 * * *", Active: true, Slug: "new"}}
	h.opts.Atomic = true
	h.opts.Concurrency = 1
	rep := h.run(t, context.Background(), dep("a", "dev"), changed, dep("c", "boom"))
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": RolledBack, "b/dev": RolledBack, "c/boom": Failed})
	ctx := context.Background()
	if _, err := client.DeploymentByName(ctx, "a", "dev"); !IsNotFound(err) {
		t.Errorf("a/dev, created by the run, is still there: %v", err)
	}
	after, err := client.DeploymentByName(ctx, "b", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if fields := Diff(old, after, h.opts.Vars); len(fields) > 0 {
		t.Errorf("b/dev was not put back: differs in %v", fields)
	}
	if after.ID != before.ID {
		t.Errorf("b/dev was re-created (id %s, was %s): its run history would be lost", after.ID, before.ID)
	}
}

// TestRunPrune: a managed deployment that is no longer generated is
// stale; with Prune it is deleted, and a deployment without the tag is
// never touched.
func TestRunPrune(t *testing.T) {
	h := newHarness(t)
	h.run(t, context.Background(), dep("a", "dev"), dep("gone", "dev"))
	hand := dep("hand", "dev")
	hand.Tags = []string{model.EnvTag("dev")}
	h.run(t, context.Background(), hand)
	rep := h.run(t, context.Background(), dep("a", "dev"))
	if k := Counts(rep.Plan)[Stale]; k != 1 {
		t.Errorf("plan has %d stale deployments, want 1: %+v", k, rep.Plan)
	}
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Unchanged})
	h.opts.Prune = true
	rep = h.run(t, context.Background(), dep("a", "dev"))
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Unchanged, "gone/dev": Deleted})
	ctx := context.Background()
	if _, err := h.opts.Client.DeploymentByName(ctx, "gone", "dev"); !IsNotFound(err) {
		t.Errorf("gone/dev is still there: %v", err)
	}
	if _, err := h.opts.Client.DeploymentByName(ctx, "hand", "dev"); err != nil {
		t.Errorf("hand/dev, not prefectgen's, was touched: %v", err)
	}
}

// TestRunWatchdog: the server stops answering while prefect runs; the
// run ends quickly, and what was not applied says so.
func TestRunWatchdog(t *testing.T) {
	h := newHarness(t)
	h.opts.Concurrency = 1
	h.opts.BatchSize = 1
	t.Setenv("FAKE_PREFECT_SLEEP", "1500ms")
	go func() {
		time.Sleep(2500 * time.Millisecond)
		h.srv.setDown(true)
	}()
	start := time.Now()
	rep := h.run(t, context.Background(), dep("a", "dev"), dep("b", "dev"), dep("c", "dev"), dep("d", "dev"))
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v after the server went down", took)
	}
	got := outcomes(rep)
	if got["a/dev"] != Unverified || !strings.Contains(resultOf(rep, "a/dev").Reason, "the server could not be read back") {
		t.Errorf("a/dev, applied before the server went down: %+v", resultOf(rep, "a/dev"))
	}
	if got["d/dev"] != NotApplied {
		t.Errorf("d/dev: %q, want not applied: %+v", got["d/dev"], rep.Results)
	}
}

func resultOf(rep *Report, name string) Result {
	i := slices.IndexFunc(rep.Results, func(r Result) bool { return r.FullName == name })
	if i < 0 {
		return Result{}
	}
	return rep.Results[i]
}

// TestRunInterrupted: the context ends while prefect deploy runs. prefect
// is stopped, no temporary file is left, and the report says exactly
// what the server holds: the deployment applied before the interruption
// is created, the others are not applied.
func TestRunInterrupted(t *testing.T) {
	h := newHarness(t)
	h.opts.Concurrency = 1
	t.Setenv("FAKE_PREFECT_SLEEP", "700ms")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(1100 * time.Millisecond) // after the first deployment, during the second
		cancel()
	}()
	start := time.Now()
	rep := h.run(t, ctx, dep("a", "dev"), dep("b", "dev"), dep("c", "dev"))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v after the interruption", took)
	}
	if !rep.Interrupted {
		t.Error("report not marked interrupted")
	}
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Created, "b/dev": NotApplied, "c/dev": NotApplied})
	if _, err := h.opts.Client.DeploymentByName(context.Background(), "b", "dev"); !IsNotFound(err) {
		t.Errorf("b/dev is on the server though reported not applied: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "prefectgen-deploy-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	time.Sleep(time.Second) // a surviving prefect would apply b/dev now
	if _, err := h.opts.Client.DeploymentByName(context.Background(), "b", "dev"); !IsNotFound(err) {
		t.Errorf("b/dev was applied after prefectgen stopped: the prefect process survived")
	}
}

// TestRunPools: a missing pool fails the run before anything changes,
// unless CreatePools; a pool of the wrong type always does.
func TestRunPools(t *testing.T) {
	h := newHarness(t)
	d := dep("a", "dev")
	d.WorkPool = "new"
	if _, err := Run(context.Background(), "dev", []model.DeploymentConfig{d}, Scope{}, h.opts); err == nil || !strings.Contains(err.Error(), "work pools missing") {
		t.Fatalf("missing pool: %v", err)
	}
	h.opts.CreatePools = true
	rep := h.run(t, context.Background(), d)
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Created})
	if h.srv.pools["new"] != "process" {
		t.Errorf("pool not created as process: %v", h.srv.pools)
	}
	// Another deploy creates the pool between the check and the create:
	// prefect work-pool create fails with "already exists", which is fine.
	d.WorkPool = "racy"
	h.srv.pools["racy"], h.srv.hiddenPools["racy"] = "process", true
	checkOutcomes(t, h.run(t, context.Background(), d), map[string]Outcome{"a/dev": Updated})
	d.WorkPoolType = "docker"
	if _, err := Run(context.Background(), "dev", []model.DeploymentConfig{d}, Scope{}, h.opts); err == nil || !strings.Contains(err.Error(), "is of type process") {
		t.Fatalf("wrong type: %v", err)
	}
}

// TestRunUnmanaged: a deployment to create that exists without
// prefectgen's tag stops the run, unless Force takes it over: an update,
// which --atomic puts back when the run fails, never deletes.
func TestRunUnmanaged(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	hand := func(flow string) model.DeploymentConfig {
		d := dep(flow, "dev")
		d.Tags = []string{"mine"}
		return d
	}
	h.run(t, ctx, hand("a"), hand("b"))
	if _, err := Run(ctx, "dev", []model.DeploymentConfig{dep("a", "dev")}, Scope{}, h.opts); err == nil || !strings.Contains(err.Error(), "was not made by prefectgen") {
		t.Fatalf("unmanaged: %v", err)
	}
	h.opts.Force = true
	checkOutcomes(t, h.run(t, ctx, dep("a", "dev")), map[string]Outcome{"a/dev": Updated})

	before, err := h.opts.Client.DeploymentByName(ctx, "b", "dev")
	if err != nil {
		t.Fatal(err)
	}
	h.opts.Atomic, h.opts.Concurrency = true, 1
	checkOutcomes(t, h.run(t, ctx, dep("b", "dev"), dep("c", "boom")), map[string]Outcome{"b/dev": RolledBack, "c/boom": Failed})
	after, err := h.opts.Client.DeploymentByName(ctx, "b", "dev")
	if err != nil || after.ID != before.ID || !slices.Equal(after.Tags, []string{"mine"}) {
		t.Errorf("b/dev, taken over by a failed atomic run, was not put back: %+v %v", after, err)
	}
}

// TestRunDryRun changes nothing and runs no prefect.
func TestRunDryRun(t *testing.T) {
	h := newHarness(t)
	h.opts.DryRun = true
	var lines []string
	h.opts.Log = func(l string) { lines = append(lines, l) }
	rep := h.run(t, context.Background(), dep("a", "dev"))
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Planned})
	if h.invocations(t) != 0 || len(h.srv.deps) != 0 {
		t.Errorf("a dry run changed something: %d prefect runs, %d deployments", h.invocations(t), len(h.srv.deps))
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "would run: ") || !strings.Contains(lines[0], "deploy --prefect-file") {
		t.Errorf("dry run log %q", lines)
	}
}

// TestRunProgressSerialised: failures are reported from several prefect
// workers at once; the callbacks must never overlap (the race detector
// checks the unsynchronised harness callbacks).
func TestRunProgressSerialised(t *testing.T) {
	h := newHarness(t)
	h.opts.Concurrency, h.opts.BatchSize = 3, 1
	var lines []string
	h.opts.Log = func(l string) { lines = append(lines, l) }
	var desired []model.DeploymentConfig
	want := map[string]Outcome{}
	for _, f := range []string{"a", "b", "c", "d", "e", "f"} {
		desired = append(desired, dep(f, "boom"))
		want[f+"/boom"] = Failed
	}
	checkOutcomes(t, h.run(t, context.Background(), desired...), want)
	if len(h.progress) != 6 || len(lines) != 6 {
		t.Errorf("%d progress calls and %d log lines, want 6 and 6", len(h.progress), len(lines))
	}
}

// TestRunProjects: on a server shared by two repositories, a deploy
// with --prune deletes only its own project's stale deployments; one of
// another project with the same name is refused unless forced; one an
// earlier prefectgen made without a project tag is adopted when it is
// generated, and otherwise never deleted.
func TestRunProjects(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	other := func(flow, name string) model.DeploymentConfig {
		d := dep(flow, name)
		d.Tags = []string{model.ManagedTag, model.ProjectTag("q"), model.EnvTag("dev"), model.TypeTag("python")}
		return d
	}
	legacy := func(flow, name string) model.DeploymentConfig {
		d := dep(flow, name)
		d.Tags = []string{model.ManagedTag, model.EnvTag("dev"), model.TypeTag("python")}
		return d
	}
	// Repository q, and an earlier prefectgen, deployed these.
	h.opts.Project = "q"
	h.run(t, ctx, other("theirs", "dev"), other("clash", "dev"))
	h.opts.Project = ""
	h.run(t, ctx, legacy("old", "dev"), legacy("gone", "dev"))

	h.opts.Project, h.opts.Prune = "p", true
	rep := h.run(t, ctx, dep("mine", "dev"), dep("old", "dev"))
	checkOutcomes(t, rep, map[string]Outcome{"mine/dev": Created, "old/dev": Updated})
	if k := Counts(rep.Plan); k[Unowned] != 1 || k[Delete] != 0 {
		t.Errorf("plan kinds %v: want gone/dev unowned and nothing to delete", k)
	}
	for _, name := range [][2]string{{"theirs", "dev"}, {"clash", "dev"}, {"gone", "dev"}} {
		if _, err := h.opts.Client.DeploymentByName(ctx, name[0], name[1]); err != nil {
			t.Errorf("%s/%s, not this project's, was deleted: %v", name[0], name[1], err)
		}
	}
	old, _ := h.opts.Client.DeploymentByName(ctx, "old", "dev")
	if model.ProjectOf(old.Tags) != "p" {
		t.Errorf("old/dev was not adopted: tags %v", old.Tags)
	}
	if _, err := Run(ctx, "dev", []model.DeploymentConfig{dep("clash", "dev")}, Scope{}, h.opts); err == nil || !strings.Contains(err.Error(), "belongs to project q") {
		t.Fatalf("a deployment of project q: %v", err)
	}
	// Without a project nothing is ever pruned.
	h.opts.Project = ""
	if _, err := Run(ctx, "dev", nil, Scope{}, h.opts); err != ErrNoProject {
		t.Errorf("prune without a project: %v", err)
	}
	if _, err := Clean(ctx, nil, h.opts); err != ErrNoProject {
		t.Errorf("clean without a project: %v", err)
	}
}

// TestRunAtomicRollbackFails: the server stops answering during the
// rollback; the summary says the rollback failed and what the server
// holds, never "rolled back".
func TestRunAtomicRollbackFails(t *testing.T) {
	h := newHarness(t)
	h.opts.Client.Backoff = time.Millisecond
	h.opts.Atomic, h.opts.Concurrency = true, 1
	h.srv.fail = func(method, path string) int {
		if method == "DELETE" && strings.HasPrefix(path, "/deployments/") {
			h.srv.down = true // the rollback's first delete: the server dies
			return 503
		}
		return 0
	}
	rep := h.run(t, context.Background(), dep("a", "dev"), dep("b", "boom"))
	checkOutcomes(t, rep, map[string]Outcome{"a/dev": Failed, "b/boom": Failed})
	if r := resultOf(rep, "a/dev"); !strings.Contains(r.Reason, "the rollback failed") || !strings.Contains(r.Reason, "the server holds the new version") {
		t.Errorf("a/dev: %+v", r)
	}
}

// TestRunAtomicPrune: a deploy with --atomic --prune whose second delete
// fails puts back the deployment its first delete removed.
func TestRunAtomicPrune(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.run(t, ctx, dep("keep", "dev"), dep("gone1", "dev"), dep("gone2", "dev"))
	gone1, _ := h.opts.Client.DeploymentByName(ctx, "gone1", "dev")
	h.opts.Atomic, h.opts.Prune = true, true
	deletes := 0
	h.srv.fail = func(method, path string) int {
		if method == "DELETE" && strings.HasPrefix(path, "/deployments/") && !strings.Contains(path, "/schedules/") {
			if deletes++; deletes >= 2 {
				return 500
			}
		}
		return 0
	}
	h.opts.Client.Backoff = time.Millisecond
	rep := h.run(t, ctx, dep("keep", "dev"))
	if r := resultOf(rep, "gone1/dev"); r.Outcome != RolledBack {
		t.Errorf("gone1/dev, pruned then put back: %+v", r)
	}
	if r := resultOf(rep, "gone2/dev"); r.Outcome != Failed {
		t.Errorf("gone2/dev, whose delete failed: %+v", r)
	}
	back, err := h.opts.Client.DeploymentByName(ctx, "gone1", "dev")
	if err != nil {
		t.Fatalf("gone1/dev was not put back: %v", err)
	}
	if fields := Diff(dep("gone1", "dev"), back, h.opts.Vars); len(fields) > 0 {
		t.Errorf("gone1/dev came back different in %v (was %s)", fields, gone1.ID)
	}
}
