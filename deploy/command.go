package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"prefectgen/redact"
)

// Command is one run of an outside tool.
type Command struct {
	Dir  string
	Args []string
	// Env are the variables set for it on top of the environment.
	Env []string
}

// secretVariables are the variables whose values a command line never
// shows.
var secretVariables = []string{"PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"}

// String writes the command as a shell would read it, with credentials
// hidden.
func (c Command) String() string {
	var parts []string
	for _, e := range c.Env {
		k, _, _ := strings.Cut(e, "=")
		if slices.Contains(secretVariables, k) {
			e = k + "=***"
		}
		parts = append(parts, shellQuote(redact.URL(e)))
	}
	for _, a := range c.Args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// output is what a command printed.
type output struct {
	stdout, stderr []byte
	err            error
	took           time.Duration
	// interrupted is set when the context ended the command.
	interrupted bool
}

// killGrace is how long a command's process group has to end after
// SIGTERM before it is killed.
const killGrace = 5 * time.Second

// runCommand runs c in a process group of its own. When ctx ends, the
// whole group (prefect deploy and whatever it started) gets SIGTERM, then
// SIGKILL after killGrace: nothing is left running behind prefectgen.
func runCommand(ctx context.Context, c Command) output {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return output{err: err, interrupted: true}
	}
	cmd := exec.Command(c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = killGrace
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return output{err: err, took: time.Since(start)}
	}
	var interrupted atomic.Bool
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			interrupted.Store(true)
			signalGroup(cmd, false)
			select {
			case <-done:
			case <-time.After(killGrace):
				signalGroup(cmd, true)
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	return output{stdout: stdout.Bytes(), stderr: stderr.Bytes(), err: err, took: time.Since(start), interrupted: interrupted.Load()}
}

// tail is why a command failed in its last n lines of error output
// (docker build names the step that failed before the error), joined
// with " | ".
func (o output) tail(n int) string {
	if o.interrupted || len(bytes.TrimSpace(o.stderr)) == 0 {
		return o.reason()
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(o.stderr)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "DEPRECATED:") && !strings.Contains(l, "legacy builder is deprecated") && !strings.Contains(l, "Install the buildx component") && !strings.Contains(l, "https://docs.docker.com/go/buildx/") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return o.reason()
	}
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// reason extracts why a command failed: the last line of its error
// output (a Python exception), else of its output.
func (o output) reason() string {
	if o.interrupted {
		return "interrupted"
	}
	for _, b := range [][]byte{o.stderr, o.stdout} {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			l := strings.TrimSpace(strings.Trim(lines[i], "│╰╭─ "))
			if l != "" && l != "An exception occurred." {
				return l
			}
		}
	}
	if o.err != nil {
		return o.err.Error()
	}
	return "failed"
}
