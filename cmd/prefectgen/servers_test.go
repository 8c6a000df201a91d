package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"prefectgen/deploy"
)

// noSecret fails the test when an output shows a credential.
func noSecret(t *testing.T, what string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, secret := range []string{"s3cr3t-pass", "pnu_test_key", "YWRtaW46czNjcjN0LXBhc3M="} {
			if strings.Contains(o, secret) {
				t.Errorf("%s printed a credential (%s):\n%s", what, secret, o)
			}
		}
	}
}

// exampleRepo copies examples/rpa-platform and generates it.
func exampleRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples", "rpa-platform"), repo)
	return repo
}

// TestServerWithBasicAuth deploys to a real server that requires HTTP
// basic authentication: with PREFECT_API_AUTH_STRING, plan, deploy,
// status and clean work and never print it; without it, a 401 says what
// to set; in --api-url's user information it works too, hidden.
func TestServerWithBasicAuth(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv, "PREFECT_SERVER_API_AUTH_STRING=admin:s3cr3t-pass")
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	t.Setenv("PREFECT_HOME", t.TempDir()) // no profile of the machine's
	repo := exampleRepo(t)
	api := []string{"--env", "development", "--type", "python", "--api-url", srv.API}

	out, errOut, code := cli(t, append([]string{"plan", repo}, api...)...)
	if code != 1 || !strings.Contains(errOut, "HTTP 401") || !strings.Contains(errOut, "PREFECT_API_AUTH_STRING") {
		t.Fatalf("plan without credentials: exit %d\n%s%s", code, out, errOut)
	}

	t.Setenv("PREFECT_API_AUTH_STRING", "admin:s3cr3t-pass")
	for _, c := range [][]string{
		append([]string{"plan", repo}, api...),
		append([]string{"deploy", repo, "--create-pools", "--dry-run"}, api...),
		append([]string{"deploy", repo, "--create-pools"}, api...),
		append([]string{"status", repo}, api...),
		append([]string{"clean", repo, "--dry-run"}, api...),
	} {
		out, errOut, code := cli(t, c...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", c[0], code, out, errOut)
		}
		noSecret(t, c[0], out, errOut)
	}
	client := deploy.NewClient(srv.API, deploy.Credentials{AuthString: "admin:s3cr3t-pass"})
	if _, err := client.DeploymentByName(context.Background(), "rpa1-extract", "development-python"); err != nil {
		t.Errorf("not deployed: %v", err)
	}

	// The password in --api-url instead.
	t.Setenv("PREFECT_API_AUTH_STRING", "")
	u, _ := url.Parse(srv.API)
	u.User = url.UserPassword("admin", "s3cr3t-pass")
	out, errOut, code = cli(t, "plan", repo, "--env", "development", "--type", "python", "--api-url", u.String())
	if code != 0 || !strings.Contains(out, "5 unchanged") {
		t.Fatalf("plan with the password in --api-url: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "plan", out, errOut)
}

// cloudDouble stands for Prefect Cloud in front of a real server: it
// answers only under /api/accounts/ID/workspaces/ID, with the Bearer
// token, and forwards to the server's /api.
func cloudDouble(t *testing.T, server string) (string, string) {
	t.Helper()
	target, _ := url.Parse(server)
	proxy := httputil.NewSingleHostReverseProxy(target)
	workspace := regexp.MustCompile(`^/api/accounts/[0-9a-f-]{36}/workspaces/[0-9a-f-]{36}(/.*)$`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := workspace.FindStringSubmatch(r.URL.Path)
		if m == nil {
			http.Error(w, `{"detail":"Not Found"}`, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer pnu_test_key" {
			http.Error(w, `{"detail":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		r.URL.Path = "/api" + m[1]
		r.URL.RawPath = ""
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/accounts/0b5e2a9e-3d3c-4c1a-9d7e-1f1f1f1f1f1f/workspaces/6a6a6a6a-1b1b-4c4c-8d8d-2e2e2e2e2e2e", srv.URL + "/api"
}

// TestCloudShapedServer deploys through a Cloud-shaped double with
// PREFECT_API_KEY, and checks that no output shows the key.
func TestCloudShapedServer(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	cloud, cloudAPI := cloudDouble(t, strings.TrimSuffix(srv.API, "/api"))
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	t.Setenv("PREFECT_HOME", t.TempDir())
	t.Setenv("PREFECT_API_KEY", "pnu_test_key")
	// The prefect processes take this for Prefect Cloud, as they would
	// api.prefect.cloud.
	t.Setenv("PREFECT_CLOUD_API_URL", cloudAPI)
	repo := exampleRepo(t)
	api := []string{"--env", "development", "--type", "python", "--api-url", cloud}
	for _, c := range [][]string{
		append([]string{"deploy", repo, "--create-pools"}, api...),
		append([]string{"status", repo}, api...),
		append([]string{"plan", repo, "--detailed-exitcode"}, api...),
		append([]string{"clean", repo}, api...),
	} {
		out, errOut, code := cli(t, c...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", c[0], code, out, errOut)
		}
		noSecret(t, c[0], out, errOut)
		if c[0] == "clean" && !strings.Contains(out, "0 deleted") {
			t.Errorf("clean through the Cloud-shaped double:\n%s", out)
		}
		if c[0] == "status" && !strings.Contains(out, "/account/0b5e2a9e-3d3c-4c1a-9d7e-1f1f1f1f1f1f/workspace/6a6a6a6a-1b1b-4c4c-8d8d-2e2e2e2e2e2e/deployments/deployment/") {
			t.Errorf("status links are not Cloud UI links:\n%s", out)
		}
	}
	t.Setenv("PREFECT_API_KEY", "")
	if out, errOut, code := cli(t, append([]string{"plan", repo}, api...)...); code != 1 || !strings.Contains(errOut, "HTTP 401") {
		t.Errorf("without the key: exit %d\n%s%s", code, out, errOut)
	}
}

// TestTwoRepositoriesOneServer: two repositories deploy to one server;
// clean and deploy --prune in one never touch the other's deployments,
// even with the same environment and tags otherwise.
func TestTwoRepositoriesOneServer(t *testing.T) {
	venv := prefectVenv(t)
	srv := startServer(t, venv)
	t.Setenv("PREFECTGEN_PREFECT", filepath.Join(venv, "bin", "prefect"))
	t.Setenv("PREFECT_HOME", t.TempDir())
	a := exampleRepo(t)
	b := t.TempDir()
	os.MkdirAll(filepath.Join(b, "flows", "nightly"), 0o755)
	os.WriteFile(filepath.Join(b, "requirements.txt"), []byte("prefect==3.9.1\n"), 0o644)
	os.WriteFile(filepath.Join(b, "flows", "nightly", "workflow.py"), []byte("from prefect import flow\n\n\n@flow\ndef nightly():\n    \"\"\"Repository B's flow.\"\"\"\n"), 0o644)
	os.WriteFile(filepath.Join(b, "deployment_config.yaml"), []byte("project: repo-b\nenvironments:\n  development:\n    work_pools: {python: default-agent-pool}\n"), 0o644)
	api := []string{"--env", "development", "--type", "python", "--api-url", srv.API}
	for _, repo := range []string{a, b} {
		if _, errOut, code := cli(t, "generate", repo); code != 0 {
			t.Fatal(errOut)
		}
		if out, errOut, code := cli(t, append([]string{"deploy", repo, "--create-pools"}, api...)...); code != 0 {
			t.Fatalf("deploy %s: exit %d\n%s%s", repo, code, out, errOut)
		}
	}
	// Repository A stops deploying rpa3-file-sync as python.
	f, _ := os.OpenFile(filepath.Join(a, "deployment_config.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("flows:\n  rpa3-file-sync:\n    types: [docker]\n")
	f.Close()
	if _, errOut, code := cli(t, "generate", a); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := cli(t, append([]string{"deploy", a, "--prune"}, api...)...)
	if code != 0 || !strings.Contains(out, "0 created, 0 updated, 4 unchanged, 1 deleted") {
		t.Fatalf("deploy --prune in A: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = cli(t, append([]string{"clean", a}, api...)...)
	if code != 0 || !strings.Contains(out, "0 deployments of development no longer generated") {
		t.Fatalf("clean in A: exit %d\n%s%s", code, out, errOut)
	}
	client := deploy.NewClient(srv.API, deploy.Credentials{})
	if _, err := client.DeploymentByName(context.Background(), "nightly", "development-python"); err != nil {
		t.Errorf("repository B's deployment was touched: %v", err)
	}
	if _, err := client.DeploymentByName(context.Background(), "rpa3-file-sync", "development-python"); !deploy.IsNotFound(err) {
		t.Errorf("repository A's stale deployment is still there: %v", err)
	}
}
