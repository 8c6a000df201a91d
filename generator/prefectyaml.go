package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"

	yamlv3 "go.yaml.in/yaml/v3"

	"prefectgen/diag"
	"prefectgen/model"
)

// The markers of prefectgen's region in a hand-written prefect.yaml.
const (
	MarkerBegin = "# >>> prefectgen: generated deployments. DO NOT EDIT between these markers; run 'prefectgen generate'."
	MarkerEnd   = "# <<< prefectgen"
)

// Keys Prefect reads; any other key is silently dropped by Prefect, so the
// self-check refuses it.
var (
	prefectTopKeys        = []string{"prefect-version", "name", "build", "push", "pull", "deployments", "definitions"}
	prefectDeploymentKeys = []string{"name", "version", "version_type", "tags", "description", "schedule", "schedules", "paused", "concurrency_limit", "flow_name", "entrypoint", "parameters", "enforce_parameter_schema", "work_pool", "build", "push", "pull", "triggers", "sla"}
	prefectWorkPoolKeys   = []string{"name", "work_queue_name", "job_variables"}
	prefectScheduleKeys   = []string{"cron", "interval", "rrule", "timezone", "anchor_date", "active", "parameters", "slug", "replaces", "day_or"}
)

// deploymentView is what the "deployment" template renders.
type deploymentView struct {
	model.DeploymentConfig
	// ConcurrencyLimit is 0 for none.
	ConcurrencyLimit int
	ScheduleItems    []any
}

type prefectData struct {
	Sources        string
	PrefectVersion string
	Deployments    []deploymentView
}

func views(deps []model.DeploymentConfig) []deploymentView {
	out := make([]deploymentView, len(deps))
	for i, d := range deps {
		v := deploymentView{DeploymentConfig: d, ScheduleItems: []any{}}
		if d.ConcurrencyLimit != nil {
			v.ConcurrencyLimit = *d.ConcurrencyLimit
		}
		v.ScheduleItems = scheduleItems(d)
		out[i] = v
	}
	return out
}

// scheduleItems writes a deployment's schedules in prefect.yaml's flat
// form.
func scheduleItems(d model.DeploymentConfig) []any {
	items := []any{}
	for _, s := range d.Schedules {
		m := map[string]any{"active": s.Active, "slug": s.Slug}
		switch {
		case s.Cron != "":
			m["cron"] = s.Cron
		case s.Interval != nil:
			// An ISO 8601 duration: Prefect's JSON Schema types a timedelta
			// as a string, and Prefect reads this form since 3.6.
			m["interval"] = "PT" + strconv.FormatFloat(*s.Interval, 'f', -1, 64) + "S"
		case s.RRule != "":
			m["rrule"] = s.RRule
		}
		if s.Timezone != "" {
			m["timezone"] = s.Timezone
		}
		if s.AnchorDate != "" {
			m["anchor_date"] = s.AnchorDate
		}
		if s.DayOr != nil {
			m["day_or"] = *s.DayOr
		}
		if len(s.Parameters) > 0 {
			m["parameters"] = s.Parameters
		}
		items = append(items, m)
	}
	return items
}

// intended is the value one generated entry must decode to.
func intended(v deploymentView) map[string]any {
	m := map[string]any{
		"name":                     v.DeploymentName,
		"entrypoint":               v.Entrypoint,
		"tags":                     v.Tags,
		"parameters":               v.Parameters,
		"enforce_parameter_schema": v.EnforceParameterSchema,
		"paused":                   v.Paused,
		"pull":                     v.PullSteps(),
	}
	wp := map[string]any{"name": v.WorkPool, "job_variables": v.JobVariables}
	if v.WorkQueue != "" {
		wp["work_queue_name"] = v.WorkQueue
	}
	m["work_pool"] = wp
	if v.Description != "" {
		m["description"] = v.Description
	}
	if v.Version != "" {
		m["version"] = v.Version
	}
	if v.ConcurrencyLimit > 0 {
		m["concurrency_limit"] = v.ConcurrencyLimit
	}
	// No schedules: the key is left out, as Prefect 3.9 asks (an empty
	// list prints a FutureWarning on every redeploy); prefectgen deploy
	// deletes the server's schedules itself.
	if len(v.ScheduleItems) > 0 {
		m["schedules"] = v.ScheduleItems
	}
	return m
}

// prefectYAML renders prefect.yaml: the whole file, or prefectgen's
// region of a hand-written one.
func (g *gen) prefectYAML() error {
	data := prefectData{Sources: g.sources(), PrefectVersion: g.p.Config.Images.PrefectVersion, Deployments: views(g.out.Deployments)}
	existing, err := g.readFile(PrefectFile)
	var content []byte
	hand := err == nil && !IsGenerated(existing)
	if hand {
		var b bytes.Buffer
		if err := g.tm.set.ExecuteTemplate(&b, "deployments", data); err != nil {
			return templateError("deployments.tmpl", err)
		}
		content, err = mergeRegion(existing, b.Bytes())
		if err == nil {
			err = checkHandWrittenKept(existing, content)
		}
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was written", PrefectFile, err)
		}
		probs, err := g.clashes(existing, data.Deployments)
		if err != nil {
			return err
		}
		if len(probs) > 0 {
			g.out.Problems = append(g.out.Problems, probs...)
			return nil
		}
	} else {
		content, err = g.tm.render("prefect.yaml.tmpl", data)
		if err != nil {
			return err
		}
	}
	// A hand-written file's own top-level keys are its author's: only
	// what prefectgen adds must be keys Prefect reads.
	var handKeys []string
	if hand {
		handKeys = topKeys(existing)
	}
	if err := selfCheck(content, data.Deployments, handKeys); err != nil {
		return fmt.Errorf("the rendered %s does not hold what was intended, so it was not written: %w", PrefectFile, err)
	}
	if existing == nil || IsGenerated(existing) {
		if err := headerCheck(PrefectFile, content); err != nil {
			return err
		}
	}
	g.out.Files[PrefectFile] = content
	return nil
}

// clashes reports hand-written deployments named like a generated one of
// the same flow.
func (g *gen) clashes(existing []byte, deps []deploymentView) ([]diag.ValidationError, error) {
	hand, err := handWritten(existing)
	if err != nil {
		return nil, err
	}
	flowOf := map[string]string{}
	for _, f := range g.p.Discovery.Flows {
		flowOf[f.Entrypoint] = f.Name
	}
	var out []diag.ValidationError
	for _, h := range hand {
		flow := flowOf[h.entrypoint]
		if flow == "" {
			flow = h.flowName
		}
		for _, d := range deps {
			if d.DeploymentName == h.name && d.FlowName == flow {
				out = append(out, diag.New(diag.PrefectYAMLNameClash, diag.Pos{File: PrefectFile, Line: h.line, Column: h.col},
					fmt.Sprintf("hand-written deployment %s/%s has the name of a generated one (%s, %s)", flow, h.name, d.Environment, d.DeploymentType)))
			}
		}
	}
	return out, nil
}

// SelfCheck parses a rendered prefect.yaml back and checks that every
// generated entry decodes to exactly its intended values and that no key
// anywhere is one Prefect would silently drop.
func SelfCheck(content []byte, deps []deploymentView) error {
	return selfCheck(content, deps, nil)
}

// topKeys are the top-level keys of a YAML mapping (none when it is not one).
func topKeys(content []byte) []string {
	var doc map[string]any
	if yamlv3.Unmarshal(content, &doc) != nil {
		return nil
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	return keys
}

// selfCheck is SelfCheck with the top-level keys a hand-written file
// already had, which are not prefectgen's to judge.
func selfCheck(content []byte, deps []deploymentView, handKeys []string) error {
	var doc map[string]any
	if err := yamlv3.Unmarshal(content, &doc); err != nil {
		return fmt.Errorf("it is not valid YAML: %w", err)
	}
	for k := range doc {
		if !slices.Contains(prefectTopKeys, k) && !slices.Contains(handKeys, k) {
			return fmt.Errorf("top-level key %q is not one Prefect reads", k)
		}
	}
	list, _ := doc["deployments"].([]any)
	// Entries with one name and entrypoint (environments on different
	// servers may share names) are taken in the order they were rendered.
	byKey := map[string][]map[string]any{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("a deployment is not a mapping")
		}
		name, _ := m["name"].(string)
		ep, _ := m["entrypoint"].(string)
		byKey[name+"\x00"+ep] = append(byKey[name+"\x00"+ep], m)
	}
	for _, d := range deps {
		key := d.DeploymentName + "\x00" + d.Entrypoint
		if len(byKey[key]) == 0 {
			return fmt.Errorf("deployment %s is missing", d.FullName)
		}
		got := byKey[key][0]
		byKey[key] = byKey[key][1:]
		for k, v := range got {
			if !slices.Contains(prefectDeploymentKeys, k) {
				return fmt.Errorf("deployment %s: key %q is not one Prefect reads", d.FullName, k)
			}
			if k == "work_pool" {
				wp, _ := v.(map[string]any)
				for wk := range wp {
					if !slices.Contains(prefectWorkPoolKeys, wk) {
						return fmt.Errorf("deployment %s: work_pool key %q is not one Prefect reads", d.FullName, wk)
					}
				}
			}
			if k == "schedules" {
				ss, _ := v.([]any)
				for _, s := range ss {
					sm, _ := s.(map[string]any)
					for sk := range sm {
						if !slices.Contains(prefectScheduleKeys, sk) {
							return fmt.Errorf("deployment %s: schedule key %q is not one Prefect reads", d.FullName, sk)
						}
					}
				}
			}
		}
		want := intended(d)
		for k, wv := range want {
			if a, b := canonical(wv), canonical(got[k]); a != b {
				return fmt.Errorf("deployment %s: %s reads back as %s, not %s", d.FullName, k, b, a)
			}
		}
	}
	return nil
}

// canonical writes a value as sorted JSON with numbers compared by value.
func canonical(v any) string {
	b, err := json.Marshal(normalizeNumbers(normalize(v)))
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := map[string]any{}
		for _, k := range keys {
			out[k] = normalizeNumbers(x[k])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeNumbers(e)
		}
		return out
	case json.Number:
		f, _ := x.Float64()
		return f
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	}
	return v
}
