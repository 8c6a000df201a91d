package generator

import (
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"prefectgen/generator/discover"
)

func TestIntervalSeconds(t *testing.T) {
	for in, want := range map[string]any{
		"3600": 3600, "90.5": 90.5, "PT10M": 600, "P1D": 86400, "P1DT2H30M": 95400, "PT0.5S": 0.5,
		"01:30:00": 5400, "0:00:30": 30, "P": nil, "PT": nil, "PT0S": nil, "0": nil, "-5": nil, "soon": nil, "1 day": nil,
	} {
		got, ok := intervalSeconds(&yamlv3.Node{Kind: yamlv3.ScalarNode, Value: in})
		if want == nil {
			if ok {
				t.Errorf("intervalSeconds(%q) = %v, want none", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("intervalSeconds(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}

// TestAdoptSkipsGenerated: the entries between prefectgen's markers are
// its own, never adopted; taking the adopted ones out keeps the markers,
// the comments of the entries that stay, and CRLF line endings.
func TestAdoptSkipsGenerated(t *testing.T) {
	src := strings.Join([]string{
		"deployments:",
		"  # the nightly run",
		"  - name: nightly",
		"    entrypoint: flows/a.py:a",
		"    work_pool: {name: p}",
		"  # kept",
		"  - name: other",
		"    entrypoint: elsewhere.py:x",
		"  " + MarkerBegin,
		"  - name: development-python",
		"    entrypoint: flows/a.py:a",
		"  " + MarkerEnd,
		"",
	}, "\r\n")
	flows := []discover.FlowMetadata{{Name: "a", FunctionName: "a", Entrypoint: "flows/a.py:a", ModulePath: "flows.a"}}
	a, err := Adopt([]byte(src), flows)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Flows) != 1 || a.Flows[0].Line != 3 || a.Flows[0].Settings[0] != (Setting{"deployment_name", "nightly"}) {
		t.Fatalf("adopted %+v", a.Flows)
	}
	if len(a.Problems) != 2 || a.Problems[0].Line != 3 || a.Problems[1].Line != 7 {
		t.Errorf("problems: %v", a.Problems)
	}
	want := strings.Join([]string{
		"deployments:",
		"  # kept",
		"  - name: other",
		"    entrypoint: elsewhere.py:x",
		"  " + MarkerBegin,
		"  - name: development-python",
		"    entrypoint: flows/a.py:a",
		"  " + MarkerEnd,
		"",
	}, "\r\n")
	if string(a.Rest) != want {
		t.Errorf("rest:\n%q\nwant:\n%q (%s)", a.Rest, want, a.RestReason)
	}
}
