package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"prefectgen/model"
)

// image is one image to build, with the deployments that use it.
type image struct {
	ref, dockerfile, registry string
	flows                     []string
	deployments               []string
}

// images returns the images of deps, each once, sorted by reference.
func (r *run) images(deps []*model.DeploymentConfig) []*image {
	byRef := map[string]*image{}
	var order []string
	for _, d := range deps {
		if d.Image == "" {
			continue
		}
		ref, _ := ResolveEnv(d.Image, r.Vars).(string)
		im, ok := byRef[ref]
		if !ok {
			im = &image{ref: ref, dockerfile: d.Dockerfile, registry: d.Registry}
			byRef[ref] = im
			order = append(order, ref)
		}
		if !slices.Contains(im.flows, d.FlowName) {
			im.flows = append(im.flows, d.FlowName)
		}
		im.deployments = append(im.deployments, d.FullName)
	}
	sort.Strings(order)
	out := make([]*image, len(order))
	for i, ref := range order {
		out[i] = byRef[ref]
	}
	return out
}

// commands returns the docker commands of one image for verb: build
// (then push when the environment has a registry), push or pull.
func (r *run) commands(im *image, verb string) []Command {
	docker := func(args ...string) Command { return Command{Dir: r.Root, Args: append([]string{r.Docker}, args...)} }
	switch verb {
	case "push":
		return []Command{docker("push", im.ref)}
	case "pull":
		return []Command{docker("pull", im.ref)}
	}
	cmds := []Command{docker("build", "--force-rm", "-f", im.dockerfile, "-t", im.ref,
		"--label", "org.opencontainers.image.revision="+r.Revision,
		"--label", "dev.prefectgen.flows="+strings.Join(im.flows, ","), ".")}
	if im.registry != "" {
		cmds = append(cmds, docker("push", im.ref))
	}
	return cmds
}

// dockerRun runs verb for every image of deps, Concurrency at a time, and
// returns the deployments whose image failed, with the reason: a failed
// image fails only the deployments that use it.
func (r *run) dockerRun(ctx context.Context, deps []*model.DeploymentConfig, verb string) map[string]string {
	failed := map[string]string{}
	var mu sync.Mutex
	sem := make(chan struct{}, max(1, r.Concurrency))
	var wg sync.WaitGroup
	for _, im := range r.images(deps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, c := range r.commands(im, verb) {
				if r.DryRun {
					r.log("would run: %s", c)
					continue
				}
				r.log("running: %s", c)
				if o := runCommand(ctx, c); o.err != nil {
					mu.Lock()
					for _, dep := range im.deployments {
						failed[dep] = fmt.Sprintf("docker %s of %s failed: %s", c.Args[1], im.ref, o.tail(3))
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

// buildImages builds (and pushes) the images of the deployments the plan
// changes.
func (r *run) buildImages(ctx context.Context, actions []Action) map[string]string {
	var deps []*model.DeploymentConfig
	for _, a := range actions {
		if a.changes() && a.Desired != nil {
			deps = append(deps, a.Desired)
		}
	}
	return r.dockerRun(ctx, deps, "build")
}

// Images runs verb (build, push or pull) for the images of deps, each
// image once, and returns a failed result for every deployment whose
// image failed.
func Images(ctx context.Context, deps []model.DeploymentConfig, verb string, o Options) []Result {
	r := &run{Options: o}
	ptrs := make([]*model.DeploymentConfig, len(deps))
	for i := range deps {
		ptrs[i] = &deps[i]
	}
	failed := r.dockerRun(ctx, ptrs, verb)
	var out []Result
	for _, d := range deps {
		if reason, bad := failed[d.FullName]; bad {
			out = append(out, Result{FullName: d.FullName, Outcome: Failed, Reason: reason})
		}
	}
	return out
}
