package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// restoredFields are the fields of a deployment put back by a rollback:
// everything prefect deploy sets.
var restoredFields = []string{"version", "description", "paused", "parameters", "parameter_openapi_schema", "tags",
	"work_queue_name", "work_pool_name", "job_variables", "pull_steps", "entrypoint", "enforce_parameter_schema", "path"}

// Rollback puts the deployments a run changed back as the plan read them
// before it: updated ones get every field and schedule back, created ones
// are deleted. It is how deploy --atomic keeps a server from ending half
// old and half new.
func (d *Deployer) Rollback(ctx context.Context, actions []Action) []Result {
	var out []Result
	for _, a := range actions {
		if a.Kind != Create && a.Kind != Update || a.Desired == nil {
			continue
		}
		now, err := d.Client.DeploymentByName(ctx, a.Desired.FlowName, a.Desired.DeploymentName)
		switch {
		case IsNotFound(err):
			continue // never applied
		case err != nil:
			out = append(out, Result{FullName: a.FullName, Kind: "failed", Reason: "rolling back: " + err.Error()})
			continue
		}
		if a.Kind == Create && !a.Unmanaged {
			if err := d.Client.DeleteDeployment(ctx, now.ID); err != nil && !IsNotFound(err) {
				out = append(out, Result{FullName: a.FullName, Kind: "failed", Reason: "rolling back: " + err.Error()})
				continue
			}
			out = append(out, Result{FullName: a.FullName, Kind: "rolled back", Reason: "created by this run: deleted"})
			continue
		}
		if err := d.restore(ctx, now.ID, a.Live); err != nil {
			out = append(out, Result{FullName: a.FullName, Kind: "failed", Reason: "rolling back: " + err.Error()})
			continue
		}
		out = append(out, Result{FullName: a.FullName, Kind: "rolled back", Reason: "restored as it was", ID: now.ID, URL: UIURL(d.UI, now.ID)})
	}
	return out
}

// restore patches a deployment back to a former state, schedules included
// (by slug; schedules the run added are deleted).
func (d *Deployer) restore(ctx context.Context, id string, was *Deployment) error {
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
		scheds = append(scheds, raw)
	}
	if len(scheds) > 0 {
		body["schedules"] = scheds
	}
	if err := d.Client.do(ctx, http.MethodPatch, "/deployments/"+url.PathEscape(id), body, nil); err != nil {
		return err
	}
	now, err := d.Client.deploymentByID(ctx, id)
	if err != nil {
		return err
	}
	for _, s := range now.Schedules {
		if !keep[s.Slug] {
			if err := d.Client.do(ctx, http.MethodDelete, "/deployments/"+url.PathEscape(id)+"/schedules/"+url.PathEscape(s.ID), nil, nil); err != nil {
				return fmt.Errorf("deleting schedule %s: %w", s.Slug, err)
			}
		}
	}
	return nil
}
