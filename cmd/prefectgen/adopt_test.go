package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"prefectgen/deploy"
)

// adoptFlows are the flows of the repository TestAdoptPrefectYAML adopts.
var adoptFlows = map[string]string{
	"requirements.txt": "prefect==3.9.1\n",
	"flows/etl/workflow.py": `import json
from pathlib import Path

from prefect import flow


@flow(name="load")
def load(source: str, limit: int = 5, region: str = "eu"):
    """Load the day's files."""
    Path("output").mkdir(exist_ok=True)
    Path("output/load.json").write_text(json.dumps({"source": source, "limit": limit, "region": region}))
`,
	"flows/report/workflow.py": `from prefect import flow


@flow
def report_daily(team: str = "ops"):
    return team
`,
}

// handWrittenPrefectYAML is a hand-written prefect.yaml, deployed with plain
// prefect deploy before prefectgen adopts it. REPO is the repository's
// folder. Its booleans are quoted, which prefect deploy reads as booleans,
// and so must init.
const handWrittenPrefectYAML = `# Hand-written, before prefectgen.
definitions:
  pool: &pool
    name: local-pool
  common: &common
    tags: [team-data, nightly, "{{ prefect.variables.owner }}"]
    enforce_parameter_schema: "false"

build:
  - prefect.deployments.steps.run_shell_script:
      script: echo built

pull:
  - prefect.deployments.steps.set_working_directory:
      directory: REPO

deployments:
  - name: nightly
    <<: *common
    entrypoint: flows/etl/workflow.py:load
    description: "Nightly load of the day's files."
    version: "1.4.0"
    parameters:
      source: "s3://bucket/in"
      region: "{{ $REGION }}"
    schedules:
      - cron: "0 2 * * *"
        timezone: "Europe/Amsterdam"
        slug: nightly-2am
      - interval: PT6H
        timezone: null
        parameters: {limit: 50}
    concurrency_limit: 2
    work_pool:
      <<: *pool
      work_queue_name: nightly
      job_variables:
        env: {LOG_LEVEL: DEBUG}

  - name: daily-report
    entrypoint: flows/report/workflow.py:report_daily
    paused: "true"
    tags: [reporting]
    parameters: {team: finance}
    schedules:
      - rrule: "FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=7"
        active: "off"
        slug: weekly
    work_pool: *pool
`

// TestAdoptPrefectYAML deploys a hand-written prefect.yaml with the real
// prefect deploy --all, then adopts it with prefectgen init and
// generate: the plan sees the same deployments, with only what taking
// them over changes, deploy --force takes them over in place (same ids,
// so their runs stay theirs), the plan then sees no change, and an
// adopted deployment runs to Completed through a real process worker.
func TestAdoptPrefectYAML(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	prefect := filepath.Join(venv, "bin", "prefect")
	t.Setenv("PREFECTGEN_PREFECT", prefect)
	t.Setenv("REGION", "eu-west")
	repo := t.TempDir()
	for name, body := range adoptFlows {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	original := strings.ReplaceAll(handWrittenPrefectYAML, "REPO", repo)
	if err := os.WriteFile(filepath.Join(repo, "prefect.yaml"), []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	prefectCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(prefect, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "PREFECT_API_URL="+srv.API, "PREFECT_HOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("prefect %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	prefectCmd("work-pool", "create", "local-pool", "--type", "process")
	prefectCmd("variable", "set", "owner", "alice")
	if out := prefectCmd("--no-prompt", "deploy", "--all"); strings.Count(out, "successfully created") != 2 {
		t.Fatalf("prefect deploy --all:\n%s", out)
	}
	ctx := context.Background()
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	ids := map[string]string{}
	for _, n := range [][2]string{{"load", "nightly"}, {"report-daily", "daily-report"}} {
		d, err := client.DeploymentByName(ctx, n[0], n[1])
		if err != nil || d == nil {
			t.Fatalf("%s/%s after prefect deploy: %v", n[0], n[1], err)
		}
		ids[n[0]+"/"+n[1]] = d.ID
	}

	out, errOut, code := cli(t, "init", repo)
	if code != 0 || !strings.Contains(out, "adopted 2 deployments of "+filepath.Join(repo, "prefect.yaml")+" (lines 18, 40) into the configuration, each under the same name\n") {
		t.Fatalf("init exit %d:\n%s%s", code, out, errOut)
	}
	// The build step is reported, nothing else.
	if n := strings.Count(errOut, "PREFECT_YAML_NOT_ADOPTED"); n != 1 || !strings.HasPrefix(errOut, "prefect.yaml:9:1: warning: PREFECT_YAML_NOT_ADOPTED: the build section (prefect.deployments.steps.run_shell_script) is not adopted") {
		t.Fatalf("init reported %d problems, want the build section:\n%s", n, errOut)
	}
	if kept, err := os.ReadFile(filepath.Join(repo, "prefect.yaml.orig")); err != nil || string(kept) != original {
		t.Fatalf("the original prefect.yaml was not kept: %v", err)
	}
	if out, errOut, code := cli(t, "generate", repo); code != 0 {
		t.Fatalf("generate exit %d:\n%s%s", code, out, errOut)
	}
	api := []string{"--env", "development", "--api-url", srv.API}

	// The plan finds both deployments, made outside prefectgen, and what
	// taking them over changes: prefectgen's tags, and the job variables
	// that start a process run in code_dir with the code importable.
	out, errOut, code = cli(t, append([]string{"plan", repo, "--detailed-exitcode"}, api...)...)
	if code != 3 || !strings.HasPrefix(out, "plan: 0 to create, 2 to update, 0 unchanged, 0 to delete\n") {
		t.Fatalf("plan after adoption: exit %d, want 3:\n%s%s", code, out, errOut)
	}
	t.Logf("plan after adoption:\n%s", out)
	for _, name := range []string{"load/nightly", "report-daily/daily-report"} {
		i := strings.Index(out, "  ~ "+name+" (")
		if line, _, _ := strings.Cut(out[max(i, 0):], "\n"); i < 0 || !strings.HasSuffix(line, ") (exists, not managed by prefectgen: taken over with --force)") {
			i = -1
		}
		if i < 0 {
			t.Fatalf("plan does not take over %s:\n%s", name, out)
		}
		var fields []string
		for _, l := range strings.Split(out[i:], "\n")[1:] {
			if !strings.HasPrefix(l, "      ") {
				break
			}
			fields = append(fields, strings.SplitN(strings.TrimSpace(l), ":", 2)[0])
		}
		// A schedule without a slug gets one.
		want := "job_variables,tags"
		if name == "load/nightly" {
			want = "job_variables,schedules,tags"
		}
		if strings.Join(fields, ",") != want {
			t.Errorf("taking over %s changes %v, want %s:\n%s", name, fields, want, out)
		}
	}

	out, errOut, code = cli(t, append([]string{"deploy", repo, "--force"}, api...)...)
	if code != 0 || !strings.Contains(out, "0 created, 2 updated, 0 unchanged") {
		t.Fatalf("deploy --force exit %d, want 2 updated in place:\n%s%s", code, out, errOut)
	}
	out, errOut, code = cli(t, append([]string{"plan", repo, "--detailed-exitcode"}, api...)...)
	if code != 0 || !strings.Contains(out, "0 to create, 0 to update, 2 unchanged, 0 to delete") {
		t.Fatalf("plan after taking over: exit %d, want 0:\n%s%s", code, out, errOut)
	}
	// Taken over in place: the same deployments, no second one per flow.
	for name, id := range ids {
		flow, dep, _ := strings.Cut(name, "/")
		d, err := client.DeploymentByName(ctx, flow, dep)
		if err != nil || d == nil || d.ID != id {
			t.Errorf("%s is no longer deployment %s: %+v, %v", name, id, d, err)
		}
	}
	all, err := client.DeploymentsNamed(ctx, []string{"nightly", "daily-report", "development-python"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		var names []string
		for _, d := range all {
			names = append(names, d.FullName())
		}
		t.Errorf("the server holds %d deployments named nightly, daily-report or development-python, want the 2 adopted: %v", len(all), names)
	}
	nightly, _ := client.DeploymentByName(ctx, "load", "nightly")
	if !slices.Contains(nightly.Tags, "alice") || len(nightly.Schedules) != 2 || nightly.WorkQueueName != "nightly" || nightly.ConcurrencyLimit() != 2 || deref(nightly.Version) != "1.4.0" {
		t.Errorf("load/nightly after taking over: %+v", nightly)
	}

	// Deployed means it runs, with its adopted parameters.
	startWorker(t, venv, srv.API, "local-pool", "process", repo)
	out, errOut, code = cli(t, append([]string{"smoke", repo, "--flow", "load", "--timeout", "3m"}, api...)...)
	if code != 0 || !strings.Contains(out, "1 of 1 runs completed") {
		t.Fatalf("smoke exit %d:\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(repo, "output", "load.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil || got["source"] != "s3://bucket/in" || got["region"] != "eu-west" || got["limit"] != float64(5) {
		t.Errorf("the run got %s, want the adopted parameters", data)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
