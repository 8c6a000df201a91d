package generator

import (
	"reflect"
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

// TestLaxBool: booleans are read as Prefect (pydantic's lax mode) reads
// them, quoted or not; anything else is not one.
func TestLaxBool(t *testing.T) {
	for in, want := range map[string]any{
		"true": true, "True": true, `"true"`: true, "1": true, `"1"`: true, `"t"`: true, `"YES"`: true, "yes": true,
		`"y"`: true, "on": true, "1.0": true, "false": false, `"false"`: false, "0": false, `"0"`: false, `"f"`: false,
		"no": false, `"n"`: false, `"Off"`: false, "0.0": false,
		"2": nil, `"2"`: nil, `"maybe"`: nil, `""`: nil, `" true"`: nil, `"1.0"`: nil, "[true]": nil, "{a: 1}": nil,
	} {
		var doc yamlv3.Node
		if err := yamlv3.Unmarshal([]byte("v: "+in), &doc); err != nil {
			t.Fatal(err)
		}
		got, isSet, ok := laxBool(doc.Content[0].Content[1])
		switch {
		case want == nil && ok:
			t.Errorf("laxBool(%s) = %v, want none", in, got)
		case want != nil && (!ok || !isSet || got != want):
			t.Errorf("laxBool(%s) = %v, %v, %v; want %v", in, got, isSet, ok, want)
		}
	}
	var doc yamlv3.Node
	_ = yamlv3.Unmarshal([]byte("v: null"), &doc)
	if _, isSet, ok := laxBool(doc.Content[0].Content[1]); isSet || !ok {
		t.Errorf("laxBool(null) = set %v, ok %v; want unset", isSet, ok)
	}
}

// TestAdoptReadsAsPrefect: quoted and numeric booleans keep a deployment
// paused and a schedule inactive; a null timezone is unset; a schedule
// without a kind, a deployment whose paused or active cannot be read (or
// is a template), and one whose name has a line break are reported at
// their lines, the latter two held in prefect.yaml.
func TestAdoptReadsAsPrefect(t *testing.T) {
	src := strings.Join([]string{
		"deployments:",
		"- name: a",
		"  entrypoint: a.py:a",
		`  paused: "true"`,
		`  enforce_parameter_schema: "false"`,
		"  schedules:",
		"  - {}",
		`  - {cron: "0 1 * * *", timezone: null, active: "false"}`,
		"- name: b",
		"  entrypoint: b.py:b",
		"  schedules:",
		`  - {cron: "0 1 * * *", active: "{{ $ACTIVE }}"}`,
		"- name: c",
		"  entrypoint: c.py:c",
		"  paused: sometimes",
		`- name: "d\ne"`,
		"  entrypoint: d.py:d",
		"",
	}, "\n")
	var flows []discover.FlowMetadata
	for _, n := range []string{"a", "b", "c", "d"} {
		flows = append(flows, discover.FlowMetadata{Name: n, FunctionName: n, Entrypoint: n + ".py:" + n})
	}
	a, err := Adopt([]byte(src), flows)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Flows) != 1 {
		t.Fatalf("adopted %+v", a.Flows)
	}
	got := map[string]any{}
	for _, s := range a.Flows[0].Settings {
		got[s.Key] = s.Value
	}
	if got["paused"] != true || got["enforce_parameter_schema"] != false {
		t.Errorf("paused %v, enforce_parameter_schema %v; want true, false", got["paused"], got["enforce_parameter_schema"])
	}
	want := []any{map[string]any{"cron": "0 1 * * *", "active": false}}
	if !reflect.DeepEqual(got["schedules"], want) {
		t.Errorf("schedules %v, want %v", got["schedules"], want)
	}
	if want := map[string]int{"b.py:b": 9, "c.py:c": 13, "d.py:d": 16}; !reflect.DeepEqual(a.HandWritten, want) {
		t.Errorf("held %v, want %v", a.HandWritten, want)
	}
	var lines []int
	for _, p := range a.Problems {
		lines = append(lines, p.Line)
	}
	// The schedule {}, b's active, c's paused, d's name, and a's missing
	// pull step.
	if want := []int{7, 2, 12, 15, 16}; !reflect.DeepEqual(lines, want) {
		t.Errorf("problems at %v, want %v: %v", lines, want, a.Problems)
	}
}

func TestLineList(t *testing.T) {
	many := make([]int, 1000)
	for i := range many {
		many[i] = i + 1
	}
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{3}, "line 3"},
		{[]int{3, 9}, "lines 3, 9"},
		{many, "lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 990 more"},
	} {
		if got := LineList(c.in); got != c.want {
			t.Errorf("LineList(%d lines) = %q, want %q", len(c.in), got, c.want)
		}
	}
}
