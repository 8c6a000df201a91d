package schema

import (
	"bytes"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"prefectgen/model"

	"cuelang.org/go/cue"
	goyaml "github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestGoTypesMatchSchema checks that every field of each CUE definition
// has a field of the same name in the Go type it decodes into, and the
// other way round: the Go types are written by hand from the schema.
func TestGoTypesMatchSchema(t *testing.T) {
	pairs := map[string]reflect.Type{
		"#Config": reflect.TypeOf(Config{}), "#Environment": reflect.TypeOf(EnvironmentConfig{}),
		"#WorkPoolObject": reflect.TypeOf(WorkPoolConfig{}), "#ResourceLimits": reflect.TypeOf(ResourceLimits{}),
		"#Images": reflect.TypeOf(ImagesConfig{}), "#Naming": reflect.TypeOf(NamingConfig{}),
		"#Settings": reflect.TypeOf(Settings{}), "#Flow": reflect.TypeOf(FlowConfig{}),
		"#Schedule": reflect.TypeOf(model.Schedule{}), "#Templates": reflect.TypeOf(Templates{}),
		"#Template": reflect.TypeOf(Template{}), "#Process": reflect.TypeOf(ProcessConfig{}),
		"#Git": reflect.TypeOf(GitConfig{}), "#Deploy": reflect.TypeOf(DeployConfig{}),
		"#ProblemRule": reflect.TypeOf(ProblemRule{}),
	}
	s := compiled()
	s.mu.Lock()
	defer s.mu.Unlock()
	for def, typ := range pairs {
		v := s.root.LookupPath(cue.ParsePath(def))
		if !v.Exists() {
			t.Errorf("no %s in the schema", def)
			continue
		}
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			t.Fatal(err)
		}
		var cueFields []string
		for it.Next() {
			cueFields = append(cueFields, it.Selector().Unquoted())
		}
		goFields := tagsOf(typ)
		sort.Strings(cueFields)
		sort.Strings(goFields)
		if !slices.Equal(cueFields, goFields) {
			t.Errorf("%s: CUE fields %v, Go %s fields %v", def, cueFields, typ.Name(), goFields)
		}
	}
}

// TestSeedFilesLoad loads the seed's two example files, as golden/seed-config
// holds them, with no error.
func TestSeedFilesLoad(t *testing.T) {
	cfg, probs := Load("deployment_config.yaml", mustRead(t, "../golden/seed-config/in/deployment_config.yaml"))
	if cfg == nil || len(probs) > 0 {
		t.Fatalf("deployment_config.yaml: %v", probs)
	}
	if got := cfg.Environments["staging"].WorkPools["docker"].Name; got != "staging-docker-pool" {
		t.Errorf("staging docker pool %q", got)
	}
	if probs := cfg.LoadTemplates("flow_templates.yaml", mustRead(t, "../golden/seed-config/in/flow_templates.yaml")); len(probs) > 0 {
		t.Fatalf("flow_templates.yaml: %v", probs)
	}
	if cfg.Templates.ByType["docker"].JobVariables["networks"] == nil {
		t.Error("the docker template lost its networks")
	}
}

// TestJSONSchema checks the JSON Schema generated for editors with a real
// JSON Schema validator: the seed's files pass, unknown keys and wrong
// values do not.
func TestJSONSchema(t *testing.T) {
	for _, c := range []struct {
		def, file string
		bad       []string
	}{
		{"#Config", "../golden/seed-config/in/deployment_config.yaml", []string{
			`{"enviroments": {}}`,
			`{"environments": {"dev": {"image_pull_policy": "Sometimes"}}}`,
			`{"flows": {"x": {"schedules": [{"interval": -5}]}}}`,
			`{"environments": {"dev": {"work_pools": {"lambda": "x"}}}}`,
		}},
		{"#Templates", "../golden/seed-config/in/flow_templates.yaml", []string{`{"python_deployment": {"job_variable": {}}}`}},
	} {
		raw, err := JSONSchema(c.def)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource("s.json", doc); err != nil {
			t.Fatal(err)
		}
		sch, err := comp.Compile("s.json")
		if err != nil {
			t.Fatalf("%s: the generated JSON Schema does not compile: %v", c.def, err)
		}
		var seed any
		if err := goyaml.Unmarshal(mustRead(t, c.file), &seed); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(jsonNumbers(seed)); err != nil {
			t.Errorf("%s refuses %s: %v", c.def, c.file, err)
		}
		for _, b := range c.bad {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if sch.Validate(v) == nil {
				t.Errorf("%s accepts %s", c.def, b)
			}
		}
	}
}

// jsonNumbers turns YAML's integers into the float64 a JSON decoder gives.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonNumbers(e)
		}
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}
