package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"prefectgen/diag"

	"github.com/rogpeppe/go-internal/txtar"
)

// writeTree writes the files of a txtar archive under a new temporary
// folder and returns it. A file named ".../requirements.txt" is written as
// is; every case gets "requirements.txt" with prefect unless it has one.
func writeTree(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	a := txtar.Parse([]byte(archive))
	hasReq := false
	for _, f := range a.Files {
		if f.Name == "requirements.txt" {
			hasReq = true
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !hasReq && !strings.Contains(archive, "-- NOREQ --") {
		if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("prefect>=3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustDiscover(t testing.TB, root string) *Result {
	t.Helper()
	res, err := Discover(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// problemLines renders problems as path:line:col: CODE, one per entry.
func problemLines(ps []diag.ValidationError) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Pos()+": "+p.Code)
	}
	return out
}

// diagAt is a problem of code at file:line.
func diagAt(code, file string, line int) diag.ValidationError {
	return diag.ValidationError{Code: code, FilePath: file, Line: line, Column: 1}
}
