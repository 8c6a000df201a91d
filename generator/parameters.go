package generator

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

// signature describes what parameters a flow accepts.
type signature struct {
	names  []string
	varKW  string // the **kwargs name, "" when none
	params []discover.Parameter
}

// annotation returns the annotation text of a parameter.
func (s signature) annotation(name string) string {
	for _, p := range s.params {
		if p.Name == name {
			return p.Annotation
		}
	}
	return ""
}

var optionalAnn = regexp.MustCompile(`^(?:Optional\[\s*(\w+)\s*\]|(\w+)\s*\|\s*None|None\s*\|\s*(\w+))$`)

// typeMismatch reports whether a configured value cannot be the
// parameter's simple annotation (str, int, float, bool, optionally
// Optional), as Prefect's parameter schema would refuse it; want names the
// type. Other annotations are not checked.
func typeMismatch(ann string, v any) (want string, bad bool) {
	ann = strings.TrimSpace(ann)
	nullable := false
	if m := optionalAnn.FindStringSubmatch(ann); m != nil {
		ann, nullable = m[1]+m[2]+m[3], true
	}
	if v == nil {
		return "not optional", !nullable && slices.Contains([]string{"str", "int", "float", "bool"}, ann)
	}
	switch ann {
	case "str":
		_, ok := v.(string)
		return "a str", !ok
	case "bool":
		_, ok := v.(bool)
		return "a bool", !ok
	case "int":
		n, ok := v.(json.Number)
		if !ok {
			return "an int", true
		}
		_, err := n.Int64()
		return "an int", err != nil
	case "float":
		_, ok := v.(json.Number)
		return "a float", !ok
	}
	return "", false
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the bool %v", x)
	case json.Number:
		return "the number " + x.String()
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

// nest sets a parameter the flow takes only through its **kwargs: under
// the **kwargs name, the one way Prefect passes it.
func (s signature) nest(dst map[string]any, k string, v any) {
	kw, _ := dst[s.varKW].(map[string]any)
	kw = maps.Clone(kw)
	if kw == nil {
		kw = map[string]any{}
	}
	kw[k] = v
	dst[s.varKW] = kw
}

// signatureParams is a flow's signature as a deployment records it.
func signatureParams(f *discover.FlowMetadata) []model.Parameter {
	out := []model.Parameter{}
	for _, p := range f.Parameters {
		out = append(out, model.Parameter{Name: p.Name, Required: p.Required})
	}
	return out
}

func signatureOf(f *discover.FlowMetadata) signature {
	var s signature
	for _, p := range f.Parameters {
		switch p.Kind {
		case "var_keyword":
			s.varKW = p.Name
		case "var_positional", "positional_only":
		default:
			s.names = append(s.names, p.Name)
		}
	}
	s.params = f.Parameters
	return s
}

// applyParams sets configured parameters, checking each against the
// flow's signature. Names the flow does not take go under its **kwargs
// (Prefect passes only that way), or are errors when it has none.
func (m *ConfigurationManager) applyParams(dst, src map[string]any, sig signature, f *discover.FlowMetadata, path func(string) []string, template bool) []diag.ValidationError {
	var probs []diag.ValidationError
	for _, k := range slices.Sorted(maps.Keys(src)) {
		v := src[k]
		switch {
		case slices.Contains(sig.names, k):
			dst[k] = v
			if want, ok := typeMismatch(sig.annotation(k), v); ok {
				msg := fmt.Sprintf("parameter %s of flow %q is %s, so %s will be refused", k, f.Name, want, describeValue(v))
				if template {
					probs = append(probs, m.Config.TemplateProblem(diag.ConfigParameterType, path(k), msg))
				} else {
					probs = append(probs, m.Config.Problem(diag.ConfigParameterType, path(k), msg))
				}
			}
		case sig.varKW != "":
			sig.nest(dst, k, v)
		default:
			msg := fmt.Sprintf("flow %q has no parameter %s", f.Name, k)
			if s := schema.Nearest(k, sig.names); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			} else if len(sig.names) > 0 {
				msg += fmt.Sprintf(" (it takes %s)", strings.Join(sig.names, ", "))
			} else {
				msg += " (it takes none)"
			}
			if template {
				probs = append(probs, m.Config.TemplateProblem(diag.ConfigUnknownParameter, path(k), msg))
			} else {
				probs = append(probs, m.Config.KeyProblem(diag.ConfigUnknownParameter, path(k), msg))
			}
		}
	}
	return probs
}

// applyDefaults sets an environment's default parameters that the flow
// takes; the others are not applied, and noted.
func (m *ConfigurationManager) applyDefaults(dst, defaults map[string]any, sig signature, f *discover.FlowMetadata, e *schema.EnvironmentConfig) []diag.ValidationError {
	var probs []diag.ValidationError
	for _, k := range slices.Sorted(maps.Keys(defaults)) {
		v := defaults[k]
		switch {
		case slices.Contains(sig.names, k):
			dst[k] = v
		case sig.varKW != "":
			sig.nest(dst, k, v)
		default:
			probs = append(probs, m.Config.KeyProblem(diag.ConfigParameterNotApplied, []string{"environments", e.Name, "default_parameters", k},
				fmt.Sprintf("default parameter %s is not applied to flow %q, which does not take it", k, f.Name)))
		}
	}
	return probs
}
