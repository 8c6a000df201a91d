package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"prefectgen/deploy"
	"prefectgen/generator"
	"prefectgen/model"
)

// The fault suite: deploys against the real local server while it goes
// away, answers badly, or is deployed to twice at once; every summary is
// checked against what the server then holds.

var summaryLine = regexp.MustCompile(`^  (created|updated|unchanged|deleted|rolled back|not applied|unverified|planned)\s+([^\s:]+(?::[^\s:]+)*?)(?::\s|\s|$)`)
var failedLine = regexp.MustCompile(`^  (\S+/\S+): (.*)$`)

// outcomesOf reads a deploy's summary: the outcome of each deployment.
func outcomesOf(stdout, stderr string) map[string]string {
	out := map[string]string{}
	summary := false
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		l := sc.Text()
		if regexp.MustCompile(`^\d+ created, `).MatchString(l) {
			summary = true
			continue
		}
		if m := summaryLine.FindStringSubmatch(l); summary && m != nil {
			out[m[2]] = m[1]
		}
	}
	failed := false
	sc = bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		l := sc.Text()
		if l == "failed:" {
			failed = true
			continue
		}
		if m := failedLine.FindStringSubmatch(l); failed && m != nil {
			out[m[1]] = "failed"
		}
	}
	return out
}

// desiredOf are the deployments the repository generates for an
// environment and type.
func desiredOf(t *testing.T, repo, env, typ string) map[string]model.DeploymentConfig {
	t.Helper()
	p, err := generator.Load(repo, generator.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deps, _, err := p.Manager().Deployments(env)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.DeploymentConfig{}
	for _, d := range deps {
		if d.DeploymentType == typ {
			out[d.FullName] = d
		}
	}
	return out
}

// checkSummary checks every line of a summary against the server: what it
// says was applied is there as generated; what it says was not applied,
// or failed, is not.
func checkSummary(t *testing.T, client *deploy.Client, desired map[string]model.DeploymentConfig, outcomes map[string]string) {
	t.Helper()
	ctx := context.Background()
	if len(outcomes) != len(desired) {
		t.Errorf("the summary names %d deployments, not the %d of the run: %v", len(outcomes), len(desired), outcomes)
	}
	for name, outcome := range outcomes {
		d, ok := desired[name]
		if !ok {
			t.Errorf("the summary names %s, which the run was not about", name)
			continue
		}
		live, err := client.DeploymentByName(ctx, d.FlowName, d.DeploymentName)
		held := err == nil && len(deploy.Diff(d, live, nil)) == 0
		switch outcome {
		case "created", "updated", "unchanged":
			if !held {
				t.Errorf("%s: the summary says %s, but the server does not hold it as generated (%v)", name, outcome, err)
			}
		case "not applied", "failed":
			if held {
				t.Errorf("%s: the summary says %s, but the server holds it as generated", name, outcome)
			}
		}
	}
}

// TestFaultServerDownBeforeDeploy: nothing is tried, and the error says so.
func TestFaultServerDownBeforeDeploy(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	srv.stop()
	start := time.Now()
	out, errOut, code := cli(t, "deploy", exampleRepo(t), "--env", "development", "--type", "python", "--create-pools", "--api-url", srv.API)
	if code != 1 || !strings.Contains(errOut, "is not reachable") || strings.Contains(out, "running:") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("took %v to give up", took)
	}
}

// TestFaultServerStoppedMidDeploy: the server stops while deployments are
// applied one at a time. The summary matches what the restarted server
// holds, and a second deploy completes the rest.
func TestFaultServerStoppedMidDeploy(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	repo := exampleRepo(t)
	args := []string{"deploy", repo, "--env", "development", "--type", "python", "--create-pools", "--concurrency", "1", "--batch-size", "1", "--api-url", srv.API}
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, code := cli(t, args...)
		done <- result{out, errOut, code}
	}()
	for i := 0; ; i++ {
		ds, _ := client.DeploymentsWithTags(context.Background(), model.ManagedTag)
		if len(ds) >= 2 {
			break
		}
		if i > 600 {
			t.Fatal("no deployment appeared within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.stop()
	var r result
	select {
	case r = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("deploy did not end within 90 s of the server stopping")
	}
	if r.code != 1 || !strings.Contains(r.out, "not applied") {
		t.Fatalf("deploy: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	srv.start(t)
	desired := desiredOf(t, repo, "development", "python")
	outcomes := outcomesOf(r.out, r.errOut)
	for name, o := range outcomes {
		if o == "unverified" { // whatever the server holds is right
			delete(outcomes, name)
			delete(desired, name)
		}
	}
	checkSummary(t, client, desired, outcomes)
	out, errOut, code := cli(t, args...)
	if code != 0 {
		t.Fatalf("second deploy: exit %d\n%s%s", code, out, errOut)
	}
	checkSummary(t, client, desiredOf(t, repo, "development", "python"), outcomesOf(out, errOut))
}

// flakyProxy stands in front of the server and, on a fixed pattern of its
// first 250 requests, answers 503 or 500, drops the connection, or waits
// 1.5 s before forwarding; then it heals.
func flakyProxy(t *testing.T, api string) string {
	t.Helper()
	target, _ := url.Parse(strings.TrimSuffix(api, "/api"))
	proxy := httputil.NewSingleHostReverseProxy(target)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		switch {
		case i > 250:
			proxy.ServeHTTP(w, r)
		case i%7 == 3:
			http.Error(w, `{"detail":"Service Unavailable"}`, http.StatusServiceUnavailable)
		case i%11 == 5:
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		case i%17 == 9:
			http.Error(w, `{"detail":"Internal Server Error"}`, http.StatusInternalServerError)
		default:
			if i%13 == 7 {
				time.Sleep(1500 * time.Millisecond)
			}
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

// TestFaultFlakyProxy: through a proxy that fails one request in a few,
// every line of the summary says what the server holds, and deploying
// again converges.
func TestFaultFlakyProxy(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	repo := exampleRepo(t)
	flaky := flakyProxy(t, srv.API)
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	desired := desiredOf(t, repo, "development", "python")
	for attempt := 1; ; attempt++ {
		out, errOut, code := cli(t, "deploy", repo, "--env", "development", "--type", "python", "--create-pools", "--api-url", flaky)
		outcomes := outcomesOf(out, errOut)
		if len(outcomes) > 0 {
			checkSummary(t, client, desired, outcomes)
		}
		if code == 0 {
			break
		}
		if attempt == 8 {
			t.Fatalf("eight deploys through the proxy did not converge; the last: exit %d\n%s%s", code, out, errOut)
		}
	}
	checkSummary(t, client, desired, map[string]string{"build-weekly-report/development-python": "unchanged", "invoice-processing/development-python": "unchanged",
		"rpa1-extract/development-python": "unchanged", "rpa2-portal-scrape/development-python": "unchanged", "rpa3-file-sync/development-python": "unchanged"})
}

// prefectgenBinary builds prefectgen once for the fault tests that run it
// as a process.
var prefectgenBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "prefectgen-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "prefectgen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// TestFaultInterruptedDeploy: SIGINT while the real prefect applies
// deployments: exit 130, no prefect left running, and the summary matches
// the server.
func TestFaultInterruptedDeploy(t *testing.T) {
	bin, err := prefectgenBinary()
	if err != nil {
		t.Fatal(err)
	}
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	repo := exampleRepo(t)
	tmp := t.TempDir()
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	cmd := exec.Command(bin, "deploy", repo, "--env", "development", "--type", "python", "--create-pools", "--concurrency", "1", "--batch-size", "1", "--api-url", srv.API)
	cmd.Env = append(os.Environ(), "PREFECTGEN_PREFECT="+filepath.Join(venv, "bin", "prefect"), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		ds, _ := client.DeploymentsWithTags(context.Background(), model.ManagedTag)
		if len(ds) >= 2 {
			break
		}
		if i > 600 {
			cmd.Process.Kill()
			t.Fatalf("no deployment appeared within a minute:\n%s%s", stdout.String(), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\n%s%s", code, stdout.String(), stderr.String())
	}
	checkSummary(t, client, desiredOf(t, repo, "development", "python"), outcomesOf(stdout.String(), stderr.String()))
	if left, _ := filepath.Glob(filepath.Join(tmp, "prefectgen-deploy-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// No prefect deploy of this run is left: their command lines name
	// prefect files under tmp.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, []byte(tmp)) {
			stat, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
			if fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(fields) > 0 && fields[0] != "Z" {
				t.Errorf("a prefect process survived: %s", bytes.ReplaceAll(data, []byte{0}, []byte{' '}))
				pid := 0
				fmt.Sscan(filepath.Base(filepath.Dir(p)), &pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// TestFaultConcurrentDeploys: two deploys of one repository to a fresh
// server at once, both creating the pool: both succeed, and the server
// holds every deployment as generated.
func TestFaultConcurrentDeploys(t *testing.T) {
	bin, err := prefectgenBinary()
	if err != nil {
		t.Fatal(err)
	}
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	repo := exampleRepo(t)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "deploy", repo, "--env", "development", "--type", "python", "--create-pools", "--api-url", srv.API)
			cmd.Env = append(os.Environ(), "PREFECTGEN_PREFECT="+filepath.Join(venv, "bin", "prefect"))
			out, _ := cmd.CombinedOutput()
			outs[i], codes[i] = string(out), cmd.ProcessState.ExitCode()
		}()
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("deploy %d: exit %d\n%s", i+1, codes[i], outs[i])
		}
	}
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	desired := desiredOf(t, repo, "development", "python")
	all := map[string]string{}
	for name := range desired {
		all[name] = "unchanged"
	}
	checkSummary(t, client, desired, all)
}
