package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"prefectgen/deploy"
)

// git runs git in dir.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@localhost", "-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestHistoryAndRollback: every deploy is recorded on the server; a
// rollback redeploys an earlier release from git, whatever the working
// tree holds, and is recorded too.
func TestHistoryAndRollback(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	t.Setenv("PREFECT_HOME", t.TempDir())
	t.Setenv("PREFECTGEN_IMAGE_TAG", "")
	repo := exampleRepo(t)
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-qm", "A")
	commitA := git(t, repo, "rev-parse", "HEAD")
	api := []string{"--env", "development", "--type", "python", "--api-url", srv.API}
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	ctx := context.Background()
	batch := func() string {
		d, err := client.DeploymentByName(ctx, "rpa1-extract", "development-python")
		if err != nil {
			t.Fatal(err)
		}
		return string(mustJSON(t, d.Parameters["batch_size"]))
	}

	if out, errOut, code := cli(t, append([]string{"deploy", repo, "--create-pools"}, api...)...); code != 0 || !strings.Contains(out, "recorded as release 1 of development") {
		t.Fatalf("deploy A: exit %d\n%s%s", code, out, errOut)
	}
	f, _ := os.OpenFile(filepath.Join(repo, "deployment_config.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("flows:\n  rpa1-extract:\n    parameters: {batch_size: 7}\n")
	f.Close()
	if _, errOut, code := cli(t, "generate", repo); code != 0 {
		t.Fatal(errOut)
	}
	git(t, repo, "commit", "-qam", "B")
	commitB := git(t, repo, "rev-parse", "HEAD")
	if out, errOut, code := cli(t, append([]string{"deploy", repo}, api...)...); code != 0 || !strings.Contains(out, "1 updated") || !strings.Contains(out, "release 2") {
		t.Fatalf("deploy B: exit %d\n%s%s", code, out, errOut)
	}
	if batch() != "7" {
		t.Fatalf("B not deployed: batch_size %s", batch())
	}
	out, _, code := cli(t, "history", repo, "--env", "development", "--api-url", srv.API)
	if code != 0 || !regexp.MustCompile(`(?m)^2 .* deploy +`+commitB[:12]+` +ok +1 updated, 4 unchanged\n1 .* deploy +`+commitA[:12]+` +ok +5 created$`).MatchString(out) {
		t.Fatalf("history: exit %d\n%s", code, out)
	}

	// The working tree changes; the rollback reads release 1 from git.
	os.WriteFile(filepath.Join(repo, "deployment_config.yaml"), []byte("not: [valid"), 0o644)
	out, errOut, code := cli(t, append([]string{"rollback", repo}, api...)...)
	if code != 0 || !strings.Contains(out, "rolling development back to release 1 (commit "+commitA[:12]+")") || !strings.Contains(out, "1 updated, 4 unchanged") || !strings.Contains(out, "release 3") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	if batch() != "null" {
		t.Errorf("after the rollback batch_size is %s", batch())
	}
	if b := batch(); b == "7" {
		t.Errorf("the rollback left B's batch_size")
	}
	git(t, repo, "checkout", "-q", "--", "deployment_config.yaml")
	out, _, _ = cli(t, "history", repo, "--env", "development", "--api-url", srv.API, "--limit", "1")
	if !regexp.MustCompile(`(?m)^3 .* rollback to release 1 +` + commitA[:12] + ` +ok`).MatchString(out) {
		t.Errorf("history after the rollback:\n%s", out)
	}
	if out, errOut, code := cli(t, append([]string{"rollback", repo, "--to", "2"}, api...)...); code != 0 || batch() != "7" {
		t.Fatalf("rollback --to 2: exit %d, batch_size %s\n%s%s", code, batch(), out, errOut)
	}
	if _, errOut, code := cli(t, append([]string{"rollback", repo, "--to", "9"}, api...)...); code != 1 || !strings.Contains(errOut, "no release 9 in the history") {
		t.Errorf("rollback --to 9: exit %d\n%s", code, errOut)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
