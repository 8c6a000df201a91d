package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"prefectgen/model"
)

var envPlaceholder = regexp.MustCompile(`\{\{\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// ResolveEnv fills in Prefect's {{ $VAR }} placeholders from vars, as
// prefect deploy does from its environment; others are kept.
func ResolveEnv(v any, vars map[string]string) any {
	switch x := v.(type) {
	case string:
		return envPlaceholder.ReplaceAllStringFunc(x, func(m string) string {
			name := envPlaceholder.FindStringSubmatch(m)[1]
			if val, ok := vars[name]; ok {
				return val
			}
			return m
		})
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = ResolveEnv(e, vars)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ResolveEnv(e, vars)
		}
		return out
	}
	return v
}

// matches compares a desired value with what the server returned. A
// desired string that still holds a Prefect template ({{ ... }}) matches
// anything: Prefect resolves it at deploy time.
func matches(desired, live any) bool {
	switch d := desired.(type) {
	case string:
		if strings.Contains(d, "{{") {
			return true
		}
		l, ok := live.(string)
		return ok && l == d
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return len(d) == 0 && live == nil
		}
		if len(l) != len(d) {
			return false
		}
		for k, dv := range d {
			lv, ok := l[k]
			if !ok || !matches(dv, lv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(d) {
			return false
		}
		for i := range d {
			if !matches(d[i], l[i]) {
				return false
			}
		}
		return true
	case []string:
		anys := make([]any, len(d))
		for i, s := range d {
			anys[i] = s
		}
		return matches(anys, live)
	case nil:
		return live == nil
	case bool:
		l, ok := live.(bool)
		return ok && l == d
	}
	df, dok := number(desired)
	lf, lok := number(live)
	return dok && lok && df == lf
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// normalizeJSON turns typed values into the generic ones the API decodes.
func normalizeJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return v
	}
	return out
}

// FieldChange is one field in which a live deployment differs from the
// desired one: the server's value and the one a deploy would set, as
// JSON values.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Diff returns the fields in which the live deployment differs from the
// desired one (with its {{ $VAR }} placeholders resolved), sorted; none
// means unchanged.
func Diff(d model.DeploymentConfig, live *Deployment, vars map[string]string) []string {
	var out []string
	for _, c := range Changes(d, live, vars) {
		out = append(out, c.Field)
	}
	return out
}

// Changes returns how the live deployment differs from the desired one,
// field by field, sorted by field.
func Changes(d model.DeploymentConfig, live *Deployment, vars map[string]string) []FieldChange {
	var out []FieldChange
	add := func(field string, same bool, old, new any) {
		if !same {
			out = append(out, FieldChange{field, normalizeJSON(old), normalizeJSON(new)})
		}
	}
	add("entrypoint", d.Entrypoint == live.Entrypoint, live.Entrypoint, d.Entrypoint)
	add("work_pool", d.WorkPool == live.WorkPoolName, live.WorkPoolName, d.WorkPool)
	add("work_queue", d.WorkQueue == live.WorkQueueName || d.WorkQueue == "" && live.WorkQueueName == "default", live.WorkQueueName, d.WorkQueue)
	jv := normalizeJSON(ResolveEnv(normalizeJSON(d.JobVariables), vars))
	add("job_variables", matches(jv, live.JobVariables), live.JobVariables, jv)
	params := normalizeJSON(ResolveEnv(normalizeJSON(d.Parameters), vars))
	add("parameters", matches(params, nilToEmpty(live.Parameters)), nilToEmpty(live.Parameters), params)
	add("tags", sameTags(d.Tags, live.Tags, vars), live.Tags, d.Tags)
	// A deployment deployed without a description holds the string "None"
	// after its first deploy and null after the next.
	add("description", d.Description == deref(live.Description) || d.Description == "" && deref(live.Description) == "None", live.Description, d.Description)
	if d.Version != "" {
		add("version", d.Version == deref(live.Version), live.Version, d.Version)
	}
	add("paused", d.Paused == live.Paused, live.Paused, d.Paused)
	want := 0
	if d.ConcurrencyLimit != nil {
		want = *d.ConcurrencyLimit
	}
	add("concurrency_limit", want == live.ConcurrencyLimit(), live.ConcurrencyLimit(), want)
	add("enforce_parameter_schema", d.EnforceParameterSchema == live.EnforceParameterSchema, live.EnforceParameterSchema, d.EnforceParameterSchema)
	pull := normalizeJSON(ResolveEnv(d.PullSteps(), vars))
	add("pull_steps", matches(pull, normalizeJSON(live.PullSteps)), live.PullSteps, pull)
	add("schedules", sameSchedules(d, live), liveSchedules(live), d.Schedules)
	if d.Signature != nil {
		add("parameter_schema", sameSignature(d.Signature, live.ParameterSchema), signatureOf(live.ParameterSchema), d.Signature)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// liveSchedules are a live deployment's schedules in the configuration's
// shape, to show beside the desired ones.
func liveSchedules(live *Deployment) []map[string]any {
	out := []map[string]any{}
	for _, s := range live.Schedules {
		m := scheduleBody(s)
		sch := m["schedule"].(map[string]any)
		delete(m, "schedule")
		for k, v := range sch {
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// signatureOf is the signature a parameter schema records: the names and
// which are required.
func signatureOf(schema map[string]any) []model.Parameter {
	props, _ := schema["properties"].(map[string]any)
	required := map[string]bool{}
	if r, ok := schema["required"].([]any); ok {
		for _, x := range r {
			required[fmt.Sprint(x)] = true
		}
	}
	out := []model.Parameter{}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		out = append(out, model.Parameter{Name: k, Required: required[k]})
	}
	return out
}

func nilToEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sameTags compares tags as sets. A desired tag that holds a Prefect
// template other than {{ $VAR }} ({{ prefect.variables.owner }}) stands
// for what prefect deploy resolved it to, or for nothing: Prefect drops a
// tag that resolves empty.
func sameTags(desired, live []string, vars map[string]string) bool {
	var literal []string
	templated := 0
	for _, t := range desired {
		t = ResolveEnv(t, vars).(string)
		if strings.Contains(t, "{{") {
			templated++
			continue
		}
		literal = append(literal, t)
	}
	if templated == 0 {
		return sameSet(literal, live)
	}
	extra := 0
	for _, t := range slices.Compact(slices.Sorted(slices.Values(live))) {
		if !slices.Contains(literal, t) {
			extra++
		}
	}
	for _, t := range literal {
		if !slices.Contains(live, t) {
			return false
		}
	}
	return extra <= templated
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func sameSchedules(d model.DeploymentConfig, live *Deployment) bool {
	if len(d.Schedules) != len(live.Schedules) {
		return false
	}
	bySlug := map[string]Schedule{}
	for _, s := range live.Schedules {
		bySlug[s.Slug] = s
	}
	for _, s := range d.Schedules {
		l, ok := bySlug[s.Slug]
		if !ok || l.Active != s.Active {
			return false
		}
		tz := s.Timezone
		if tz == "" {
			tz = "UTC"
		}
		ltz := l.Schedule.Timezone
		if ltz == "" {
			ltz = "UTC"
		}
		if tz != ltz {
			return false
		}
		switch {
		case s.Cron != "":
			dayOr := true
			if s.DayOr != nil {
				dayOr = *s.DayOr
			}
			lDayOr := true
			if l.Schedule.DayOr != nil {
				lDayOr = *l.Schedule.DayOr
			}
			if l.Schedule.Cron != s.Cron || dayOr != lDayOr {
				return false
			}
		case s.Interval != nil:
			f, err := l.Schedule.Interval.Float64()
			if err != nil || f != *s.Interval {
				return false
			}
			if s.AnchorDate != "" && !sameTime(s.AnchorDate, l.Schedule.AnchorDate, tz) {
				return false
			}
		case s.RRule != "":
			if normRRule(l.Schedule.RRule, s.RRule) != normRRule(s.RRule, s.RRule) {
				return false
			}
		}
		if !matches(normalizeJSON(nilToEmpty(s.Parameters)), nilToEmpty(l.Parameters)) {
			return false
		}
	}
	return true
}

// normRRule drops the RRULE: prefix, and the DTSTART line the server adds
// unless the configured rule has its own.
func normRRule(rule, configured string) string {
	keepStart := strings.Contains(strings.ToUpper(configured), "DTSTART")
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(rule), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(strings.ToUpper(l), "DTSTART") && !keepStart {
			continue
		}
		out = append(out, strings.TrimPrefix(l, "RRULE:"))
	}
	return strings.Join(out, "\n")
}

// sameTime compares a configured date-time (naive means in tz) with the
// server's.
func sameTime(want, got, tz string) bool {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	parse := func(s string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	a, ok1 := parse(want)
	b, ok2 := parse(got)
	if !ok1 || !ok2 {
		return want == got
	}
	return a.Equal(b)
}

// sameSignature compares the flow's parameters as discovered with the
// parameter schema Prefect computed when it was deployed: the names and
// which are required. A changed signature needs a redeploy even when the
// configuration did not change.
func sameSignature(sig []model.Parameter, schema map[string]any) bool {
	props, _ := schema["properties"].(map[string]any)
	var want []string
	var required []string
	for _, p := range sig {
		want = append(want, p.Name) // *args and **kwargs are properties too
		if p.Required {
			required = append(required, p.Name)
		}
	}
	var got []string
	for k := range props {
		got = append(got, k)
	}
	var gotReq []string
	if r, ok := schema["required"].([]any); ok {
		for _, x := range r {
			gotReq = append(gotReq, fmt.Sprint(x))
		}
	}
	return sameSet(want, got) && sameSet(required, gotReq)
}

// UIURL is a deployment's page in the Prefect UI.
func UIURL(ui, id string) string {
	if ui == "" || id == "" {
		return ""
	}
	return strings.TrimSuffix(ui, "/") + "/deployments/deployment/" + id
}
