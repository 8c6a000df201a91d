package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"

	"prefectgen/diag"
	"prefectgen/model"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
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
		"schedules":                v.ScheduleItems,
		"paused":                   v.Paused,
		"pull":                     []any{map[string]any{"prefect.deployments.steps.set_working_directory": map[string]any{"directory": v.CodeDir}}},
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
	return m
}

// prefectYAML renders prefect.yaml: the whole file, or prefectgen's
// region of a hand-written one.
func (g *gen) prefectYAML() error {
	data := prefectData{Sources: g.sources(), PrefectVersion: g.p.Config.Images.PrefectVersion, Deployments: views(g.out.Deployments)}
	existing, err := g.readFile(PrefectFile)
	var content []byte
	if err == nil && !IsGenerated(existing) {
		var b bytes.Buffer
		if err := g.tm.set.ExecuteTemplate(&b, "deployments", data); err != nil {
			return templateError("deployments.tmpl", err)
		}
		content, err = mergeRegion(existing, b.Bytes())
		if err != nil {
			return fmt.Errorf("%s: %w", PrefectFile, err)
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
	if err := SelfCheck(content, data.Deployments); err != nil {
		return fmt.Errorf("the rendered %s does not hold what was intended, so it was not written: %w", PrefectFile, err)
	}
	g.out.Files[PrefectFile] = content
	return nil
}

var deploymentsKey = regexp.MustCompile(`^deployments:[ \t]*(#.*)?$`)
var topLevelKey = regexp.MustCompile(`^[^\s#-]`)
var itemIndent = regexp.MustCompile(`^([ \t]*)- `)

// mergeRegion puts region (deployment items at column 0) between the
// markers of a hand-written prefect.yaml, adding the markers at the end of
// its deployments list (or a deployments list at the end) the first time.
// Every byte outside the markers stays as it was.
func mergeRegion(existing, region []byte) ([]byte, error) {
	lines := strings.SplitAfter(string(existing), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	crlf := len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n")
	if crlf { // write the region with the file's own line endings
		region = []byte(strings.ReplaceAll(strings.ReplaceAll(string(region), "\r\n", "\n"), "\n", "\r\n"))
	}
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	indented := func(indent string) string {
		var b strings.Builder
		for _, l := range strings.SplitAfter(strings.TrimLeft(string(region), "\n"), "\n") {
			if l == "" {
				continue
			}
			if strings.TrimSpace(l) == "" {
				b.WriteString(l)
				continue
			}
			b.WriteString(indent + l)
		}
		s := b.String()
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += nl
		}
		return s
	}
	begin, end := -1, -1
	beginPrefix := MarkerBegin[:strings.Index(MarkerBegin, ":")]
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, beginPrefix) && begin >= 0:
			return nil, fmt.Errorf("line %d: a second prefectgen begin marker (the first is at line %d); keep one pair of markers", i+1, begin+1)
		case strings.HasPrefix(t, beginPrefix):
			begin = i
		case t == MarkerEnd && begin >= 0 && end >= 0:
			return nil, fmt.Errorf("line %d: a second prefectgen end marker (the first is at line %d); keep one pair of markers", i+1, end+1)
		case t == MarkerEnd && begin >= 0:
			end = i
		}
	}
	if begin >= 0 && end < 0 {
		return nil, fmt.Errorf("line %d: the prefectgen begin marker has no end marker %q", begin+1, MarkerEnd)
	}
	if begin >= 0 {
		// The entries take the indentation of the list they are in: that
		// of the marker, unless the entries between the markers show
		// another (someone moved the marker).
		indent := lines[begin][:len(lines[begin])-len(strings.TrimLeft(lines[begin], " \t"))]
		for _, l := range lines[begin+1 : end] {
			if m := itemIndent.FindStringSubmatch(l); m != nil {
				indent = m[1]
				break
			}
		}
		var b strings.Builder
		for _, l := range lines[:begin+1] {
			b.WriteString(l)
		}
		b.WriteString(indented(indent))
		for _, l := range lines[end:] {
			b.WriteString(l)
		}
		return []byte(b.String()), nil
	}
	block := func(indent string) string {
		return indent + MarkerBegin + nl + indented(indent) + indent + MarkerEnd + nl
	}
	key := -1
	for i, l := range lines {
		if deploymentsKey.MatchString(strings.TrimRight(l, "\r\n")) {
			key = i
			break
		}
		if strings.HasPrefix(l, "deployments:") {
			return nil, fmt.Errorf("line %d: the deployments list is written inline; write it as a block list (one \"- name: ...\" per line) so that prefectgen can add its deployments", i+1)
		}
	}
	var b strings.Builder
	if key < 0 {
		for _, l := range lines {
			b.WriteString(l)
		}
		if len(lines) > 0 && !strings.HasSuffix(lines[len(lines)-1], "\n") {
			b.WriteString(nl)
		}
		b.WriteString("deployments:" + nl + block(""))
		return []byte(b.String()), nil
	}
	stop := len(lines)
	for i := key + 1; i < len(lines); i++ {
		if topLevelKey.MatchString(lines[i]) {
			stop = i
			break
		}
	}
	insert := stop
	for insert > key+1 && (strings.TrimSpace(lines[insert-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[insert-1]), "#") && !strings.HasPrefix(lines[insert-1], " ")) {
		insert--
	}
	indent := ""
	for i := key + 1; i < stop; i++ {
		if m := itemIndent.FindStringSubmatch(lines[i]); m != nil {
			indent = m[1]
			break
		}
	}
	for _, l := range lines[:insert] {
		b.WriteString(l)
	}
	if insert > 0 && !strings.HasSuffix(lines[insert-1], "\n") {
		b.WriteString(nl)
	}
	b.WriteString(block(indent))
	for _, l := range lines[insert:] {
		b.WriteString(l)
	}
	return []byte(b.String()), nil
}

// handEntry is a hand-written deployment of prefect.yaml.
type handEntry struct {
	name, entrypoint, flowName string
	line, col                  int
}

// handWritten lists the deployments of a prefect.yaml outside prefectgen's
// markers.
func handWritten(existing []byte) ([]handEntry, error) {
	f, err := parser.ParseBytes(existing, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", PrefectFile, err)
	}
	if len(f.Docs) > 1 {
		return nil, fmt.Errorf("%s holds %d YAML documents (---); Prefect reads one: merge them", PrefectFile, len(f.Docs))
	}
	// The lines between prefectgen's markers (1-based, begin exclusive),
	// found once.
	regionStart, regionEnd := 0, 0
	for i, l := range strings.Split(string(existing), "\n") {
		switch t := strings.TrimSpace(l); {
		case strings.HasPrefix(t, "# >>> prefectgen") && regionStart == 0:
			regionStart = i + 1
		case t == MarkerEnd && regionStart > 0 && regionEnd == 0:
			regionEnd = i + 1
		}
	}
	inRegion := func(line int) bool {
		return regionStart > 0 && line > regionStart && (regionEnd == 0 || line < regionEnd)
	}
	var out []handEntry
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, nil
	}
	root, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		if mv, isMV := f.Docs[0].Body.(*ast.MappingValueNode); isMV {
			root = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			return nil, nil
		}
	}
	for _, kv := range root.Values {
		if kv.Key.String() != "deployments" {
			continue
		}
		seq, ok := kv.Value.(*ast.SequenceNode)
		if !ok {
			continue
		}
		for _, item := range seq.Values {
			m, ok := item.(*ast.MappingNode)
			var vals []*ast.MappingValueNode
			if ok {
				vals = m.Values
			} else if mv, isMV := item.(*ast.MappingValueNode); isMV {
				vals = []*ast.MappingValueNode{mv}
			}
			var e handEntry
			for _, v := range vals {
				val := strings.Trim(v.Value.String(), `"'`)
				if s, isStr := v.Value.(*ast.StringNode); isStr {
					val = s.Value
				}
				switch v.Key.String() {
				case "name":
					e.name = val
					tk := v.Value.GetToken()
					e.line, e.col = tk.Position.Line, tk.Position.Column
				case "entrypoint":
					e.entrypoint = val
				case "flow_name":
					e.flowName = val
				}
			}
			if e.name != "" && !inRegion(e.line) {
				out = append(out, e)
			}
		}
	}
	return out, nil
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
	var doc map[string]any
	if err := yamlv3.Unmarshal(content, &doc); err != nil {
		return fmt.Errorf("it is not valid YAML: %w", err)
	}
	for k := range doc {
		if !slices.Contains(prefectTopKeys, k) {
			return fmt.Errorf("top-level key %q is not one Prefect reads", k)
		}
	}
	list, _ := doc["deployments"].([]any)
	byKey := map[string]map[string]any{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("a deployment is not a mapping")
		}
		name, _ := m["name"].(string)
		ep, _ := m["entrypoint"].(string)
		byKey[name+"\x00"+ep] = m
	}
	for _, d := range deps {
		got, ok := byKey[d.DeploymentName+"\x00"+d.Entrypoint]
		if !ok {
			return fmt.Errorf("deployment %s is missing", d.FullName)
		}
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
