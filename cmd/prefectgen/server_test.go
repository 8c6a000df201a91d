package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"prefectgen/deploy"
)

// prefectVenv builds (once per machine, then reuses) the virtualenv with
// the pinned prefect, and returns its folder.
func prefectVenv(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "prefect-venv.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/prefect-venv.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	venv := lines[len(lines)-1]
	if _, err := os.Stat(filepath.Join(venv, "bin", "prefect")); err != nil {
		t.Fatalf("no prefect in %s: %v", venv, err)
	}
	return venv
}

// prefectServer is a throw-away Prefect server.
type prefectServer struct {
	API  string
	cmd  *exec.Cmd
	home string
	log  *os.File
	venv string
	port int
	env  []string
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer starts prefect server on a free loopback port with a fresh
// PREFECT_HOME (SQLite), waits for /api/health, and stops it, with every
// process it started, when the test ends.
func startServer(t *testing.T, venv string, env ...string) *prefectServer {
	t.Helper()
	s := &prefectServer{home: t.TempDir(), venv: venv, port: freePort(t), env: env}
	s.API = fmt.Sprintf("http://127.0.0.1:%d/api", s.port)
	t.Cleanup(s.stop)
	s.start(t)
	return s
}

// start starts the server (again: the same home, database and port).
func (s *prefectServer) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(s.home, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.venv, "bin", "prefect"), "server", "start", "--host", "127.0.0.1", "--port", fmt.Sprint(s.port), "--no-ui", "--analytics-off")
	cmd.Env = append(os.Environ(), "PREFECT_HOME="+s.home, "PREFECT_SERVER_ANALYTICS_ENABLED=false", "PREFECT_SERVER_UI_ENABLED=false", "PREFECT_API_URL=")
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd, s.log = cmd, logf
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.API+"/health", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			data, _ := os.ReadFile(logf.Name())
			t.Fatalf("prefect server did not answer on %s within 120 s; its log:\n%s", s.API, data)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// stop ends the server's whole process group and waits for it.
func (s *prefectServer) stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	s.log.Close()
}

// startWorker starts a Prefect worker of a pool in dir (where a process
// worker runs its flows), polling every second, and stops its process
// group when the test ends. It returns once the server sees it online.
func startWorker(t *testing.T, venv, api, pool, typ, dir string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(venv, "bin", "prefect"), "worker", "start", "--pool", pool, "--type", typ)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PREFECT_API_URL="+api, "PREFECT_WORKER_QUERY_SECONDS=1", "PREFECT_WORKER_HEARTBEAT_SECONDS=5",
		"PREFECT_HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &prefectServer{cmd: cmd, log: logf}
	t.Cleanup(w.stop)
	client := deploy.NewClient(api, deploy.Credentials{})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if n, err := client.OnlineWorkers(context.Background(), pool); err == nil && n > 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	data, _ := os.ReadFile(logf.Name())
	t.Fatalf("the %s worker of %s never came online; its log:\n%s", typ, pool, data)
}
