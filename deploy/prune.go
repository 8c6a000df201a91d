package deploy

import (
	"context"
	"slices"

	"prefectgen/model"
)

// prune deletes the plan's Delete actions, which carry prefectgen's tag
// (the plan only lists those).
func (r *run) prune(ctx context.Context, actions []Action) []Result {
	var out []Result
	for _, a := range actions {
		if a.Kind != Delete || a.Live == nil {
			continue
		}
		res := Result{FullName: a.FullName}
		switch {
		case !slices.Contains(a.Live.Tags, model.ManagedTag) || model.ProjectOf(a.Live.Tags) != r.Project:
			res.Outcome, res.Reason = Failed, "not this project's; left alone"
		case r.DryRun:
			r.log("would delete: %s (%s)", a.FullName, a.Live.ID)
			res.Outcome = Planned
		case ctx.Err() != nil:
			res.Outcome, res.Reason = NotApplied, "interrupted"
		default:
			res.Outcome = Deleted
			if err := r.Client.DeleteDeployment(ctx, a.Live.ID); err != nil && !IsNotFound(err) {
				res.Outcome, res.Reason = Failed, err.Error()
			}
		}
		out = append(out, res)
	}
	return out
}

// Clean deletes the stale deployments of a plan: those prefectgen made
// for the project and no longer generates. It needs a project.
func Clean(ctx context.Context, actions []Action, o Options) ([]Result, error) {
	if o.Project == "" {
		return nil, ErrNoProject
	}
	r := &run{Options: o}
	var deletes []Action
	for _, a := range actions {
		if a.Kind == Stale || a.Kind == Delete {
			a.Kind = Delete
			deletes = append(deletes, a)
		}
	}
	return r.prune(ctx, deletes), nil
}
