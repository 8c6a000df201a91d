package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"prefectgen/model"
)

// Command is one run of an outside tool.
type Command struct {
	Dir  string
	Args []string
	// Env are the variables set for it on top of the environment.
	Env []string
}

// String writes the command as a shell would read it.
func (c Command) String() string {
	var parts []string
	for _, e := range c.Env {
		parts = append(parts, shellQuote(e))
	}
	for _, a := range c.Args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// output is what a command printed.
type output struct {
	stdout, stderr []byte
	err            error
	took           time.Duration
}

func runCommand(ctx context.Context, c Command) output {
	start := time.Now()
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return output{stdout: stdout.Bytes(), stderr: stderr.Bytes(), err: err, took: time.Since(start)}
}

// reason extracts why a command failed: the last line of its error
// output (a Python exception), else of its output.
func (o output) reason() string {
	for _, b := range [][]byte{o.stderr, o.stdout} {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			l := strings.TrimSpace(strings.Trim(lines[i], "│╰╭─ "))
			if l != "" && l != "An exception occurred." {
				return l
			}
		}
	}
	if o.err != nil {
		return o.err.Error()
	}
	return "failed"
}

// Result is what happened to one deployment.
type Result struct {
	FullName string
	// Kind is created, updated, unchanged, deleted, failed or planned
	// (a dry run).
	Kind     string
	Reason   string
	ID       string
	URL      string
	Duration time.Duration
}

// watchdogInterval is how often Apply checks that the server answers.
const watchdogInterval = 2 * time.Second

// Deployer applies a plan with the prefect and docker tools.
type Deployer struct {
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
	// DryRun prints the commands instead of running them.
	DryRun bool
	// Log receives one line per command and per finished deployment.
	Log func(string)
	// Progress is called as each deployment finishes.
	Progress func(Result)
}

func (d *Deployer) log(format string, a ...any) {
	if d.Log != nil {
		d.Log(fmt.Sprintf(format, a...))
	}
}

func (d *Deployer) env() []string {
	env := []string{"PREFECT_API_URL=" + d.Client.API, "PREFECT_CLI_PROMPT=false", "PREFECT_CLI_COLORS=false", "COLUMNS=400"}
	if strings.HasPrefix(d.Client.API, "http://") {
		// Plain HTTP has no certificates to check, but every Prefect client
		// loads the CA bundle when it is built, several times per
		// deployment: a fifth of prefect deploy's time.
		env = append(env, "PREFECT_API_TLS_INSECURE_SKIP_VERIFY=true")
	}
	keys := make([]string, 0, len(d.Vars))
	for k := range d.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+d.Vars[k])
	}
	return env
}

// image is one image to build, with the deployments that use it.
type image struct {
	ref, dockerfile, registry string
	flows                     []string
	deployments               []string
}

// ImageCommands returns, for the deployments to apply, the docker build
// (and push) commands of every image they use, each image once.
func (d *Deployer) images(actions []Action) []*image {
	byRef := map[string]*image{}
	var order []string
	for _, a := range actions {
		if a.Desired == nil || a.Desired.Image == "" || (a.Kind != Create && a.Kind != Update) {
			continue
		}
		ref, _ := ResolveEnv(a.Desired.Image, d.Vars).(string)
		im, ok := byRef[ref]
		if !ok {
			im = &image{ref: ref, dockerfile: a.Desired.Dockerfile, registry: a.Desired.Registry}
			byRef[ref] = im
			order = append(order, ref)
		}
		if !slices.Contains(im.flows, a.Desired.FlowName) {
			im.flows = append(im.flows, a.Desired.FlowName)
		}
		im.deployments = append(im.deployments, a.FullName)
	}
	sort.Strings(order)
	out := make([]*image, len(order))
	for i, r := range order {
		out[i] = byRef[r]
	}
	return out
}

// BuildCommands returns the docker commands of one image: build, then
// push when the environment has a registry.
func (d *Deployer) buildCommands(im *image) []Command {
	build := Command{Dir: d.Root, Args: []string{d.Docker, "build", "-f", im.dockerfile, "-t", im.ref,
		"--label", "org.opencontainers.image.revision=" + d.Revision,
		"--label", "dev.prefectgen.flows=" + strings.Join(im.flows, ","), "."}}
	cmds := []Command{build}
	if im.registry != "" {
		cmds = append(cmds, Command{Dir: d.Root, Args: []string{d.Docker, "push", im.ref}})
	}
	return cmds
}

// BuildImages builds (and pushes) the images of the deployments to apply,
// Concurrency at a time. It returns the failed deployments with the
// reason: a failed image fails only the deployments that use it.
func (d *Deployer) BuildImages(ctx context.Context, actions []Action) map[string]string {
	return d.Images(ctx, actions, "build")
}

// Images runs verb (build, push or pull) for every image of the actions.
func (d *Deployer) Images(ctx context.Context, actions []Action, verb string) map[string]string {
	failed := map[string]string{}
	var mu sync.Mutex
	ims := d.images(actions)
	sem := make(chan struct{}, max(1, d.Concurrency))
	var wg sync.WaitGroup
	for _, im := range ims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmds := d.buildCommands(im)
			switch verb {
			case "push":
				cmds = []Command{{Dir: d.Root, Args: []string{d.Docker, "push", im.ref}}}
			case "pull":
				cmds = []Command{{Dir: d.Root, Args: []string{d.Docker, "pull", im.ref}}}
			}
			for _, c := range cmds {
				if d.DryRun {
					d.log("would run: %s", c)
					continue
				}
				d.log("running: %s", c)
				o := runCommand(ctx, c)
				if o.err != nil {
					verb := c.Args[1]
					mu.Lock()
					for _, dep := range im.deployments {
						failed[dep] = fmt.Sprintf("docker %s of %s failed: %s", verb, im.ref, o.reason())
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// Apply deploys the create and update actions with prefect deploy:
// batches of BatchSize deployments per process, Concurrency processes at
// a time. When a process fails, the deployments it applied before the
// failure are kept, the failing one is reported, and the rest are applied
// again in a new batch: one failure never stops or hides the others. Every
// applied deployment is then read back from the server and compared with
// what was intended.
func (d *Deployer) Apply(ctx context.Context, actions []Action, skip map[string]string) []Result {
	var todo []model.DeploymentConfig
	var results []Result
	var mu sync.Mutex
	report := func(r Result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
		if d.Progress != nil {
			d.Progress(r)
		}
	}
	kinds := map[string]string{}
	for _, a := range actions {
		switch {
		case a.Kind != Create && a.Kind != Update:
			continue
		case skip[a.FullName] != "":
			report(Result{FullName: a.FullName, Kind: "failed", Reason: skip[a.FullName]})
			continue
		}
		kinds[a.FullName] = map[string]string{Create: "created", Update: "updated"}[a.Kind]
		todo = append(todo, *a.Desired)
	}
	if len(todo) == 0 {
		return results
	}
	workers := max(1, min(d.Concurrency, len(todo)))
	size := max(1, (len(todo)+workers-1)/workers)
	if d.BatchSize > 0 {
		size = min(size, d.BatchSize)
	}
	batches := make(chan []model.DeploymentConfig, len(todo)+1)
	var pending sync.WaitGroup
	for start := 0; start < len(todo); start += size {
		pending.Add(1)
		batches <- todo[start:min(start+size, len(todo))]
	}
	applied := map[string]time.Duration{}
	go func() { pending.Wait(); close(batches) }()
	var wg sync.WaitGroup
	var down error // set when the server stopped answering: nothing more is tried
	// A watchdog: when the server stops answering, the prefect processes
	// would retry for a minute each; end them instead and fail fast.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchDone := make(chan struct{})
	defer close(watchDone)
	if !d.DryRun {
		go func() {
			tick := time.NewTicker(watchdogInterval)
			defer tick.Stop()
			for {
				select {
				case <-watchDone:
					return
				case <-tick.C:
					if err := d.Client.Health(runCtx); err != nil && runCtx.Err() == nil {
						mu.Lock()
						down = err
						mu.Unlock()
						cancel()
						return
					}
				}
			}
		}()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				mu.Lock()
				stop := down
				mu.Unlock()
				if stop != nil {
					for _, b := range batch {
						report(Result{FullName: b.FullName, Kind: "failed", Reason: "not applied: " + stop.Error()})
					}
					pending.Done()
					continue
				}
				ok, failedAt, reason, took := d.applyBatch(runCtx, batch)
				if failedAt >= 0 && !d.DryRun {
					if err := d.Client.Health(ctx); err != nil {
						mu.Lock()
						down = err
						mu.Unlock()
						cancel()
					}
					mu.Lock()
					if down != nil {
						reason = "not applied: " + down.Error()
					}
					mu.Unlock()
				}
				mu.Lock()
				for _, dep := range ok {
					applied[dep] = took
				}
				mu.Unlock()
				if failedAt >= 0 {
					report(Result{FullName: batch[failedAt].FullName, Kind: "failed", Reason: reason, Duration: took})
					if rest := batch[failedAt+1:]; len(rest) > 0 {
						pending.Add(1)
						batches <- rest
					}
				}
				pending.Done()
			}
		}()
	}
	wg.Wait()
	// Read every applied deployment back, in one listing when possible.
	var live map[string]*Deployment
	if !d.DryRun && len(applied) > 0 {
		names := make([]string, 0, len(applied))
		for _, dep := range todo {
			if _, ok := applied[dep.FullName]; ok {
				names = append(names, dep.DeploymentName)
			}
		}
		if ds, err := d.Client.DeploymentsNamed(ctx, names); err == nil {
			live = map[string]*Deployment{}
			for i := range ds {
				live[ds[i].FullName()] = &ds[i]
			}
		}
	}
	for _, dep := range todo {
		took, ok := applied[dep.FullName]
		if !ok {
			continue
		}
		r := Result{FullName: dep.FullName, Kind: kinds[dep.FullName], Duration: took}
		if d.DryRun {
			r.Kind = "planned"
			report(r)
			continue
		}
		if err := d.verify(ctx, dep, live[dep.FullName], &r); err != nil {
			r.Kind, r.Reason = "failed", err.Error()
		}
		report(r)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].FullName < results[j].FullName })
	return results
}

// applyBatch runs one prefect deploy over a batch. It returns the
// deployments applied, the index of the one that failed (-1 when none)
// and why.
func (d *Deployer) applyBatch(ctx context.Context, batch []model.DeploymentConfig) (ok []string, failedAt int, reason string, took time.Duration) {
	content, err := d.Render(batch)
	if err != nil {
		return nil, 0, "rendering the deployment: " + err.Error(), 0
	}
	dir, err := os.MkdirTemp("", "prefectgen-deploy-")
	if err != nil {
		return nil, 0, err.Error(), 0
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "prefect.yaml")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		return nil, 0, err.Error(), 0
	}
	c := Command{Dir: d.Root, Env: d.env(), Args: []string{d.Prefect, "--no-prompt", "deploy", "--prefect-file", file, "--all"}}
	var names []string
	for _, b := range batch {
		names = append(names, b.FullName)
	}
	if d.DryRun {
		d.log("would run: %s   # %s", c, strings.Join(names, ", "))
		for _, b := range batch {
			ok = append(ok, b.FullName)
		}
		return ok, -1, "", 0
	}
	d.log("running: prefect deploy of %s", strings.Join(names, ", "))
	o := runCommand(ctx, c)
	out := string(o.stdout)
	for i, b := range batch {
		if strings.Contains(out, "Deployment '"+b.FullName+"' successfully created") {
			ok = append(ok, b.FullName)
			continue
		}
		if o.err == nil {
			ok = append(ok, b.FullName) // applied; the read-back will tell
			continue
		}
		return ok, i, o.reason(), o.took
	}
	if o.err != nil && len(ok) == len(batch) {
		return ok[:len(ok)-1], len(batch) - 1, o.reason(), o.took
	}
	return ok, -1, "", o.took
}

// verify reads a deployment back and compares it with what was intended.
// Prefect never clears schedules: when every schedule was removed, the
// server's are deleted here.
func (d *Deployer) verify(ctx context.Context, want model.DeploymentConfig, live *Deployment, r *Result) error {
	var err error
	if live == nil {
		if live, err = d.Client.DeploymentByName(ctx, want.FlowName, want.DeploymentName); err != nil {
			return fmt.Errorf("not on the server after deploying: %w", err)
		}
	}
	r.ID, r.URL = live.ID, UIURL(d.UI, live.ID)
	fields := Diff(want, live, d.Vars)
	if slices.Contains(fields, "schedules") {
		if err := d.pruneSchedules(ctx, want, live); err != nil {
			return err
		}
		if live, err = d.Client.DeploymentByName(ctx, want.FlowName, want.DeploymentName); err != nil {
			return err
		}
		fields = Diff(want, live, d.Vars)
	}
	if len(fields) > 0 {
		return fmt.Errorf("the server's deployment differs from the intended one in %s", strings.Join(fields, ", "))
	}
	return nil
}

// pruneSchedules deletes the server's schedules whose slug is not
// wanted, which prefect deploy leaves in place.
func (d *Deployer) pruneSchedules(ctx context.Context, want model.DeploymentConfig, live *Deployment) error {
	keep := map[string]bool{}
	for _, s := range want.Schedules {
		keep[s.Slug] = true
	}
	for _, s := range live.Schedules {
		if !keep[s.Slug] {
			if err := d.Client.do(ctx, "DELETE", "/deployments/"+live.ID+"/schedules/"+s.ID, nil, nil); err != nil {
				return fmt.Errorf("deleting schedule %s: %w", s.Slug, err)
			}
		}
	}
	return nil
}

// Delete deletes the delete actions' deployments, which carry
// prefectgen's tag (the plan only lists those).
func (d *Deployer) Delete(ctx context.Context, actions []Action) []Result {
	var out []Result
	for _, a := range actions {
		if a.Kind != Delete || a.Live == nil {
			continue
		}
		if !slices.Contains(a.Live.Tags, model.ManagedTag) {
			out = append(out, Result{FullName: a.FullName, Kind: "failed", Reason: "not managed by prefectgen; left alone"})
			continue
		}
		if d.DryRun {
			d.log("would delete: %s (%s)", a.FullName, a.Live.ID)
			out = append(out, Result{FullName: a.FullName, Kind: "planned"})
			continue
		}
		if err := d.Client.DeleteDeployment(ctx, a.Live.ID); err != nil && !IsNotFound(err) {
			out = append(out, Result{FullName: a.FullName, Kind: "failed", Reason: err.Error()})
			continue
		}
		out = append(out, Result{FullName: a.FullName, Kind: "deleted"})
	}
	return out
}

// CreatePool creates a work pool of a type with the prefect tool, which
// knows the type's default job template.
func (d *Deployer) CreatePool(ctx context.Context, name, typ string) error {
	c := Command{Dir: d.Root, Env: d.env(), Args: []string{d.Prefect, "--no-prompt", "work-pool", "create", name, "--type", typ}}
	if d.DryRun {
		d.log("would run: %s", c)
		return nil
	}
	d.log("running: %s", c)
	if o := runCommand(ctx, c); o.err != nil {
		return errors.New(o.reason())
	}
	return nil
}
