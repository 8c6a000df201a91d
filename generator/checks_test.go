package generator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	goyaml "github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

// prefectSchemaPath is Prefect's JSON Schema of prefect.yaml, beside the
// repository in ../shared. The tests that need it fail when it is absent.
var prefectSchemaPath = filepath.Join("..", "..", "shared", "prefect", "prefect.yaml.schema.json")

func prefectSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(prefectSchemaPath)
	if err != nil {
		t.Fatalf("Prefect's JSON Schema is needed: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("prefect.yaml.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("prefect.yaml.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSONValue decodes YAML into the values a JSON Schema validator takes.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := goyaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return jsonValue(v)
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return v
}

// TestGoldenPrefectFilesMatchPrefectSchema checks every golden prefect.yaml
// against Prefect's own JSON Schema.
func TestGoldenPrefectFilesMatchPrefectSchema(t *testing.T) {
	s := prefectSchema(t)
	files, _ := filepath.Glob(filepath.Join("..", "golden", "*", "out", PrefectFile))
	if len(files) < 5 {
		t.Fatalf("found %d golden prefect.yaml files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlToJSONValue(t, data)); err != nil {
			t.Errorf("%s does not satisfy Prefect's JSON Schema: %v", f, err)
		}
	}
}

// TestGoldenDockerfilesParse parses every generated Dockerfile with
// BuildKit's parser and checks it has nothing to report.
func TestGoldenDockerfilesParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "golden", "*", "out", "*", "*", DockerfileName))
	if len(files) < 3 {
		t.Fatalf("found %d golden Dockerfiles", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if probs := ValidateDockerfile(f, data, "/app", nil); len(probs) > 0 {
			t.Errorf("%s: %v", f, probs)
		}
	}
	bad := []struct{ src, code string }{
		{"RUN echo hi\n", diag.DockerfileSyntax},
		{"FROM python:3.11\nFROOM x\n", diag.DockerfileSyntax},
		{"# only a comment\n", diag.DockerfileNoFrom},
	}
	for _, b := range bad {
		probs := ValidateDockerfile("Dockerfile", []byte(b.src), "/app", nil)
		if len(probs) == 0 || probs[0].Code != b.code {
			t.Errorf("%q: got %v, want %s", b.src, probs, b.code)
		}
	}
}

// awkwardString returns a random string made of the characters that break
// naive YAML, shell and make quoting.
func awkwardString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", ":", "#", "'", "\"", "\\", "$", "{{", "}}", "{", "}", "*", "&", "!", "%", "@", "`",
		"-", "?", "|", ">", "[", "]", ",", "é", "✓", "日本", "\t", "\n", "yes", "no", "null", "~", "0x1F", "1e3", ".inf", "---", "=", ";"}
	var b strings.Builder
	for n := r.IntN(8) + 1; n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestRoundTrip renders prefect.yaml for random awkward names and
// parameter values and parses it back: every value must come back exactly
// (SelfCheck compares each entry with what was intended), and the file
// must satisfy Prefect's JSON Schema.
func TestRoundTrip(t *testing.T) {
	s := prefectSchema(t)
	tm, err := LoadTemplates("", "")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		name := awkwardString(r)
		f := &discover.FlowMetadata{Name: awkwardString(r), Entrypoint: "flows/x.py:" + awkwardString(r)}
		d := model.DeploymentConfig{
			FlowName: f.Name, DeploymentName: name, FullName: f.Name + "/" + name, Entrypoint: f.Entrypoint,
			WorkPool: awkwardString(r), WorkQueue: awkwardString(r), Description: awkwardString(r), Version: awkwardString(r),
			Tags:         []string{awkwardString(r), model.ManagedTag},
			Parameters:   map[string]any{awkwardString(r): awkwardString(r), "n": int64(r.IntN(1000)), "f": r.Float64() * 1e6, "b": r.IntN(2) == 0, "nil": nil, "l": []any{awkwardString(r), int64(-1)}},
			JobVariables: map[string]any{"env": map[string]any{awkwardString(r): awkwardString(r)}},
			Schedules:    []model.Schedule{{Cron: "0 6 * * *", Timezone: "UTC", Active: true, Slug: awkwardString(r), Parameters: map[string]any{awkwardString(r): awkwardString(r)}}},
			CodeDir:      "/" + awkwardString(r),
		}
		data := prefectData{Sources: "x", PrefectVersion: "3.9.1", Deployments: views([]model.DeploymentConfig{d})}
		out, err := tm.render("prefect.yaml.tmpl", data)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if err := SelfCheck(out, data.Deployments); err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, out)
		}
		if err := s.Validate(yamlToJSONValue(t, out)); err != nil {
			t.Fatalf("case %d: Prefect's schema: %v\n%s", i, err, out)
		}
	}
}

// TestMakeFragmentQuoting generates prefect.mk for flows with awkward
// names and runs each per-flow target with make -n through a shell, with
// a stand-in prefectgen that prints its arguments: each argument must
// arrive exactly as the flow's name.
func TestMakeFragmentQuoting(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed: ", err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var flows []discover.FlowMetadata
	for i := range 40 {
		name := strings.NewReplacer("\n", "", "\r", "").Replace(awkwardString(r)) + fmt.Sprint(i)
		if !utf8.ValidString(name) {
			continue
		}
		flows = append(flows, discover.FlowMetadata{Name: name, Entrypoint: fmt.Sprintf("flows/f%d.py:main", i), Deployable: true})
	}
	cfg := schema.Default()
	g := &gen{p: &Project{Root: t.TempDir(), Config: cfg, Discovery: &discover.Result{Flows: flows}}, out: &Output{Files: map[string][]byte{}}}
	tm, err := LoadTemplates("", "")
	if err != nil {
		t.Fatal(err)
	}
	g.tm = tm
	if err := g.makefile(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mk := filepath.Join(dir, "prefect.mk")
	if err := os.WriteFile(mk, g.out.Files[MakeFragment], 0o644); err != nil {
		t.Fatal(err)
	}
	stand := filepath.Join(dir, "prefectgen")
	if err := os.WriteFile(stand, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, f := range flows {
		target := "deploy-" + targetName(f.Name)
		if i > 0 { // names that clash get a suffix: take it from the file
			target = findTarget(t, g.out.Files[MakeFragment], f.Entrypoint, "deploy-")
		}
		cmd := exec.Command("make", "--no-print-directory", "-s", "-f", mk, target, "PREFECTGEN="+stand)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		want := []string{"deploy", "--env", "development", "--type", "all", "--flow", f.Name, "--create-pools"}
		if strings.Join(args, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("make %s passed %q, want %q", target, args, want)
		}
	}
	// make -n accepts the whole fragment.
	if out, err := exec.Command("make", "-n", "-f", mk, "prefect-help").CombinedOutput(); err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
}

// findTarget returns the target after the comment naming entrypoint.
func findTarget(t *testing.T, mk []byte, entrypoint, prefix string) string {
	t.Helper()
	lines := bytes.Split(mk, []byte("\n"))
	for i, l := range lines {
		if string(l) == "# "+entrypoint {
			for _, next := range lines[i+1:] {
				if name, _, ok := strings.Cut(string(next), ":"); ok && strings.HasPrefix(name, prefix) {
					return name
				}
			}
		}
	}
	t.Fatalf("no %s target for %s", prefix, entrypoint)
	return ""
}

// TestGenerateTwice checks that generating twice gives identical bytes.
func TestGenerateTwice(t *testing.T) {
	root := filepath.Join("..", "examples", "rpa-platform")
	var first map[string][]byte
	for range 2 {
		p, err := Load(root, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := Generate(p, GenerateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out.Files
			continue
		}
		for k, v := range out.Files {
			if !bytes.Equal(first[k], v) {
				t.Errorf("%s differs between two runs", k)
			}
		}
	}
}
