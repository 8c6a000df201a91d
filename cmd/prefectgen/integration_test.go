package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"prefectgen/deploy"
)

// cli runs prefectgen in-process and returns its output and exit code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, nil, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// copyTree copies a folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exampleFlows are the settings the integration test adds to the seed's
// configuration of examples/rpa-platform.
const exampleFlows = `
flows:
  rpa1-extract:
    tags: [crm]
    parameters:
      batch_size: 100
    schedules:
      - cron: "0 6 * * MON-FRI"
        timezone: "Europe/Amsterdam"
        slug: weekday-morning
      - interval: 3600
  invoice-processing:
    concurrency_limit: 2
    schedules:
      - rrule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7"
        parameters: {currency: "USD"}
`

// TestIntegration deploys examples/rpa-platform to a real Prefect server
// (the pinned release, started for the test) with the real prefect CLI,
// and reads the result back through the REST API. Docker is a recording
// stand-in on PATH: no Docker engine runs on these machines.
func TestIntegration(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	t.Setenv("PREFECTGEN_IMAGE_TAG", "0123456789ab")
	repo := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples", "rpa-platform"), repo)
	cfg := filepath.Join(repo, "deployment_config.yaml")
	editFile(t, cfg, "  development:\n", "  development:\n    docker_registry: \"registry.example.com/rpa\"\n")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(exampleFlows)
	f.Close()
	if out, errOut, code := cli(t, "generate", repo); code != 0 {
		t.Fatalf("generate: %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	api := []string{"--env", "development", "--api-url", srv.API}

	t.Run("prefect accepts the generated prefect.yaml", func(t *testing.T) {
		script := "import sys, yaml\nfrom prefect.cli.deploy._models import PrefectYamlModel\n" +
			"for f in sys.argv[1:]:\n    m = PrefectYamlModel.model_validate(yaml.safe_load(open(f)))\n    print(len(m.deployments))\n"
		golden, _ := filepath.Glob(filepath.Join("..", "..", "golden", "*", "out", "prefect.yaml"))
		if len(golden) < 8 {
			t.Fatalf("found %d golden prefect.yaml files", len(golden))
		}
		files := append([]string{filepath.Join(repo, "prefect.yaml")}, golden...)
		out, err := exec.Command(filepath.Join(venv, "bin", "python"), append([]string{"-c", script}, files...)...).CombinedOutput()
		counts := strings.Fields(string(out))
		if err != nil || len(counts) != len(files) || counts[0] != "20" {
			t.Fatalf("PrefectYamlModel: %v\n%s", err, out)
		}
	})

	t.Run("status before deploying", func(t *testing.T) {
		out, _, code := cli(t, append([]string{"status", repo, "--type", "python"}, api...)...)
		if code != 1 || strings.Count(out, " missing ") != 5 {
			t.Fatalf("status exit %d, want 1 with 5 missing:\n%s", code, out)
		}
	})

	t.Run("missing work pools are refused without --create-pools", func(t *testing.T) {
		_, errOut, code := cli(t, append([]string{"deploy", repo, "--type", "python"}, api...)...)
		if code != 1 || !strings.Contains(errOut, "work pools missing on "+srv.API+": default-agent-pool (process); create them, or deploy with --create-pools") {
			t.Fatalf("exit %d:\n%s", code, errOut)
		}
	})

	t.Run("deploy the process deployments", func(t *testing.T) {
		out, errOut, code := cli(t, append([]string{"deploy", repo, "--type", "python", "--create-pools"}, api...)...)
		if code != 0 || !strings.Contains(out, "5 created, 0 updated, 0 unchanged, 0 deleted, 0 failed") {
			t.Fatalf("deploy exit %d:\n%s%s", code, out, errOut)
		}
		wp, err := client.WorkPool(ctx, "default-agent-pool")
		if err != nil || wp.Type != "process" {
			t.Fatalf("work pool: %+v %v", wp, err)
		}
		d, err := client.DeploymentByName(ctx, "rpa1-extract", "development-python")
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			what string
			ok   bool
		}{
			{"work pool", d.WorkPoolName == "default-agent-pool"},
			{"entrypoint", d.Entrypoint == "flows/rpa1/workflow.py:extract_customer_records"},
			{"tags", slices.Equal(d.Tags, []string{"crm", "managed-by:prefectgen", "project:rpa-platform", "env:development", "type:python"})},
			{"parameters", fmt.Sprint(d.Parameters) == "map[batch_size:100 cleanup:true use_distributed:false]"},
			{"job variables", fmt.Sprint(d.JobVariables) == "map[env:map[CRM_EXPORT_DIR:flows/rpa1/data PYTHONPATH:. RPA_LOG_LEVEL:DEBUG RPA_TARGET_URL:http://localhost:8080] working_dir:.]"},
			{"pull steps", fmt.Sprint(d.PullSteps) == "[map[prefect.deployments.steps.set_working_directory:map[directory:.]]]"},
			{"parameter schema", len(d.ParameterSchema["properties"].(map[string]any)) == 6},
			{"two schedules", len(d.Schedules) == 2},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: read back %+v", c.what, d)
			}
		}
		slugs := map[string]deploy.Schedule{}
		for _, s := range d.Schedules {
			slugs[s.Slug] = s
		}
		if s := slugs["weekday-morning"]; s.Schedule.Cron != "0 6 * * MON-FRI" || s.Schedule.Timezone != "Europe/Amsterdam" || !s.Active {
			t.Errorf("cron schedule: %+v", s)
		}
		if s := slugs["development-python-2"]; s.Schedule.Interval.String() != "3600.0" && s.Schedule.Interval.String() != "3600" {
			t.Errorf("interval schedule: %+v", s)
		}
		inv, err := client.DeploymentByName(ctx, "invoice-processing", "development-python")
		if err != nil {
			t.Fatal(err)
		}
		if inv.ConcurrencyLimit() != 2 || len(inv.Schedules) != 1 || inv.Schedules[0].Schedule.RRule == "" || fmt.Sprint(inv.Schedules[0].Parameters) != "map[currency:USD]" {
			t.Errorf("invoice-processing: %+v", inv)
		}
	})

	t.Run("every process deployment runs to Completed", func(t *testing.T) {
		startWorker(t, venv, srv.API, "default-agent-pool", "process", repo)
		out, errOut, code := cli(t, append([]string{"smoke", repo, "--type", "python", "--timeout", "3m"}, api...)...)
		if code != 0 || !strings.Contains(out, "5 of 5 runs completed") || strings.Count(out, "  Completed  ") != 5 {
			t.Fatalf("smoke exit %d:\n%s%s", code, out, errOut)
		}
		for _, f := range []string{"rpa1/output/customers_normalised.json", "rpa2/output/portal_values.csv", "invoice_processing/output/routed_invoices.json", "report_builder/output/weekly_report.md"} {
			if _, err := os.Stat(filepath.Join(repo, "flows", f)); err != nil {
				t.Errorf("a run did not write its output: %v", err)
			}
		}
		if plans, _ := filepath.Glob(filepath.Join(repo, "flows", "rpa3", "output", "archive_plan_*.yaml")); len(plans) != 1 {
			t.Errorf("rpa3 wrote %v", plans)
		}
		// env_files: the run got flows/rpa1/.env.development.
		data, err := os.ReadFile(filepath.Join(repo, "flows", "rpa1", "output", "run_settings.json"))
		if err != nil || !strings.Contains(string(data), `"log_level": "DEBUG"`) {
			t.Errorf("run_settings.json: %s %v", data, err)
		}
	})

	t.Run("status after deploying", func(t *testing.T) {
		out, _, code := cli(t, append([]string{"status", repo, "--type", "python"}, api...)...)
		if code != 0 || !strings.Contains(out, "5 of 5 deployments of development as generated") || !strings.Contains(out, strings.TrimSuffix(srv.API, "/api")+"/deployments/deployment/") {
			t.Fatalf("status exit %d:\n%s", code, out)
		}
	})

	t.Run("plain prefect deploy of one environment is what prefectgen deploys", func(t *testing.T) {
		// As docs/deployments.md says: -n with the environment's deployment
		// names, at the repository root, without a prompt.
		plain := func() string {
			t.Helper()
			cmd := exec.Command(filepath.Join(venv, "bin", "prefect"), "--no-prompt", "deploy", "-n", "development-python")
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "PREFECT_API_URL="+srv.API, "PREFECT_HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil || strings.Count(string(out), "successfully created") != 5 {
				t.Fatalf("prefect deploy -n development-python: %v\n%s", err, out)
			}
			if strings.Contains(string(out), "Warning") {
				t.Errorf("prefect deploy warned:\n%s", out)
			}
			return string(out)
		}
		guide, err := os.ReadFile(filepath.Join(repo, "docs", "deployments.md"))
		if err != nil || !strings.Contains(string(guide), "\nprefect --no-prompt deploy -n development-python -n development-docker\n") {
			t.Fatalf("the guide does not give the command: %v", err)
		}
		plain()
		planArgs := append([]string{"plan", repo, "--type", "python", "--detailed-exitcode"}, api...)
		if out, _, code := cli(t, planArgs...); code != 0 || !strings.Contains(out, "0 to create, 0 to update, 5 unchanged") {
			t.Fatalf("plan after plain prefect deploy: exit %d, want 0:\n%s", code, out)
		}

		// A schedule removed from the configuration: prefect.yaml has no
		// schedules key (no FutureWarning), so plain prefect keeps the
		// server's schedule; prefectgen deploy deletes it.
		rrule := "    schedules:\n      - rrule: \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=7\"\n        parameters: {currency: \"USD\"}\n"
		editFile(t, cfg, rrule, "")
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		plain()
		if inv, _ := client.DeploymentByName(ctx, "invoice-processing", "development-python"); len(inv.Schedules) != 1 {
			t.Errorf("plain prefect deploy left %d schedules, want the 1 it keeps", len(inv.Schedules))
		}
		if out, _, code := cli(t, planArgs...); code != 3 || !strings.Contains(out, "~ invoice-processing/development-python (schedules)") {
			t.Fatalf("plan: exit %d, want 3:\n%s", code, out)
		}
		if out, _, code := cli(t, append([]string{"deploy", repo, "--type", "python"}, api...)...); code != 0 || !strings.Contains(out, "0 created, 1 updated, 4 unchanged") {
			t.Fatalf("deploy exit %d:\n%s", code, out)
		}
		if inv, _ := client.DeploymentByName(ctx, "invoice-processing", "development-python"); len(inv.Schedules) != 0 {
			t.Errorf("prefectgen deploy left %d schedules, want 0", len(inv.Schedules))
		}

		// Deployed means it runs: a plain-deployed entry runs to Completed.
		editFile(t, cfg, "    concurrency_limit: 2\n", "    concurrency_limit: 2\n"+rrule)
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		plain()
		startWorker(t, venv, srv.API, "default-agent-pool", "process", repo)
		out, errOut, code := cli(t, append([]string{"smoke", repo, "--type", "python", "--flow", "invoice-processing", "--timeout", "3m"}, api...)...)
		if code != 0 || !strings.Contains(out, "1 of 1 runs completed") {
			t.Fatalf("smoke exit %d:\n%s%s", code, out, errOut)
		}
	})

	t.Run("redeploy with no change applies nothing", func(t *testing.T) {
		out, _, code := cli(t, append([]string{"deploy", repo, "--type", "python"}, api...)...)
		if code != 0 || !strings.Contains(out, "0 created, 0 updated, 5 unchanged") || strings.Contains(out, "running:") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	t.Run("one changed schedule is exactly one update", func(t *testing.T) {
		editFile(t, cfg, `"0 6 * * MON-FRI"`, `"30 7 * * MON-FRI"`)
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		out, _, code := cli(t, append([]string{"plan", repo, "--type", "python", "--detailed-exitcode"}, api...)...)
		want := "plan: 0 to create, 1 to update, 4 unchanged, 0 to delete\n  ~ rpa1-extract/development-python (schedules)\n"
		if code != 3 || !strings.HasPrefix(out, want) || !strings.Contains(out, "      schedules: [") {
			t.Fatalf("plan exit %d, want 3:\n%s\nwant:\n%s", code, out, want)
		}
		out, _, code = cli(t, append([]string{"deploy", repo, "--type", "python"}, api...)...)
		if code != 0 || !strings.Contains(out, "0 created, 1 updated, 4 unchanged") {
			t.Fatalf("deploy exit %d:\n%s", code, out)
		}
		d, _ := client.DeploymentByName(ctx, "rpa1-extract", "development-python")
		found := false
		for _, s := range d.Schedules {
			found = found || s.Slug == "weekday-morning" && s.Schedule.Cron == "30 7 * * MON-FRI"
		}
		if !found || len(d.Schedules) != 2 {
			t.Errorf("schedules after the update: %+v", d.Schedules)
		}
		if _, _, code := cli(t, append([]string{"plan", repo, "--type", "python", "--detailed-exitcode"}, api...)...); code != 0 {
			t.Errorf("plan after deploying: exit %d, want 0", code)
		}
	})

	t.Run("status sees a deleted and a changed deployment", func(t *testing.T) {
		d, _ := client.DeploymentByName(ctx, "rpa3-file-sync", "development-python")
		if err := client.DeleteDeployment(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		out, _, code := cli(t, append([]string{"status", repo, "--type", "python"}, api...)...)
		if code != 1 || !regexp.MustCompile(`rpa3-file-sync/development-python +missing`).MatchString(out) || !strings.Contains(out, "4 of 5") {
			t.Fatalf("status exit %d:\n%s", code, out)
		}
		if out, _, code := cli(t, append([]string{"deploy", repo, "--type", "python"}, api...)...); code != 0 || !strings.Contains(out, "1 created, 0 updated, 4 unchanged") {
			t.Fatalf("deploy exit %d:\n%s", code, out)
		}
	})

	t.Run("a failing deployment does not stop the others", func(t *testing.T) {
		// Prefect refuses a parameter of the wrong type (HTTP 409). The
		// annotation is Optional[list[str]], which prefectgen does not
		// type-check, so validate lets it through.
		editFile(t, cfg, "      batch_size: 100\n", "      batch_size: 100\n      countries: \"not-a-list\"\n")
		editFile(t, cfg, `"30 7 * * MON-FRI"`, `"45 7 * * MON-FRI"`)
		editFile(t, cfg, "concurrency_limit: 2", "concurrency_limit: 3")
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		out, errOut, code := cli(t, append([]string{"deploy", repo, "--type", "python", "--concurrency", "1"}, api...)...)
		if code != 1 || !strings.Contains(out, "0 created, 1 updated, 3 unchanged, 0 deleted, 1 failed") ||
			!strings.Contains(errOut, "rpa1-extract/development-python: ") || !strings.Contains(errOut, "countries") {
			t.Fatalf("deploy exit %d, want 1:\n%s%s", code, out, errOut)
		}
		inv, _ := client.DeploymentByName(ctx, "invoice-processing", "development-python")
		if inv.ConcurrencyLimit() != 3 {
			t.Errorf("invoice-processing was not updated: concurrency %d", inv.ConcurrencyLimit())
		}
	})

	t.Run("--atomic puts back what a failed run changed", func(t *testing.T) {
		editFile(t, cfg, "concurrency_limit: 3", "concurrency_limit: 4")
		editFile(t, cfg, `"45 7 * * MON-FRI"`, `"50 7 * * MON-FRI"`)
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		before, _ := client.DeploymentByName(ctx, "rpa1-extract", "development-python")
		out, errOut, code := cli(t, append([]string{"deploy", repo, "--type", "python", "--atomic", "--concurrency", "1"}, api...)...)
		if code != 1 || !strings.Contains(out, "rolling back what this run changed") || !strings.Contains(out, "1 failed, 1 rolled back") {
			t.Fatalf("deploy --atomic exit %d:\n%s%s", code, out, errOut)
		}
		inv, _ := client.DeploymentByName(ctx, "invoice-processing", "development-python")
		if inv.ConcurrencyLimit() != 3 {
			t.Errorf("invoice-processing was not rolled back: concurrency %d", inv.ConcurrencyLimit())
		}
		after, _ := client.DeploymentByName(ctx, "rpa1-extract", "development-python")
		bySlug := func(ss []deploy.Schedule) string {
			ss = slices.Clone(ss)
			sort.Slice(ss, func(i, j int) bool { return ss[i].Slug < ss[j].Slug })
			b, _ := json.Marshal(ss)
			return string(b)
		}
		if bySlug(after.Schedules) != bySlug(before.Schedules) || fmt.Sprint(after.Parameters) != fmt.Sprint(before.Parameters) {
			t.Errorf("rpa1-extract changed:\nbefore %+v\nafter  %+v", before, after)
		}
		editFile(t, cfg, "      countries: \"not-a-list\"\n", "")
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		out, errOut, code = cli(t, append([]string{"deploy", repo, "--type", "python", "--atomic"}, api...)...)
		if code != 0 || !strings.Contains(out, "0 created, 2 updated, 3 unchanged") {
			t.Fatalf("deploy exit %d:\n%s%s", code, out, errOut)
		}
	})

	t.Run("docker deployments build once per image and isolate a failed build", func(t *testing.T) {
		bin := t.TempDir()
		logPath := filepath.Join(bin, "docker.log")
		stand := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> " + logPath + "\ncase \"$*\" in *rpa2-worker*) echo 'ERROR: failed to solve: boom' >&2; exit 1;; esac\n"
		if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(stand), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, errOut, code := cli(t, append([]string{"deploy", repo, "--type", "docker", "--create-pools"}, api...)...)
		if code != 1 || !strings.Contains(out, "4 created, 0 updated, 0 unchanged, 0 deleted, 1 failed") ||
			!strings.Contains(errOut, "rpa2-portal-scrape/development-docker: docker build of registry.example.com/rpa/rpa2-worker:0123456789ab failed: ERROR: failed to solve: boom") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		data, _ := os.ReadFile(logPath)
		got := strings.Split(strings.TrimSpace(string(data)), "\n")
		sort.Strings(got)
		var want []string
		for _, im := range []struct{ folder, image, flow string }{
			{"invoice_processing", "invoice_processing", "invoice-processing"}, {"report_builder", "report_builder", "build-weekly-report"},
			{"rpa1", "rpa1", "rpa1-extract"}, {"rpa2", "rpa2", "rpa2-portal-scrape"}, {"rpa3", "rpa3", "rpa3-file-sync"},
		} {
			ref := "registry.example.com/rpa/" + im.image + "-worker:0123456789ab"
			want = append(want, "build --force-rm -f flows/"+im.folder+"/Dockerfile -t "+ref+" --label org.opencontainers.image.revision=0123456789ab --label dev.prefectgen.flows="+im.flow+" .")
			if im.image != "rpa2" {
				want = append(want, "push "+ref)
			}
		}
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("docker was run with:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		d, err := client.DeploymentByName(ctx, "rpa1-extract", "development-docker")
		if err != nil || d.JobVariables["image"] != "registry.example.com/rpa/rpa1-worker:0123456789ab" || d.WorkPoolName != "docker-pool" {
			t.Errorf("rpa1-extract/development-docker: %+v %v", d, err)
		}
		if _, err := client.DeploymentByName(ctx, "rpa2-portal-scrape", "development-docker"); !deploy.IsNotFound(err) {
			t.Errorf("rpa2-portal-scrape/development-docker was deployed though its image failed: %v", err)
		}
	})

	t.Run("clean deletes only what prefectgen made and no longer generates", func(t *testing.T) {
		hand := filepath.Join(t.TempDir(), "hand.yaml")
		os.WriteFile(hand, []byte("deployments:\n- name: hand-made\n  entrypoint: flows/rpa3/workflow.py:sync_shared_drive\n  tags: [\"env:development\"]\n  work_pool: {name: default-agent-pool}\n"), 0o644)
		c := exec.Command(filepath.Join(venv, "bin", "prefect"), "--no-prompt", "deploy", "--prefect-file", hand, "--all")
		c.Dir, c.Env = repo, append(os.Environ(), "PREFECT_API_URL="+srv.API)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("hand-made deployment: %v\n%s", err, out)
		}
		f, _ := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("  rpa3-file-sync:\n    types: [docker]\n")
		f.Close()
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		out, _, code := cli(t, append([]string{"plan", repo, "--type", "python", "--detailed-exitcode"}, api...)...)
		if code != 3 || !strings.Contains(out, "  - rpa3-file-sync/development-python\n") || strings.Contains(out, "hand-made") {
			t.Fatalf("plan exit %d:\n%s", code, out)
		}
		out, _, code = cli(t, append([]string{"clean", repo, "--type", "python"}, api...)...)
		if code != 0 || !strings.Contains(out, "1 deleted") {
			t.Fatalf("clean exit %d:\n%s", code, out)
		}
		if _, err := client.DeploymentByName(ctx, "rpa3-file-sync", "development-python"); !deploy.IsNotFound(err) {
			t.Errorf("rpa3-file-sync/development-python still there: %v", err)
		}
		if _, err := client.DeploymentByName(ctx, "rpa3-file-sync", "hand-made"); err != nil {
			t.Errorf("the hand-made deployment was touched: %v", err)
		}
	})

	t.Run("a subflow is deployed inside its parent, not on its own", func(t *testing.T) {
		// pipeline calls extract: one deployment, whose run runs extract
		// as a subflow. by_hand requires a parameter with no value: it is
		// deployed, and smoke does not start it.
		sub := t.TempDir()
		files := map[string]string{
			"requirements.txt":       "prefect==3.9.1\n",
			"deployment_config.yaml": "project: subflows\nenvironments:\n  development:\n    work_pools:\n      python: sub-pool\n",
			"flows/pipeline/workflow.py": "from pathlib import Path\n\nfrom prefect import flow\n\n\n" +
				"@flow\ndef extract(source: str = \"local\"):\n    \"\"\"Read the rows.\"\"\"\n    Path(\"extracted.txt\").write_text(source)\n\n\n" +
				"@flow\ndef pipeline():\n    \"\"\"Extract.\"\"\"\n    extract(source=\"from-parent\")\n",
			"flows/manual/workflow.py": "from prefect import flow\n\n\n@flow\ndef by_hand(day: str):\n    \"\"\"Rerun one day.\"\"\"\n",
		}
		for name, body := range files {
			os.MkdirAll(filepath.Dir(filepath.Join(sub, name)), 0o755)
			os.WriteFile(filepath.Join(sub, name), []byte(body), 0o644)
		}
		if out, errOut, code := cli(t, "validate", sub); code != 0 || !strings.Contains(out, "3 flows, 0 errors, 0 warnings") {
			t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
		}
		if out, errOut, code := cli(t, "generate", sub); code != 0 {
			t.Fatalf("generate: exit %d\n%s%s", code, out, errOut)
		}
		out, errOut, code := cli(t, append([]string{"deploy", sub, "--create-pools"}, api...)...)
		if code != 0 || !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 0 deleted, 0 failed") {
			t.Fatalf("deploy exit %d:\n%s%s", code, out, errOut)
		}
		if _, err := client.DeploymentByName(ctx, "extract", "development-python"); !deploy.IsNotFound(err) {
			t.Errorf("the subflow extract was deployed: %v", err)
		}
		startWorker(t, venv, srv.API, "sub-pool", "process", sub)
		out, errOut, code = cli(t, append([]string{"smoke", sub, "--timeout", "3m"}, api...)...)
		if code != 0 || !strings.Contains(out, "1 of 1 runs completed, 1 not started (required parameters without a value)") || !strings.Contains(out, "requires day, which has no configured value: start a run with prefect deployment run 'by-hand/development-python' --param day=...") {
			t.Fatalf("smoke exit %d:\n%s%s", code, out, errOut)
		}
		// A smoke run that starts no run is no pass.
		out, errOut, code = cli(t, append([]string{"smoke", sub, "--flow", "by-hand"}, api...)...)
		if code != 1 || !strings.Contains(errOut, "smoke started no run: every deployment it selected requires parameters without a value") {
			t.Fatalf("smoke of by-hand only: exit %d, want 1:\n%s%s", code, out, errOut)
		}
		if data, err := os.ReadFile(filepath.Join(sub, "extracted.txt")); err != nil || string(data) != "from-parent" {
			t.Errorf("the subflow did not run in its parent: %q %v", data, err)
		}
	})
}
