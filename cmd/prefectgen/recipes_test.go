package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goyaml "github.com/goccy/go-yaml"
)

// TestCIRecipes reads the CI recipes (ci/) and the pre-commit hooks
// (.pre-commit-hooks.yaml) as their tools would, and runs every prefectgen
// command line they hold: each parses (flags and arguments), and the
// checks pass on the example repository. actionlint checks the workflow
// in make lint; scripts/precommit-test.sh runs the hooks in pre-commit.
func TestCIRecipes(t *testing.T) {
	root := filepath.Join("..", "..")
	var lines []string // prefectgen command lines

	// GitHub Actions: a check job on pull requests, a deploy job on main
	// with the credentials from secrets.
	var gh struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			If    string                 `yaml:"if"`
			Steps []struct{ Run string } `yaml:"steps"`
			Env   map[string]string      `yaml:"env"`
		} `yaml:"jobs"`
	}
	readYAML(t, filepath.Join(root, "ci", "github", "prefectgen.yml"), &gh)
	if _, ok := gh.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	if _, ok := gh.On["push"]; !ok {
		t.Error("the workflow does not run on pushes")
	}
	var ghLines [][]string
	for _, name := range []string{"check", "deploy"} {
		job, ok := gh.Jobs[name]
		if !ok {
			t.Fatalf("the workflow has no %s job", name)
		}
		var jl []string
		for _, s := range job.Steps {
			jl = append(jl, prefectgenLines(s.Run)...)
		}
		ghLines = append(ghLines, jl)
		lines = append(lines, jl...)
	}
	wantCheck := []string{"prefectgen validate", "prefectgen generate --check"}
	if !slices.Equal(ghLines[0], wantCheck) {
		t.Errorf("the check job runs %q, want %q", ghLines[0], wantCheck)
	}
	if !slices.Equal(ghLines[1], []string{"prefectgen deploy --env production"}) {
		t.Errorf("the deploy job runs %q", ghLines[1])
	}
	raw, err := os.ReadFile(filepath.Join(root, "ci", "github", "prefectgen.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"PREFECT_API_KEY: ${{ secrets.PREFECT_API_KEY }}", "PREFECT_API_AUTH_STRING: ${{ secrets.PREFECT_API_AUTH_STRING }}", "go install ./cmd/prefectgen"} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("the workflow does not hold %q", s)
		}
	}

	// GitLab CI: every job's stage is declared, what it extends exists,
	// and it has a script and rules.
	var gl map[string]any
	readYAML(t, filepath.Join(root, "ci", "gitlab", "prefectgen.gitlab-ci.yml"), &gl)
	stages, _ := gl["stages"].([]any)
	jobs := 0
	for name, v := range gl {
		job, ok := v.(map[string]any)
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		jobs++
		if !slices.Contains(stages, job["stage"]) {
			t.Errorf("GitLab job %s: stage %v is not in stages %v", name, job["stage"], stages)
		}
		if ext, ok := job["extends"].(string); ok {
			if _, ok := gl[ext].(map[string]any); !ok {
				t.Errorf("GitLab job %s extends %s, which does not exist", name, ext)
			}
		}
		script, _ := job["script"].([]any)
		if len(script) == 0 || job["rules"] == nil {
			t.Errorf("GitLab job %s has no script or no rules", name)
		}
		for _, l := range script {
			s, ok := l.(string)
			if !ok {
				t.Errorf("GitLab job %s: a script line is not a string: %v", name, l)
			}
			lines = append(lines, prefectgenLines(s)...)
		}
	}
	if jobs != 2 {
		t.Errorf("%d GitLab jobs, want a check and a deploy", jobs)
	}

	// pre-commit: each hook is built from the repository (golang) and
	// runs on the whole repository.
	var hooks []struct {
		ID, Entry, Language string
		PassFilenames       *bool `yaml:"pass_filenames"`
	}
	readYAML(t, filepath.Join(root, ".pre-commit-hooks.yaml"), &hooks)
	if len(hooks) == 0 || hooks[0].ID != "prefectgen-check" || hooks[0].Entry != "prefectgen generate --check" {
		t.Errorf("the first hook is not prefectgen-check running prefectgen generate --check: %+v", hooks)
	}
	for _, h := range hooks {
		if h.Language != "golang" || h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("hook %s: language %q, pass_filenames %v; want golang and false", h.ID, h.Language, h.PassFilenames)
		}
		lines = append(lines, h.Entry)
	}

	// Every command line parses; the checks pass on the example.
	t.Chdir(filepath.Join(root, "examples", "rpa-platform"))
	for _, l := range lines {
		args := strings.Fields(l)[1:]
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append(args, "--help"), nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "Usage: prefectgen "+args[0]) {
			t.Errorf("%s: does not parse (exit %d)\n%s", l, code, stderr.String())
		}
		if args[0] == "validate" || args[0] == "generate" {
			stdout.Reset()
			stderr.Reset()
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
				t.Errorf("%s on the example: exit %d\n%s%s", l, code, stdout.String(), stderr.String())
			}
		}
	}
}

// prefectgenLines returns the lines of a script that run prefectgen.
func prefectgenLines(script string) []string {
	var out []string
	for _, l := range strings.Split(script, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "prefectgen ") {
			out = append(out, l)
		}
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := goyaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
}
