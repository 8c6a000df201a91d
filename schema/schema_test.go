package schema

import (
	"reflect"
	"slices"
	"sort"
	"testing"

	"cuelang.org/go/cue"
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
		"#Schedule": reflect.TypeOf(Schedule{}), "#Templates": reflect.TypeOf(Templates{}),
		"#Template": reflect.TypeOf(Template{}),
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

// TestSeedFilesLoad loads the seed's two example files, as the example
// repository holds them, with no error.
func TestSeedFilesLoad(t *testing.T) {
	cfg, probs := Load("deployment_config.yaml", mustRead(t, "../examples/rpa-platform/deployment_config.yaml"))
	if cfg == nil || len(probs) > 0 {
		t.Fatalf("deployment_config.yaml: %v", probs)
	}
	if got := cfg.Environments["staging"].WorkPools["docker"].Name; got != "staging-docker-pool" {
		t.Errorf("staging docker pool %q", got)
	}
	if probs := cfg.LoadTemplates("flow_templates.yaml", mustRead(t, "../examples/rpa-platform/flow_templates.yaml")); len(probs) > 0 {
		t.Fatalf("flow_templates.yaml: %v", probs)
	}
	if cfg.Templates.ByType["docker"].JobVariables["networks"] == nil {
		t.Error("the docker template lost its networks")
	}
}
