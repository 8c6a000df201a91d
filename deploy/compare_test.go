package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"prefectgen/model"
)

// liveOf decodes a deployment as the API returns it.
func liveOf(t *testing.T, js string) *Deployment {
	t.Helper()
	var d Deployment
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	d.FlowName = "etl"
	return &d
}

const liveJSON = `{"id": "1", "name": "dev-python", "entrypoint": "flows/etl.py:etl",
 "work_pool_name": "pool", "work_queue_name": "default",
 "job_variables": {"env": {"A": "1"}, "image": "reg/etl:abc123"},
 "parameters": {"n": 3, "ratio": 0.5, "kwargs": {"team": "data"}},
 "tags": ["env:dev", "managed-by:prefectgen"], "description": "Copy.", "version": "4784032e",
 "paused": false, "enforce_parameter_schema": true,
 "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": "/app"}}],
 "schedules": [
   {"id": "s1", "slug": "a", "active": true, "parameters": {}, "schedule": {"cron": "0 6 * * *", "timezone": "UTC", "day_or": true}},
   {"id": "s2", "slug": "b", "active": true, "parameters": {"n": 1}, "schedule": {"interval": 900.0, "anchor_date": "2026-01-01T00:00:00Z", "timezone": "UTC"}},
   {"id": "s3", "slug": "c", "active": false, "parameters": {}, "schedule": {"rrule": "DTSTART:20200101T000000\nFREQ=WEEKLY;BYDAY=MO", "timezone": "UTC"}}],
 "parameter_openapi_schema": {"properties": {"n": {}, "ratio": {}, "kwargs": {}}, "required": []},
 "global_concurrency_limit": {"limit": 2}}`

func desired() model.DeploymentConfig {
	interval := 900.0
	limit := 2
	return model.DeploymentConfig{
		FlowName: "etl", DeploymentName: "dev-python", FullName: "etl/dev-python", Entrypoint: "flows/etl.py:etl",
		WorkPool: "pool", JobVariables: map[string]any{"env": map[string]any{"A": "1"}, "image": "reg/etl:{{ $PREFECTGEN_IMAGE_TAG }}"},
		Parameters: map[string]any{"n": int64(3), "ratio": 0.5, "kwargs": map[string]any{"team": "data"}},
		Tags:       []string{"managed-by:prefectgen", "env:dev"}, Description: "Copy.",
		EnforceParameterSchema: true, CodeDir: "/app", ConcurrencyLimit: &limit,
		Schedules: []model.Schedule{
			{Cron: "0 6 * * *", Active: true, Slug: "a"},
			{Interval: &interval, AnchorDate: "2026-01-01T00:00:00", Active: true, Slug: "b", Parameters: map[string]any{"n": int64(1)}},
			{RRule: "FREQ=WEEKLY;BYDAY=MO", Slug: "c"},
		},
		Signature: []model.Parameter{{Name: "n"}, {Name: "ratio"}, {Name: "kwargs"}},
	}
}

// TestDiff checks the comparison of a desired deployment with the
// server's, one field at a time.
func TestDiff(t *testing.T) {
	vars := map[string]string{"PREFECTGEN_IMAGE_TAG": "abc123"}
	if got := Diff(desired(), liveOf(t, liveJSON), vars); len(got) != 0 {
		t.Fatalf("identical deployments differ in %v", got)
	}
	cases := []struct {
		field string
		edit  func(d *model.DeploymentConfig)
	}{
		{"work_pool", func(d *model.DeploymentConfig) { d.WorkPool = "other" }},
		{"work_queue", func(d *model.DeploymentConfig) { d.WorkQueue = "q" }},
		{"job_variables", func(d *model.DeploymentConfig) { d.JobVariables["image"] = "reg/etl:other" }},
		{"parameters", func(d *model.DeploymentConfig) { d.Parameters["n"] = int64(4) }},
		{"tags", func(d *model.DeploymentConfig) { d.Tags = append(d.Tags, "x") }},
		{"description", func(d *model.DeploymentConfig) { d.Description = "" }},
		{"version", func(d *model.DeploymentConfig) { d.Version = "1.0" }},
		{"paused", func(d *model.DeploymentConfig) { d.Paused = true }},
		{"concurrency_limit", func(d *model.DeploymentConfig) { d.ConcurrencyLimit = nil }},
		{"pull_steps", func(d *model.DeploymentConfig) { d.CodeDir = "/srv" }},
		{"schedules", func(d *model.DeploymentConfig) { d.Schedules[0].Cron = "0 7 * * *" }},
		{"schedules", func(d *model.DeploymentConfig) { d.Schedules[0].Timezone = "Europe/Paris" }},
		{"schedules", func(d *model.DeploymentConfig) { d.Schedules = d.Schedules[:2] }},
		{"schedules", func(d *model.DeploymentConfig) { d.Schedules[1].Parameters = nil }},
		{"schedules", func(d *model.DeploymentConfig) { d.Schedules[2].RRule = "FREQ=DAILY" }},
		{"parameter_schema", func(d *model.DeploymentConfig) {
			d.Signature = append(d.Signature, model.Parameter{Name: "new", Required: true})
		}},
	}
	for _, c := range cases {
		d := desired()
		c.edit(&d)
		if got := Diff(d, liveOf(t, liveJSON), vars); !slices.Equal(got, []string{c.field}) {
			t.Errorf("after changing %s: Diff = %v", c.field, got)
		}
	}
}

// TestSameTags: a templated tag stands for what it resolved to, or for
// nothing; {{ $VAR }} is resolved from the deploy's variables.
func TestSameTags(t *testing.T) {
	vars := map[string]string{"TEAM": "data"}
	for _, c := range []struct {
		desired, live []string
		want          bool
	}{
		{[]string{"a", "b"}, []string{"b", "a"}, true},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"a", "{{ prefect.variables.owner }}"}, []string{"a", "alice"}, true},
		{[]string{"a", "{{ prefect.variables.owner }}"}, []string{"a"}, true},
		{[]string{"a", "{{ prefect.variables.owner }}"}, []string{"a", "alice", "bob"}, false},
		{[]string{"a", "{{ prefect.variables.owner }}"}, []string{"alice"}, false},
		{[]string{"team:{{ $TEAM }}"}, []string{"team:data"}, true},
		{[]string{"team:{{ $TEAM }}"}, []string{"team:ops"}, false},
	} {
		if got := sameTags(c.desired, c.live, vars); got != c.want {
			t.Errorf("sameTags(%q, %q) = %v, want %v", c.desired, c.live, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	if !matches("{{ prefect.blocks.secret.x }}", "resolved-value") {
		t.Error("a Prefect template matches what it resolves to")
	}
	if matches(map[string]any{"a": "1"}, map[string]any{"a": "1", "b": "2"}) {
		t.Error("an extra live key must differ")
	}
	if !matches(json.Number("3"), 3.0) || matches(json.Number("3"), "3") {
		t.Error("numbers compare by value, not with strings")
	}
	if got := ResolveEnv("x:{{ $A }}-{{$B}}-{{ $C }}", map[string]string{"A": "1", "B": "2"}); got != "x:1-2-{{ $C }}" {
		t.Errorf("ResolveEnv = %q", got)
	}
}
