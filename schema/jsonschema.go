package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/encoding/openapi"
)

// JSONSchema returns a JSON Schema (draft 2020-12) of deployment_config.yaml
// (def "#Config") or flow_templates.yaml (def "#Templates"), generated
// from the CUE schema, for editors.
func JSONSchema(def string) ([]byte, error) {
	s := compiled()
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := openapi.Generate(s.root, &openapi.Config{})
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	raw, err := s.ctx.BuildFile(f).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	for _, v := range doc.Components.Schemas {
		inlineAllOf(v, doc.Components.Schemas)
		fixExclusive(v)
		closeObjects(v)
	}
	name := strings.TrimPrefix(def, "#")
	if _, ok := doc.Components.Schemas[name]; !ok {
		return nil, fmt.Errorf("no definition %s in the schema", def)
	}
	out := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     "https://prefectgen.dev/schema/" + strings.ToLower(name) + ".json",
		"title":   map[string]string{"Config": "prefectgen deployment_config.yaml", "Templates": "prefectgen flow_templates.yaml"}[name],
		"$ref":    "#/$defs/" + name,
		"$defs":   doc.Components.Schemas,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(`"#/components/schemas/`), []byte(`"#/$defs/`))
	return append(b, '\n'), nil
}

// closeObjects makes every object with properties refuse other keys, as
// the CUE definitions do, and drops "required" for properties that have a
// default (CUE fills them in) or are whole sections.
func closeObjects(v any) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			if _, set := x["additionalProperties"]; !set {
				x["additionalProperties"] = false
			}
			if req, ok := x["required"].([]any); ok {
				var keep []any
				for _, r := range req {
					p, _ := props[fmt.Sprint(r)].(map[string]any)
					_, hasDefault := p["default"]
					_, isRef := p["$ref"]
					if !hasDefault && !isRef {
						keep = append(keep, r)
					}
				}
				if len(keep) == 0 {
					delete(x, "required")
				} else {
					x["required"] = keep
				}
			}
		}
		for _, child := range x {
			closeObjects(child)
		}
	case []any:
		for _, child := range x {
			closeObjects(child)
		}
	}
}

// inlineAllOf copies the properties of allOf references into the object,
// so that closing it does not refuse them (CUE's embedding is a union of
// fields, JSON Schema's allOf is not).
func inlineAllOf(v any, defs map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if all, ok := x["allOf"].([]any); ok {
			props, _ := x["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			var rest []any
			for _, item := range all {
				ref, _ := item.(map[string]any)["$ref"].(string)
				target, _ := defs[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
				tprops, ok := target["properties"].(map[string]any)
				if !ok {
					rest = append(rest, item)
					continue
				}
				for k, p := range tprops {
					if _, exists := props[k]; !exists {
						props[k] = p
					}
				}
			}
			x["properties"] = props
			if len(rest) == 0 {
				delete(x, "allOf")
			} else {
				x["allOf"] = rest
			}
		}
		for _, child := range x {
			inlineAllOf(child, defs)
		}
	case []any:
		for _, child := range x {
			inlineAllOf(child, defs)
		}
	}
}

// fixExclusive turns OpenAPI 3.0's boolean exclusiveMinimum/Maximum into
// JSON Schema's numbers.
func fixExclusive(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
			if b, ok := x[k[0]].(bool); ok {
				if b {
					x[k[0]] = x[k[1]]
					delete(x, k[1])
				} else {
					delete(x, k[0])
				}
			}
		}
		for _, child := range x {
			fixExclusive(child)
		}
	case []any:
		for _, child := range x {
			fixExclusive(child)
		}
	}
}
