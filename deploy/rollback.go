package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// rollbackTimeout bounds a rollback, which runs even after the run was
// interrupted.
const rollbackTimeout = 2 * time.Minute

// restoredFields are the fields of a deployment put back by a rollback:
// everything prefect deploy sets.
var restoredFields = []string{"version", "description", "paused", "parameters", "parameter_openapi_schema", "tags",
	"work_queue_name", "work_pool_name", "job_variables", "pull_steps", "entrypoint", "enforce_parameter_schema", "path"}

// rollback puts the deployments the run changed back as the plan read
// them: updated ones get every field and schedule back, created ones are
// deleted. It is how deploy --atomic keeps a server from ending half old
// and half new. It returns the results, each saying what the server holds
// now.
func (r *run) rollback(ctx context.Context, actions []Action, results []Result) []Result {
	r.log("rolling back what this run changed (--atomic)")
	index := map[string]int{}
	for i, res := range results {
		index[res.FullName] = i
	}
	for _, a := range actions {
		i, ok := index[a.FullName]
		if a.Kind == Delete && ok && results[i].Outcome == Deleted {
			res := &results[i]
			if err := r.recreate(ctx, a.Live); err != nil {
				res.Outcome, res.Reason = Failed, fmt.Sprintf("deleted, and re-creating it failed: %v; it is no longer on the server", err)
			} else {
				res.Outcome, res.Reason = RolledBack, "deleted by this run: re-created as it was (its past runs stay with the deleted one)"
			}
			r.log("rollback of %s: %s", a.FullName, res.Outcome)
			continue
		}
		if !a.changes() || a.Desired == nil || !ok {
			continue
		}
		res := &results[i]
		undone, err := r.undo(ctx, a)
		switch {
		case err != nil && res.Outcome == Failed:
			res.Reason += fmt.Sprintf("; the rollback failed too (%v): the server may hold the new version", err)
		case err != nil:
			res.Outcome = Failed
			res.Reason = fmt.Sprintf("%s, but the rollback failed: %v; the server holds the new version", res.Outcome, err)
		case !undone:
			// never applied: the server holds it as before
		case res.Outcome == Failed:
			res.Reason += "; rolled back: the server holds it as before"
		default:
			res.Outcome, res.Reason = RolledBack, "restored as it was"
			if a.Kind == Create && !a.Unmanaged {
				res.Reason, res.ID, res.URL = "created by this run: deleted", "", ""
			}
		}
		r.log("rollback of %s: %s", a.FullName, res.Outcome)
	}
	return results
}

// undo puts back one deployment; undone is false when there was nothing
// to undo (it was never applied).
func (r *run) undo(ctx context.Context, a Action) (undone bool, err error) {
	now, err := r.Client.DeploymentByName(ctx, a.Desired.FlowName, a.Desired.DeploymentName)
	switch {
	case IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	if a.Kind == Create && !a.Unmanaged {
		if err := r.Client.DeleteDeployment(ctx, now.ID); err != nil && !IsNotFound(err) {
			return false, err
		}
		return true, nil
	}
	if a.Live == nil || sameDeployment(now, a.Live) {
		return false, nil // not changed since the plan read it
	}
	return true, r.restore(ctx, now.ID, a.Live)
}

// sameDeployment reports whether the server's deployment is still the
// one the plan read.
func sameDeployment(now, was *Deployment) bool {
	return now.Raw["updated"] != nil && now.Raw["updated"] == was.Raw["updated"]
}

// restore patches a deployment back to a former state, schedules included
// (by slug; schedules the run added are deleted).
func (r *run) restore(ctx context.Context, id string, was *Deployment) error {
	body := map[string]any{}
	for _, f := range restoredFields {
		if v, ok := was.Raw[f]; ok {
			body[f] = v
		}
	}
	if n := was.ConcurrencyLimit(); n > 0 {
		body["concurrency_limit"] = n
	} else {
		body["concurrency_limit"] = nil
	}
	var scheds []map[string]any
	keep := map[string]bool{}
	for _, s := range was.Schedules {
		keep[s.Slug] = true
		scheds = append(scheds, scheduleBody(s))
	}
	if len(scheds) > 0 {
		body["schedules"] = scheds
	}
	if err := r.Client.do(ctx, http.MethodPatch, "/deployments/"+url.PathEscape(id), body, nil); err != nil {
		return err
	}
	now, err := r.Client.deploymentByID(ctx, id)
	if err != nil {
		return err
	}
	for _, s := range now.Schedules {
		if !keep[s.Slug] {
			if err := r.Client.do(ctx, http.MethodDelete, "/deployments/"+url.PathEscape(id)+"/schedules/"+url.PathEscape(s.ID), nil, nil); err != nil {
				return fmt.Errorf("deleting schedule %s: %w", s.Slug, err)
			}
		}
	}
	return nil
}

// createdFields are the fields of a deployment a re-creation sends.
var createdFields = []string{"name", "flow_id", "version", "description", "paused", "parameters", "parameter_openapi_schema",
	"tags", "labels", "work_queue_name", "work_pool_name", "job_variables", "pull_steps", "entrypoint", "enforce_parameter_schema", "path"}

// recreate creates a deleted deployment again, as it was.
func (r *run) recreate(ctx context.Context, was *Deployment) error {
	body := map[string]any{}
	for _, f := range createdFields {
		if v, ok := was.Raw[f]; ok && v != nil {
			body[f] = v
		}
	}
	if n := was.ConcurrencyLimit(); n > 0 {
		body["concurrency_limit"] = n
	}
	var scheds []map[string]any
	for _, s := range was.Schedules {
		scheds = append(scheds, scheduleBody(s))
	}
	if len(scheds) > 0 {
		body["schedules"] = scheds
	}
	return r.Client.do(ctx, http.MethodPost, "/deployments/", body, nil)
}

// scheduleBody is a schedule as the API takes it back.
func scheduleBody(s Schedule) map[string]any {
	raw := map[string]any{"active": s.Active, "slug": s.Slug, "parameters": nilToEmpty(s.Parameters)}
	sch := map[string]any{"timezone": s.Schedule.Timezone}
	switch {
	case s.Schedule.Cron != "":
		sch["cron"] = s.Schedule.Cron
		if s.Schedule.DayOr != nil {
			sch["day_or"] = *s.Schedule.DayOr
		}
	case s.Schedule.RRule != "":
		sch["rrule"] = s.Schedule.RRule
	default:
		sch["interval"] = s.Schedule.Interval
		if s.Schedule.AnchorDate != "" {
			sch["anchor_date"] = s.Schedule.AnchorDate
		}
	}
	raw["schedule"] = sch
	return raw
}
