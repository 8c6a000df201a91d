package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds prefectgen once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "prefectgen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// emptyServer answers the REST endpoints a deploy reads before it runs
// prefect: healthy, every pool exists as a process pool, no deployments.
func emptyServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/health":
			fmt.Fprint(w, "true")
		case strings.HasPrefix(r.URL.Path, "/api/work_pools/"):
			fmt.Fprintf(w, `{"name": %q, "type": "process"}`, strings.TrimPrefix(r.URL.Path, "/api/work_pools/"))
		case strings.HasSuffix(r.URL.Path, "/filter"):
			fmt.Fprint(w, "[]")
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"detail": "Not found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

// TestDeployInterrupted sends SIGINT to prefectgen deploy while prefect
// runs: prefect and what it started are stopped, the summary says what
// was not applied, no temporary file is left, and the exit code is 130.
// A second signal, while prefect ignores SIGTERM, ends prefectgen at once.
func TestDeployInterrupted(t *testing.T) {
	bin := buildBinary(t)
	repo := filepath.Join(t.TempDir(), "repo")
	copyTree(t, filepath.Join("..", "..", "examples", "rpa-platform"), repo)
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	stub := filepath.Join(dir, "prefect")
	// A prefect that starts a child in its group and waits; with
	// IGNORE_TERM it ignores SIGTERM.
	os.WriteFile(stub, []byte(`#!/bin/sh
[ -n "$IGNORE_TERM" ] && trap '' TERM
sleep 60 &
echo $$ $! >>`+pids+`
wait
`), 0o755)
	api := emptyServer(t)
	start := func(env ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		os.Remove(pids)
		cmd := exec.Command(bin, "deploy", "--env", "development", "--type", "python", "--concurrency", "1",
			"--api-url", api, "--prefect", stub, repo)
		cmd.Env = append(os.Environ(), append(env, "TMPDIR="+dir)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(pids); err == nil {
				return cmd, &stdout, &stderr
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatalf("prefect never ran:\n%s\n%s", stdout.String(), stderr.String())
		return nil, nil, nil
	}
	// alive: running, not a zombie (an orphan's zombie may never be reaped
	// where PID 1 does not reap).
	alive := func(pid int) bool {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return syscall.Kill(pid, 0) == nil
		}
		fields := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		return len(fields) > 0 && fields[0] != "Z"
	}
	children := func() []int {
		data, _ := os.ReadFile(pids)
		var out []int
		for _, f := range strings.Fields(string(data)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
		return out
	}

	cmd, stdout, stderr := start()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d (%v), want 130\n%s\n%s", code, err, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "not applied") || !strings.Contains(stdout.String(), "0 created") {
		t.Errorf("the summary does not say what was not applied:\n%s", stdout)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", stderr)
	}
	time.Sleep(200 * time.Millisecond)
	for _, pid := range children() {
		if alive(pid) {
			t.Errorf("process %d of prefect's group survived", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "prefectgen-deploy-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	cmd, _, _ = start("IGNORE_TERM=1")
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(300 * time.Millisecond)
	t0 := time.Now()
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("a second signal took %v to end prefectgen", took)
	}
	for _, pid := range children() {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestGenerateClosedPipe: generate | head -1 closes prefectgen's output
// after one line; every file is still written.
func TestGenerateClosedPipe(t *testing.T) {
	bin := buildBinary(t)
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, "deployment_config.yaml"), []byte(`environments:
  dev:
    prefect_api_url: "http://127.0.0.1:4200/api"
    work_pools: {docker: pool}
`), 0o644)
	for i := range 200 {
		d := filepath.Join(repo, "flows", fmt.Sprintf("f%03d", i))
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "requirements.txt"), []byte("prefect\n"), 0o644)
		os.WriteFile(filepath.Join(d, "workflow.py"), []byte(fmt.Sprintf("from prefect import flow\n\n@flow\ndef f%03d():\n    pass\n", i)), 0o644)
	}
	r, w, _ := os.Pipe()
	cmd := exec.Command(bin, "generate", repo)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	buf := make([]byte, 10)
	r.Read(buf) // head -1 reads, then goes away
	r.Close()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
	dockerfiles, _ := filepath.Glob(filepath.Join(repo, "flows", "*", "Dockerfile"))
	if len(dockerfiles) != 200 {
		t.Errorf("%d of 200 Dockerfiles written", len(dockerfiles))
	}
	for _, f := range []string{"prefect.yaml", "prefect.mk", "docs/deployments.md", ".dockerignore"} {
		if _, err := os.Stat(filepath.Join(repo, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
