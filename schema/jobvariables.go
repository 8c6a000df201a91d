package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// jobTemplates are the default base job templates of the work pool types,
// from the releases pinned in scripts/requirements-worker-templates.txt
// (scripts/worker-templates.sh writes them).
//
//go:embed jobtemplates/*.json
var jobTemplates embed.FS

// jobVariable is one variable of a base job template.
type jobVariable struct {
	Type  string        `json:"type"`
	AnyOf []jobVariable `json:"anyOf"`
	Ref   string        `json:"$ref"`
}

// types are the JSON types a variable takes; nil means any.
func (v jobVariable) types() []string {
	if v.Ref != "" {
		return nil // a block reference: not checked
	}
	if v.Type != "" {
		return []string{v.Type}
	}
	var out []string
	for _, a := range v.AnyOf {
		t := a.types()
		if t == nil {
			return nil
		}
		out = append(out, t...)
	}
	return out
}

var poolVariables = sync.OnceValue(func() map[string]map[string]jobVariable {
	out := map[string]map[string]jobVariable{}
	for _, typ := range []string{"process", "docker", "kubernetes"} {
		data, err := jobTemplates.ReadFile("jobtemplates/" + typ + ".json")
		if err != nil {
			panic("schema: no base job template for " + typ)
		}
		var t struct {
			Variables struct {
				Properties map[string]jobVariable `json:"properties"`
			} `json:"variables"`
		}
		if err := json.Unmarshal(data, &t); err != nil {
			panic("schema: base job template of " + typ + ": " + err.Error())
		}
		out[typ] = t.Variables.Properties
	}
	return out
})

// JobVariableNames returns the job variables a work pool type takes,
// sorted; nil for a type prefectgen has no template of.
func JobVariableNames(poolType string) []string {
	vars, ok := poolVariables()[poolType]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(vars))
}

// CheckJobVariable checks one job variable against the base job template
// of a work pool type: the message says what is wrong, "" when nothing
// is. A variable the template does not declare is never used by the
// worker; one of the wrong type is refused by the server.
func CheckJobVariable(poolType, key string, value any) string {
	vars, ok := poolVariables()[poolType]
	if !ok {
		return ""
	}
	v, ok := vars[key]
	if !ok {
		msg := fmt.Sprintf("%s work pools have no job variable %s; their workers would ignore it", poolType, key)
		if n := nearest(key, JobVariableNames(poolType)); n != "" {
			msg += fmt.Sprintf("; did you mean %s?", n)
		}
		return msg
	}
	want := v.types()
	got := jsonType(value)
	if want == nil || slices.Contains(want, got) || got == "integer" && slices.Contains(want, "number") {
		return ""
	}
	if s, isStr := value.(string); isStr && strings.Contains(s, "{{") {
		return "" // a Prefect placeholder: its value is known when it is resolved
	}
	return fmt.Sprintf("job variable %s of %s work pools is %s, not %s", key, poolType, strings.Join(typeNames(want), " or "), article(got))
}

// jsonType is the JSON type of a decoded value.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case int, int64:
		return "integer"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any, []string:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func typeNames(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = article(t)
	}
	return out
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}
