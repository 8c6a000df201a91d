package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"prefectgen/model"
)

// checkPools checks that every work pool of the deployments exists with
// the right type, creating missing ones with CreatePools.
func (r *run) checkPools(ctx context.Context, deps []model.DeploymentConfig) error {
	type pool struct{ name, typ string }
	var pools []pool
	seen := map[string]bool{}
	for _, d := range deps {
		if !seen[d.WorkPool] {
			seen[d.WorkPool] = true
			pools = append(pools, pool{d.WorkPool, d.WorkPoolType})
		}
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].name < pools[j].name })
	var missing []string
	for _, p := range pools {
		wp, err := r.Client.WorkPool(ctx, p.name)
		switch {
		case IsNotFound(err):
			if !r.CreatePools {
				missing = append(missing, fmt.Sprintf("%s (%s)", p.name, p.typ))
				continue
			}
			if err := r.createPool(ctx, p.name, p.typ); err != nil {
				return fmt.Errorf("creating work pool %s: %w", p.name, err)
			}
		case err != nil:
			return fmt.Errorf("reading work pool %s: %w", p.name, err)
		case wp.Type != p.typ:
			return fmt.Errorf("work pool %s is of type %s, but its deployments need %s", p.name, wp.Type, p.typ)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("work pools missing on %s: %s; create them, or deploy with --create-pools", r.Client.API, strings.Join(missing, ", "))
	}
	return nil
}

// createPool creates a work pool of a type with the prefect tool, which
// knows the type's default job template.
func (r *run) createPool(ctx context.Context, name, typ string) error {
	c := Command{Dir: r.Root, Env: r.env(), Args: []string{r.Prefect, "--no-prompt", "work-pool", "create", name, "--type", typ}}
	if r.DryRun {
		r.log("would run: %s", c)
		return nil
	}
	r.log("running: %s", c)
	if o := runCommand(ctx, c); o.err != nil {
		// Another deploy may have created it meanwhile: that is fine when
		// it has the type wanted.
		if wp, err := r.Client.WorkPool(ctx, name); err == nil && wp.Type == typ {
			r.log("work pool %s was created meanwhile, as %s", name, typ)
			return nil
		}
		return errors.New(o.reason())
	}
	return nil
}
