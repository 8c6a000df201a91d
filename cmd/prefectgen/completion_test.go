package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
)

var exampleFlowCands = []string{
	"build-weekly-report\tflows/report_builder/workflow.py:build_weekly_report",
	"invoice-processing\tflows/invoice_processing/workflow.py:process_invoices",
	"rpa1-extract\tflows/rpa1/workflow.py:extract_customer_records",
	"rpa2-portal-scrape\tflows/rpa2/workflow.py:scrape_supplier_portal",
	"rpa3-file-sync\tflows/rpa3/workflow.py:sync_shared_drive",
}

var exampleEnvCands = []string{
	"development\thttp://localhost:4200/api",
	"staging\thttp://staging-prefect:4200/api",
}

// complete runs prefectgen completion __complete WORDS and returns its
// lines.
func complete(t *testing.T, words ...string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"completion", completeArg}, words...)
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("prefectgen %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
}

// TestCompleteExample: the answers on the example repository
// (environments development and staging, five flows), from its folder.
func TestCompleteExample(t *testing.T) {
	t.Chdir(filepath.Join("..", "..", "examples", "rpa-platform", "flows", "rpa1")) // commands find the repository upward
	with := func(lines []string, offer string) []string { return append(append([]string{}, lines...), ":"+offer) }
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"deploy", "--env", ""}, with(exampleEnvCands, "none")},
		{[]string{"plan", "--env", "st"}, with(exampleEnvCands[1:], "none")},
		{[]string{"deploy", "--env=st"}, with([]string{"--env=staging\thttp://staging-prefect:4200/api"}, "none")},
		{[]string{"deploy", "--env", "=", ""}, with(exampleEnvCands, "none")}, // bash splits at "="
		{[]string{"smoke", "--env", "staging", "--flow", ""}, with(exampleFlowCands, "none")},
		{[]string{"deploy", "--flow", "rpa1-extract", "--flow", "rpa"}, with(exampleFlowCands[2:], "none")},
		{[]string{"status", "--type", ""}, with([]string{
			"python\tprocess work pool", "docker\tdocker work pool, the flow's image",
			"kubernetes\tkubernetes work pool, the flow's image", "all\tevery type"}, "none")},
		{[]string{"deploy", "--config", ""}, with(nil, "files")},
		{[]string{"deploy", "--config=x"}, with(nil, "files")},
		{[]string{"generate", "--templates", ""}, with(nil, "dirs")},
		{[]string{"deploy", "--concurrency", ""}, with(nil, "none")},
		{[]string{"validate", ""}, with(nil, "dirs")},
		{[]string{"validate", "."}, with(nil, "dirs")},
		{[]string{"validate", ".", ""}, with(nil, "none")},
		{[]string{"config", ""}, with([]string{"show"}, "none")},
		{[]string{"config", "show", ""}, with(nil, "dirs")},
		{[]string{"images", "p"}, with([]string{"push", "pull"}, "none")},
		{[]string{"completion", ""}, with([]string{"bash", "zsh", "fish"}, "none")},
		{[]string{"schema", ""}, with(nil, "none")},
		{[]string{"nosuch", ""}, with(nil, "none")},
		{[]string{"help", "sc"}, with([]string{"schema\tprint the configuration schema (CUE, or JSON Schema for editors)"}, "none")},
		{[]string{"-"}, with([]string{"--help\tshow the help", "--version\tprint prefectgen's version"}, "none")},
		{[]string{"generate", "--"}, with([]string{
			"--check\tchange nothing; exit 1 if any generated file would change",
			"--config\tconfiguration file (default: deployment_config.yaml at PATH)",
			"--flows-dir\tscan only this folder for flows (relative to PATH)",
			"--templates\tfolder of template overrides, relative to the current folder (default: templates_dir of the configuration, relative to PATH)",
			"--help\tshow this help"}, "none")},
		{[]string{"generate", "--check", "--c"}, with([]string{
			"--config\tconfiguration file (default: deployment_config.yaml at PATH)"}, "none")},
		{[]string{"generate", "--", "--"}, with(nil, "dirs")}, // after --, arguments only
	} {
		got := complete(t, tc.words...)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("complete %q (-want +got):\n%s", tc.words, diff)
		}
	}
	// The first word: help and every command, in help's order.
	got := complete(t, "")
	if len(got) != len(commands())+2 || got[0] != "help\tshow the help of a command" || got[len(got)-1] != ":none" {
		t.Errorf("complete \"\" = %q", got)
	}
	for i, c := range commands() {
		if got[i+1] != c.name+"\t"+c.short {
			t.Errorf("candidate %d = %q, want %s", i+1, got[i+1], c.name)
		}
	}
	// Flags repeat only when they may: --env is given, --type and --flow may
	// come again.
	got = complete(t, "deploy", "--env", "staging", "--type", "docker", "--")
	for _, l := range got {
		if strings.HasPrefix(l, "--env\t") {
			t.Errorf("--env offered again: %q", got)
		}
	}
	for _, want := range []string{"--type", "--flow"} {
		if !containsPrefix(got, want+"\t") {
			t.Errorf("%s not offered again: %q", want, got)
		}
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestCompleteRepositories: the repository is PATH when given, and
// --config and --flows-dir are honoured; a configuration with errors
// still names its environments, and no configuration means development.
func TestCompleteRepositories(t *testing.T) {
	example, err := filepath.Abs(filepath.Join("..", "..", "examples", "rpa-platform"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty/flows/a/workflow.py", "from prefect import flow\n\n@flow\ndef a_flow():\n    pass\n")
	write("broken/deployment_config.yaml", "environments:\n  prod: {work_pool: x}\n  qa: {}\n")
	write("other/config.yaml", "flows_dir: src\nenvironments:\n  blue: {prefect_api_url: \"http://blue/api\", work_pools: {python: p}}\n")
	write("other/src/b.py", "from prefect import flow\n\n@flow(name=\"bee\")\ndef b():\n    pass\n")
	write("other/c.py", "from prefect import flow\n\n@flow\ndef c():\n    pass\n")
	p := func(rel string) string { return filepath.Join(dir, rel) }
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"deploy", example, "--env", ""}, append(exampleEnvCands, ":none")},
		{[]string{"config", "show", example, "--env", "d"}, append(exampleEnvCands[:1], ":none")},
		{[]string{"images", "build", example, "--flow", "inv"}, append(exampleFlowCands[1:2], ":none")},
		{[]string{"deploy", p("empty"), "--env", ""}, []string{"development\thttp://127.0.0.1:4200/api", ":none"}},
		{[]string{"deploy", p("empty"), "--flow", ""}, []string{"a-flow\tflows/a/workflow.py:a_flow", ":none"}},
		{[]string{"deploy", p("broken"), "--env", ""}, []string{"prod", "qa", ":none"}},
		{[]string{"deploy", p("other"), "--config", p("other/config.yaml"), "--env", ""}, []string{"blue\thttp://blue/api", ":none"}},
		{[]string{"deploy", p("other"), "--config", p("other/config.yaml"), "--flow", ""}, []string{"bee\tsrc/b.py:b", ":none"}},
		{[]string{"deploy", p("other"), "--flows-dir", ".", "--flow", ""}, []string{"bee\tsrc/b.py:b", "c\tc.py:c", ":none"}},
	} {
		t.Chdir(dir) // no configuration here, nor above
		got := complete(t, tc.words...)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("complete %q (-want +got):\n%s", tc.words, diff)
		}
	}
}

// TestCompletionShells loads the scripts into real shells and completes
// real command lines in them (testdata/completion/SHELL.txtar). A shell
// that is not installed is skipped with a message saying so, except under
// CI, where it is a failure: .ci/run installs bash, zsh and fish.
func TestCompletionShells(t *testing.T) {
	example, err := filepath.Abs(filepath.Join("..", "..", "examples", "rpa-platform"))
	if err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			for _, tool := range []string{shell, "script"} {
				if _, err := exec.LookPath(tool); err != nil {
					pkg := tool
					if tool == "script" {
						pkg = "bsdutils"
					}
					msg := tool + " is not installed (Debian: apt-get install " + pkg + "): the " + shell + " completion script was NOT tested"
					if os.Getenv("CI") != "" {
						t.Fatal(msg)
					}
					t.Skip(msg)
				}
			}
			testscript.Run(t, testscript.Params{
				Files:         []string{filepath.Join("testdata", "completion", shell+".txtar")},
				UpdateScripts: *updateScripts,
				Setup: func(e *testscript.Env) error {
					e.Setenv("EXAMPLE", example)
					e.Setenv("TERM", "dumb")
					return nil
				},
			})
		})
	}
}
