package deploy

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers fail for the first n requests, then succeeds.
func flaky(t *testing.T, n int32, fail func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			fail(w)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func fastClient(api string, auth Credentials) *Client {
	c := NewClient(api, auth)
	c.Backoff = time.Millisecond
	return c
}

// TestClientRetries: reads are retried on 5xx, 429 and dropped
// connections, and give up after maxAttempts; a create is not retried
// after the server answered.
func TestClientRetries(t *testing.T) {
	for name, fail := range map[string]func(w http.ResponseWriter){
		"500": func(w http.ResponseWriter) { w.WriteHeader(500) },
		"429": func(w http.ResponseWriter) { w.Header().Set("Retry-After", "0"); w.WriteHeader(429) },
		"503": func(w http.ResponseWriter) { w.WriteHeader(503) },
		"dropped": func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		},
	} {
		srv, calls := flaky(t, 3, fail)
		var out []any
		if err := fastClient(srv.URL, Credentials{}).do(context.Background(), "POST", "/deployments/filter", map[string]any{}, &out); err != nil {
			t.Errorf("%s: a read failing 3 times: %v", name, err)
		}
		if calls.Load() != 4 {
			t.Errorf("%s: %d calls, want 4", name, calls.Load())
		}
	}
	srv, calls := flaky(t, 100, func(w http.ResponseWriter) { w.WriteHeader(500) })
	if err := fastClient(srv.URL, Credentials{}).do(context.Background(), "GET", "/health", nil, nil); err == nil || calls.Load() != maxAttempts {
		t.Errorf("a read failing for ever: %v after %d calls", err, calls.Load())
	}
	srv, calls = flaky(t, 1, func(w http.ResponseWriter) { w.WriteHeader(500) })
	if err := fastClient(srv.URL, Credentials{}).do(context.Background(), "POST", "/deployments/x/create_flow_run", map[string]any{}, nil); err == nil || calls.Load() != 1 {
		t.Errorf("a create was sent %d times (err %v); it must not be repeated", calls.Load(), err)
	}
	srv, calls = flaky(t, 2, func(w http.ResponseWriter) { w.WriteHeader(503) })
	if err := fastClient(srv.URL, Credentials{}).do(context.Background(), "POST", "/deployments/x/create_flow_run", map[string]any{}, nil); err != nil || calls.Load() != 3 {
		t.Errorf("a create answered 503 twice: %v after %d calls; 503 means not done, so it is sent again", err, calls.Load())
	}
	// A refused connection is retried even for a create: the server never saw it.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	go func() {
		time.Sleep(20 * time.Millisecond)
		srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "{}") })}
		t.Cleanup(func() { srv.Close() })
		srv.ListenAndServe()
	}()
	c := fastClient("http://"+addr, Credentials{})
	c.Backoff = 20 * time.Millisecond
	if err := c.do(context.Background(), "POST", "/deployments/x/create_flow_run", map[string]any{}, nil); err != nil {
		t.Errorf("a create refused, then accepted: %v", err)
	}
}

// TestClientAuth: the auth string goes as Basic, an API key as Bearer,
// the auth string winning; a 401 says what to set.
func TestClientAuth(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"exception_message":"Unauthorized"}`)
			return
		}
		fmt.Fprint(w, "true")
	}))
	defer srv.Close()
	for _, c := range []struct {
		auth Credentials
		want string
	}{
		{Credentials{AuthString: "admin:pass"}, "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pass"))},
		{Credentials{APIKey: "pnu_key"}, "Bearer pnu_key"},
		{Credentials{APIKey: "pnu_key", AuthString: "admin:pass"}, "Basic YWRtaW46cGFzcw=="},
	} {
		if err := NewClient(srv.URL, c.auth).Health(context.Background()); err != nil || got.Load() != c.want {
			t.Errorf("%+v: sent %q (%v), want %q", c.auth, got.Load(), err, c.want)
		}
	}
	err := NewClient(srv.URL, Credentials{}).do(context.Background(), "GET", "/work_pools/x", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "set PREFECT_API_KEY") {
		t.Errorf("401: %v", err)
	}
}

// TestReadSettings: the environment wins over the active profile, which
// PREFECT_PROFILE or the active key names.
func TestReadSettings(t *testing.T) {
	home := t.TempDir()
	writeFile(t, home+"/profiles.toml", `active = "cloud"
[profiles.cloud]
PREFECT_API_URL = "https://api.prefect.cloud/api/accounts/a/workspaces/w"
PREFECT_API_KEY = "pnu_profile"
[profiles.local]
PREFECT_API_URL = "http://127.0.0.1:4200/api"
PREFECT_API_AUTH_STRING = "admin:local"
`)
	env := map[string]string{"PREFECT_HOME": home}
	getenv := func(k string) string { return env[k] }
	s, err := ReadSettings(getenv)
	if err != nil || s.APIKey != "pnu_profile" || s.APIURLSource != "profile cloud" || s.CredentialsSource != "profile cloud" {
		t.Errorf("active profile: %+v %v", s, err)
	}
	env["PREFECT_PROFILE"] = "local"
	if s, _ := ReadSettings(getenv); s.AuthString != "admin:local" || s.APIKey != "" {
		t.Errorf("PREFECT_PROFILE=local: %+v", s)
	}
	env["PREFECT_API_AUTH_STRING"] = "admin:env"
	if s, _ := ReadSettings(getenv); s.AuthString != "admin:env" || s.CredentialsSource != "the environment" || s.APIURL != "http://127.0.0.1:4200/api" {
		t.Errorf("the environment wins: %+v", s)
	}
	writeFile(t, home+"/profiles.toml", "active = [")
	if _, err := ReadSettings(getenv); err == nil {
		t.Error("a broken profiles.toml is no error")
	}
}

// TestCommandHidesCredentials: dry-run lines never show credentials.
func TestCommandHidesCredentials(t *testing.T) {
	c := Command{Env: []string{"PREFECT_API_URL=https://u:pw@h/api", "PREFECT_API_KEY=pnu_secret", "PREFECT_API_AUTH_STRING=admin:pass"}, Args: []string{"prefect", "deploy"}}
	got := c.String()
	for _, secret := range []string{"pw@", "pnu_secret", "admin:pass"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q shows %q", got, secret)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
