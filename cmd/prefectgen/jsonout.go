package main

import (
	"prefectgen/deploy"
)

// The --json output of plan, status, deploy and clean: one JSON object on
// stdout, its keys documented in each command's help and never removed in
// a release (new keys may be added). Human output then goes to stderr.

// jsonAction is one deployment of a plan.
type jsonAction struct {
	Name string `json:"name"`
	// Kind is create, update, unchanged, delete, stale or unowned.
	Kind    string               `json:"kind"`
	Changes []deploy.FieldChange `json:"changes,omitempty"`
	// Note: taken over from another project or from outside prefectgen,
	// or adopted from an earlier prefectgen.
	Note string `json:"note,omitempty"`
}

func jsonActions(actions []deploy.Action) []jsonAction {
	out := []jsonAction{}
	for _, a := range actions {
		j := jsonAction{Name: a.FullName, Kind: string(a.Kind), Changes: a.Changes}
		switch {
		case a.Unmanaged:
			j.Note = "exists without prefectgen's tag: taken over"
		case a.Owner != "":
			j.Note = "belongs to project " + a.Owner + ": taken over"
		case a.Adopted:
			j.Note = "made by prefectgen without a project tag: adopted"
		}
		out = append(out, j)
	}
	return out
}

// jsonResult is what a run did to one deployment.
type jsonResult struct {
	Name string `json:"name"`
	// Outcome is created, updated, unchanged, deleted, failed, planned,
	// rolled back, not applied or unverified.
	Outcome string  `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
	ID      string  `json:"id,omitempty"`
	URL     string  `json:"url,omitempty"`
	Seconds float64 `json:"seconds"`
}

func jsonResults(results []deploy.Result) []jsonResult {
	out := []jsonResult{}
	for _, r := range results {
		out = append(out, jsonResult{Name: r.FullName, Outcome: string(r.Outcome), Reason: r.Reason, ID: r.ID, URL: r.URL, Seconds: r.Duration.Seconds()})
	}
	return out
}

// counts tallies results by outcome.
func counts(results []deploy.Result) map[string]int {
	m := map[string]int{}
	for _, r := range results {
		m[string(r.Outcome)]++
	}
	return m
}

// jsonPlan is plan --json.
type jsonPlan struct {
	Environment string         `json:"environment"`
	Server      string         `json:"server"`
	Changes     bool           `json:"changes"`
	Actions     []jsonAction   `json:"actions"`
	Counts      map[string]int `json:"counts"`
}

// jsonRun is deploy --json, rollback --json and clean --json.
type jsonRun struct {
	Environment string         `json:"environment"`
	Server      string         `json:"server"`
	DryRun      bool           `json:"dry_run"`
	Plan        []jsonAction   `json:"plan,omitempty"`
	Results     []jsonResult   `json:"results"`
	Counts      map[string]int `json:"counts"`
	Interrupted bool           `json:"interrupted"`
	Seconds     float64        `json:"seconds"`
	// Release is the number the history gave the run, 0 when none.
	Release int `json:"release,omitempty"`
}

// jsonStatus is status --json.
type jsonStatus struct {
	Environment string       `json:"environment"`
	Server      string       `json:"server"`
	Deployments []jsonDeploy `json:"deployments"`
	AsGenerated int          `json:"as_generated"`
	Total       int          `json:"total"`
}

// jsonDeploy is one deployment of status.
type jsonDeploy struct {
	Name string `json:"name"`
	// State is ok, missing or differs.
	State    string               `json:"state"`
	Changes  []deploy.FieldChange `json:"changes,omitempty"`
	WorkPool string               `json:"work_pool"`
	ID       string               `json:"id,omitempty"`
	URL      string               `json:"url,omitempty"`
}

// human is where a command writes for people: stdout, or stderr when
// stdout carries JSON.
func (e *env) human(json bool) *env {
	if !json {
		return e
	}
	h := *e
	h.stdout = e.stderr
	return &h
}
