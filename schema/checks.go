package schema

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"prefectgen/diag"
	"prefectgen/model"
)

// zoneinfo is Go's copy of the IANA time zone database, embedded so that
// validation does not depend on the machine's.
//
//go:embed zoneinfo.zip
var zoneinfo []byte

var zones = sync.OnceValue(func() map[string]bool {
	r, err := zip.NewReader(bytes.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		panic("schema: embedded zoneinfo.zip: " + err.Error())
	}
	m := map[string]bool{}
	for _, f := range r.File {
		m[f.Name] = true
	}
	return m
})

// ValidTimezone reports whether name is in the embedded IANA database.
func ValidTimezone(name string) bool { return zones()[name] }

// TimezoneNames returns every IANA zone name, sorted.
func TimezoneNames() []string {
	var out []string
	for z := range zones() {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}

// bannedNameChars are refused in Prefect names.
const bannedNameChars = "/%&><"

// ValidName reports whether Prefect accepts s as a name.
func ValidName(s string) bool { return s != "" && !strings.ContainsAny(s, bannedNameChars) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// check runs the checks of values that the schema's types cannot express.
func (c *Config) check() []diag.ValidationError {
	out := c.checkProblems()
	add := func(p diag.ValidationError) { out = append(out, p) }
	if c.Project != "" && (!ValidName(c.Project) || strings.ContainsAny(c.Project, " \t\r\n,")) {
		add(c.Problem(diag.ConfigInvalidName, []string{"project"}, fmt.Sprintf("project %q: use letters, digits, '-', '_' and '.'", c.Project)))
	}
	for _, name := range sortedKeys(c.Environments) {
		e := c.Environments[name]
		base := []string{"environments", name}
		if !ValidName(name) {
			add(c.KeyProblem(diag.ConfigInvalidName, base, fmt.Sprintf("environment name %q contains a character Prefect rejects in deployment names", name)))
		}
		if c.pos != nil || e.PrefectAPIURL != "" {
			if msg := checkURL(e.PrefectAPIURL); msg != "" {
				add(c.Problem(diag.ConfigInvalidURL, append(clone(base), "prefect_api_url"), "prefect_api_url "+msg))
			}
		}
		if e.UIURL != "" {
			if msg := checkURL(e.UIURL); msg != "" {
				add(c.Problem(diag.ConfigInvalidURL, append(clone(base), "ui_url"), "ui_url "+msg))
			}
		}
		for _, t := range sortedKeys(e.WorkPools) {
			wp := e.WorkPools[t]
			p := append(clone(base), "work_pools", t)
			if !ValidName(wp.Name) {
				add(c.Problem(diag.ConfigInvalidName, p, fmt.Sprintf("work pool name %q is empty or contains / %% & > <", wp.Name)))
			}
			out = append(out, c.checkPlaceholders(append(clone(p), "job_variables"), wp.JobVariables)...)
			out = append(out, c.checkSecrets(append(clone(p), "job_variables"), wp.JobVariables)...)
		}
		if msg := CheckRegistry(e.DockerRegistry); msg != "" {
			add(c.Problem(diag.ConfigInvalidName, append(clone(base), "docker_registry"), msg))
		}
		if m := e.ResourceLimits.Memory; m != "" && !ValidMemory(m) {
			add(c.Problem(diag.ConfigInvalidQuantity, append(clone(base), "resource_limits", "memory"), fmt.Sprintf("memory %q is not a quantity", m)))
		}
		if cpu := e.ResourceLimits.CPU; cpu != "" && !ValidCPU(cpu) {
			add(c.Problem(diag.ConfigInvalidQuantity, append(clone(base), "resource_limits", "cpu"), fmt.Sprintf("cpu %q is not a quantity", cpu)))
		}
		out = append(out, c.checkSecrets(append(clone(base), "default_parameters"), e.DefaultParameters)...)
		envVars := map[string]any{}
		for k, v := range e.Env {
			envVars[k] = v
		}
		out = append(out, c.checkSecrets(append(clone(base), "env"), envVars)...)
	}
	if c.Images.TagStrategy == "fixed" && c.Images.Tag == "" {
		add(c.Problem(diag.ConfigInvalidValue, []string{"images", "tag_strategy"}, "images.tag_strategy is fixed but images.tag is not set"))
	}
	if c.Images.Tag != "" && c.Images.TagStrategy != "fixed" {
		add(c.Problem(diag.ConfigInvalidValue, []string{"images", "tag"}, fmt.Sprintf("images.tag is only used with tag_strategy: fixed (it is %s)", c.Images.TagStrategy)))
	}
	if c.Images.TagStrategy == "fixed" && c.Images.Tag == "latest" {
		add(c.Problem(diag.ConfigLatestTag, []string{"images", "tag"}, "images are tagged latest"))
	}
	for _, p := range []struct {
		path []string
		val  string
	}{{[]string{"naming", "deployment"}, c.Naming.Deployment}, {[]string{"images", "name"}, c.Images.Name}} {
		out = append(out, c.checkPlaceholders(p.path, p.val)...)
	}
	for _, key := range sortedKeys(c.Flows) {
		f := c.Flows[key]
		base := []string{"flows", key}
		out = append(out, c.checkSettings(base, &f.Settings)...)
		for _, env := range sortedKeys(f.Environments) {
			p := append(clone(base), "environments", env)
			if _, ok := c.Environments[env]; !ok {
				msg := fmt.Sprintf("flow %q overrides environment %q, which is not defined", key, env)
				if s := nearest(env, sortedKeys(c.Environments)); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				add(c.KeyProblem(diag.ConfigUnknownEnvironment, p, msg))
			}
			out = append(out, c.checkSettings(p, f.Environments[env])...)
		}
	}
	return out
}

func (c *Config) checkSettings(base []string, s *Settings) []diag.ValidationError {
	var out []diag.ValidationError
	if s == nil {
		return nil
	}
	for i, t := range s.Tags {
		if strings.TrimSpace(t) == "" {
			out = append(out, c.Problem(diag.ConfigInvalidValue, append(clone(base), "tags", strconv.Itoa(i)), "an empty tag: Prefect drops it"))
		}
	}
	if s.WorkPool != "" && !ValidName(s.WorkPool) {
		out = append(out, c.Problem(diag.ConfigInvalidName, append(clone(base), "work_pool"), fmt.Sprintf("work pool name %q contains / %% & > <", s.WorkPool)))
	}
	out = append(out, c.checkSecrets(append(clone(base), "parameters"), s.Parameters)...)
	out = append(out, c.checkSecrets(append(clone(base), "job_variables"), s.JobVariables)...)
	out = append(out, c.checkPlaceholders(append(clone(base), "job_variables"), s.JobVariables)...)
	if s.DeploymentName != "" {
		out = append(out, c.checkPlaceholders(append(clone(base), "deployment_name"), s.DeploymentName)...)
	}
	slugs := map[string]int{}
	for i, sc := range s.Schedules {
		p := append(clone(base), "schedules", strconv.Itoa(i))
		out = append(out, c.checkSchedule(p, sc)...)
		out = append(out, c.checkSecrets(append(clone(p), "parameters"), sc.Parameters)...)
		if sc.Slug != "" {
			if j, dup := slugs[sc.Slug]; dup {
				out = append(out, c.Problem(diag.ConfigDuplicateSlug, append(clone(p), "slug"), fmt.Sprintf("slug %q is also used by schedule %d", sc.Slug, j+1)))
			}
			slugs[sc.Slug] = i
		}
	}
	return out
}

// MaxInterval is the longest interval Prefect 3.9.1 reads from the ISO 8601
// duration prefect.yaml holds (pydantic refuses a larger number of
// seconds).
const MaxInterval = 999_999_999

func (c *Config) checkSchedule(p []string, sc model.Schedule) []diag.ValidationError {
	var out []diag.ValidationError
	kinds := 0
	if sc.Cron != "" {
		kinds++
	}
	if sc.Interval != nil {
		kinds++
	}
	if sc.RRule != "" {
		kinds++
	}
	if kinds != 1 {
		return []diag.ValidationError{c.Problem(diag.ConfigScheduleKind, p, fmt.Sprintf("schedule sets %d of cron, interval and rrule; it must set exactly one", kinds))}
	}
	if sc.Cron != "" {
		if msg := CheckCron(sc.Cron); msg != "" {
			out = append(out, c.Problem(diag.ConfigInvalidCron, append(clone(p), "cron"), fmt.Sprintf("cron %q: %s", sc.Cron, msg)))
		}
	}
	if sc.Interval != nil && *sc.Interval > MaxInterval {
		out = append(out, c.Problem(diag.ConfigInvalidValue, append(clone(p), "interval"),
			fmt.Sprintf("interval %g seconds is more than Prefect reads: at most %d seconds (about 31 years)", *sc.Interval, MaxInterval)))
	}
	if sc.RRule != "" {
		if msg := CheckRRule(sc.RRule); msg != "" {
			out = append(out, c.Problem(diag.ConfigInvalidRRule, append(clone(p), "rrule"), fmt.Sprintf("rrule %q: %s", sc.RRule, msg)))
		}
	}
	if sc.Timezone != "" && !ValidTimezone(sc.Timezone) {
		msg := fmt.Sprintf("time zone %q is not in the IANA database", sc.Timezone)
		if s := nearest(sc.Timezone, TimezoneNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		out = append(out, c.Problem(diag.ConfigInvalidTimezone, append(clone(p), "timezone"), msg))
	}
	if sc.AnchorDate != "" {
		if sc.Interval == nil {
			out = append(out, c.Problem(diag.ConfigInvalidAnchorDate, append(clone(p), "anchor_date"), "anchor_date only applies to interval schedules"))
		} else if !validDateTime(sc.AnchorDate) {
			out = append(out, c.Problem(diag.ConfigInvalidAnchorDate, append(clone(p), "anchor_date"), fmt.Sprintf("anchor_date %q is not an ISO 8601 date-time", sc.AnchorDate)))
		}
	}
	if sc.DayOr != nil && sc.Cron == "" {
		out = append(out, c.Problem(diag.ConfigInvalidValue, append(clone(p), "day_or"), "day_or only applies to cron schedules"))
	}
	return out
}

func validDateTime(s string) bool {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// walkStrings calls fn for every string in v, with its path and the key
// it stands under (a list item stands under its list's key).
func walkStrings(path []string, key string, v any, fn func(path []string, key, s string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			walkStrings(append(clone(path), k), k, x[k], fn)
		}
	case []any:
		for i, item := range x {
			walkStrings(append(clone(path), strconv.Itoa(i)), key, item, fn)
		}
	case string:
		fn(path, key, x)
	}
}

// checkSecrets rejects literal values of secret-looking keys.
func (c *Config) checkSecrets(base []string, v any) []diag.ValidationError {
	var out []diag.ValidationError
	walkStrings(base, "", v, func(path []string, key, s string) {
		if why := Secret(key, s); why != "" {
			out = append(out, c.Problem(diag.ConfigSecretValue, path, why))
		}
	})
	return out
}

// unknownPlaceholders reports the {placeholders} in v that prefectgen
// does not know, through problem.
func unknownPlaceholders(base []string, v any, problem func(path []string, msg string) diag.ValidationError) []diag.ValidationError {
	var out []diag.ValidationError
	walkStrings(base, "", v, func(path []string, _, s string) {
		for _, name := range Placeholders(s) {
			if !KnownPlaceholder(name) {
				out = append(out, problem(path, fmt.Sprintf("unknown placeholder {%s}", name)))
			}
		}
	})
	return out
}

func (c *Config) checkPlaceholders(base []string, v any) []diag.ValidationError {
	return unknownPlaceholders(base, v, func(path []string, msg string) diag.ValidationError {
		return c.Problem(diag.ConfigUnknownPlaceholder, path, msg)
	})
}

func (c *Config) checkTemplates() []diag.ValidationError {
	var out []diag.ValidationError
	t := c.Templates
	for _, typ := range Types {
		tp := t.ByType[typ]
		if tp == nil {
			continue
		}
		base := []string{typ + "_deployment"}
		for _, p := range []struct {
			k string
			v any
		}{{"work_pool", tp.WorkPool}, {"work_queue", tp.WorkQueue}, {"job_variables", tp.JobVariables}, {"parameters", tp.Parameters}, {"tags", anySlice(tp.Tags)}, {"description", tp.Description}} {
			out = append(out, unknownPlaceholders(append(clone(base), p.k), p.v, func(path []string, msg string) diag.ValidationError {
				return c.TemplateProblem(diag.ConfigUnknownPlaceholder, path, msg)
			})...)
		}
		if s, ok := tp.Parameters.(string); ok {
			if names := Placeholders(s); len(names) != 1 || "{"+names[0]+"}" != strings.TrimSpace(s) {
				out = append(out, c.TemplateProblem(diag.ConfigInvalidValue, append(clone(base), "parameters"), "parameters must be a mapping or one placeholder such as \"{environment.default_parameters}\""))
			}
		}
	}
	return out
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http(s) URL", s)
	}
	return ""
}

var memoryRe = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|K|M|G|T|k|m|g|b|B)?$`)
var cpuRe = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|[0-9]+m)$`)

// ValidMemory reports whether s is a memory quantity that Kubernetes or
// Docker reads: 512Mi, 1Gi, 1G, 512m (Docker's megabytes), 1073741824.
func ValidMemory(s string) bool {
	m := memoryRe.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return err == nil && v > 0
}

// ValidCPU reports whether s is a cpu quantity: 0.5, 2, 500m.
func ValidCPU(s string) bool {
	if !cpuRe.MatchString(s) {
		return false
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "m"), 64)
	return err == nil && v > 0
}

// MemoryBytes converts a memory quantity to bytes.
func MemoryBytes(s string) (int64, bool) {
	m := memoryRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	mult := map[string]float64{"": 1, "b": 1, "B": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m[3]]
	return int64(v * mult), true
}

var placeholderRe = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}`)

// Placeholders returns the names of the {placeholders} in s. Prefect's own
// {{ ... }} templates are not placeholders.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '{' || m[1] < len(s) && s[m[1]] == '}' {
			continue
		}
		out = append(out, s[m[2]:m[3]])
	}
	return out
}

// placeholderNames are the placeholders prefectgen knows.
var placeholderNames = []string{
	"environment", "environment.name", "environment.prefect_api_url", "environment.ui_url",
	"environment.work_pools.python", "environment.work_pools.docker", "environment.work_pools.kubernetes",
	"environment.default_parameters", "environment.resource_limits.memory", "environment.resource_limits.cpu",
	"environment.docker_registry", "environment.image_pull_policy", "environment.code_dir",
	"type", "flow.name", "flow.flow_name", "flow.function", "flow.folder", "flow.entrypoint", "flow.module_path",
}

// KnownPlaceholder reports whether prefectgen can fill in {name}.
func KnownPlaceholder(name string) bool { return slices.Contains(placeholderNames, name) }

// Expand fills in the placeholders of s with lookup. A string that is one
// placeholder alone takes the value's type (a map stays a map); inline
// placeholders are formatted into the string.
func Expand(s string, lookup func(name string) (any, bool)) (any, error) {
	names := Placeholders(s)
	if len(names) == 0 {
		return s, nil
	}
	if len(names) == 1 && s == "{"+names[0]+"}" {
		v, ok := lookup(names[0])
		if !ok {
			return nil, fmt.Errorf("unknown placeholder {%s}", names[0])
		}
		return v, nil
	}
	return expandInline(s, lookup)
}

// expandInline formats the placeholders of s into it, keeping Prefect's
// {{ }} templates as they are.
func expandInline(s string, lookup func(string) (any, bool)) (any, error) {
	var b strings.Builder
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '{' || m[1] < len(s) && s[m[1]] == '}' {
			continue
		}
		b.WriteString(s[last:m[0]])
		name := s[m[2]:m[3]]
		v, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown placeholder {%s}", name)
		}
		if v != nil {
			b.WriteString(fmt.Sprint(v))
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
