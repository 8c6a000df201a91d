package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"prefectgen/model"
)

// RunResult is how one smoke run of a deployment ended.
type RunResult struct {
	FullName string
	RunID    string
	RunName  string
	// State is the run's final state (Completed, Failed, Crashed,
	// Cancelled), or where it stood when the wait ended (Scheduled,
	// Pending, Running), or "Missing" when the deployment is not on the
	// server.
	State    string
	Duration time.Duration
	URL      string
	// Logs are the run's error log lines (or its last lines when there
	// are none), for a run that did not complete.
	Logs []string
	// Note says why there is no run, or that no worker serves its pool.
	Note string
}

// Skipped is the State of a deployment Smoke cannot start a run of: a
// required parameter has no value.
const Skipped = "Skipped"

// Completed reports whether the run completed.
func (r RunResult) Completed() bool { return r.State == "Completed" }

// runtimeParameters are the required parameters of a deployment that have
// no value: a run started without them fails.
func runtimeParameters(d model.DeploymentConfig) []string {
	var out []string
	for _, p := range d.Signature {
		if _, ok := d.Parameters[p.Name]; p.Required && !ok {
			out = append(out, p.Name)
		}
	}
	return out
}

// SmokeOptions are how Smoke runs deployments.
type SmokeOptions struct {
	Client *Client
	UI     string
	// Timeout bounds the wait for every run to end.
	Timeout time.Duration
	// Poll is how often the runs are read; 0 means a second.
	Poll time.Duration
	// Done is called as each run ends. Calls never overlap.
	Done func(RunResult)
}

// flowRun is a flow run as the API returns it.
type flowRun struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"state"`
	TotalRunTime float64 `json:"total_run_time"`
	StartTime    string  `json:"start_time"`
	EndTime      string  `json:"end_time"`
}

// terminal reports whether a state type is final.
func terminal(typ string) bool {
	return slices.Contains([]string{"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}, typ)
}

// Smoke starts one run of every deployment, with its configured
// parameters, waits until every run ends or the timeout, and returns how
// each ended, sorted by name.
func Smoke(ctx context.Context, deps []model.DeploymentConfig, o SmokeOptions) ([]RunResult, error) {
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	var mu sync.Mutex
	done := func(r RunResult) {
		mu.Lock()
		defer mu.Unlock()
		if o.Done != nil {
			o.Done(r)
		}
	}
	idle := map[string]bool{}
	// results never grows past its capacity, so pointers into it stay
	// valid.
	results := make([]RunResult, 0, len(deps))
	pending := map[string]*RunResult{}
	for _, d := range deps {
		r := RunResult{FullName: d.FullName}
		if missing := runtimeParameters(d); len(missing) > 0 {
			r.State = Skipped
			var params []string
			for _, m := range missing {
				params = append(params, "--param "+m+"=...")
			}
			r.Note = fmt.Sprintf("requires %s, which has no configured value: start a run with prefect deployment run '%s' %s",
				strings.Join(missing, ", "), d.FullName, strings.Join(params, " "))
			done(r)
			results = append(results, r)
			continue
		}
		live, err := o.Client.DeploymentByName(ctx, d.FlowName, d.DeploymentName)
		if IsNotFound(err) {
			r.State, r.Note = "Missing", "not on the server: deploy it first"
			done(r)
			results = append(results, r)
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, seen := idle[live.WorkPoolName]; !seen {
			online, err := o.Client.OnlineWorkers(ctx, live.WorkPoolName)
			if err != nil {
				return nil, err
			}
			idle[live.WorkPoolName] = online == 0
		}
		var run flowRun
		if err := o.Client.do(ctx, http.MethodPost, "/deployments/"+url.PathEscape(live.ID)+"/create_flow_run", map[string]any{}, &run); err != nil {
			return nil, fmt.Errorf("starting a run of %s: %w", d.FullName, err)
		}
		r.RunID, r.RunName, r.State = run.ID, run.Name, run.State.Name
		r.URL = RunURL(o.UI, run.ID)
		if idle[live.WorkPoolName] {
			r.Note = fmt.Sprintf("no worker is polling work pool %s: start one with 'prefect worker start --pool %s'", live.WorkPoolName, live.WorkPoolName)
		}
		results = append(results, r)
		pending[r.RunID] = &results[len(results)-1]
	}
	deadline := time.Now().Add(o.Timeout)
	for len(pending) > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Poll):
		}
		for id, r := range pending {
			var run flowRun
			if err := o.Client.do(ctx, http.MethodGet, "/flow_runs/"+url.PathEscape(id), nil, &run); err != nil {
				return nil, fmt.Errorf("reading run %s of %s: %w", r.RunName, r.FullName, err)
			}
			r.State = run.State.Name
			r.Duration = time.Duration(run.TotalRunTime * float64(time.Second))
			if !terminal(run.State.Type) {
				continue
			}
			delete(pending, id)
			if !r.Completed() {
				r.Logs = o.Client.runLogs(ctx, id)
			}
			done(*r)
		}
	}
	for _, r := range pending {
		r.Logs = o.Client.runLogs(ctx, r.RunID)
		done(*r)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].FullName < results[j].FullName })
	return results, nil
}

// OnlineWorkers counts the workers polling a work pool now.
func (c *Client) OnlineWorkers(ctx context.Context, pool string) (int, error) {
	var workers []struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodPost, "/work_pools/"+url.PathEscape(pool)+"/workers/filter", map[string]any{}, &workers); err != nil {
		return 0, fmt.Errorf("reading the workers of %s: %w", pool, err)
	}
	n := 0
	for _, w := range workers {
		if w.Status == "ONLINE" {
			n++
		}
	}
	return n, nil
}

// runLogLines bounds the log lines kept of a failed run.
const runLogLines = 20

// runLogs returns a run's error lines, or its last lines when it has
// none; nothing when they cannot be read.
func (c *Client) runLogs(ctx context.Context, runID string) []string {
	read := func(level int) []string {
		var logs []struct {
			Message string `json:"message"`
		}
		body := map[string]any{"logs": map[string]any{"flow_run_id": map[string]any{"any_": []string{runID}}, "level": map[string]any{"ge_": level}},
			"sort": "TIMESTAMP_DESC", "limit": runLogLines}
		if c.do(ctx, http.MethodPost, "/logs/filter", body, &logs) != nil {
			return nil
		}
		var out []string
		for i := len(logs) - 1; i >= 0; i-- {
			out = append(out, strings.Split(strings.TrimRight(logs[i].Message, "\n"), "\n")...)
		}
		return out
	}
	if lines := read(40); len(lines) > 0 {
		return lines
	}
	return read(0)
}

// RunURL is a flow run's page in the Prefect UI.
func RunURL(ui, id string) string {
	if ui == "" || id == "" {
		return ""
	}
	return strings.TrimSuffix(ui, "/") + "/runs/flow-run/" + id
}
