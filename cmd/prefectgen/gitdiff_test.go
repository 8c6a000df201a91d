package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"prefectgen/generator"
)

// TestGitDiffOneValue changes one value of the example's configuration
// (a memory limit, which five docker deployments inherit) and checks that
// generate --check prints the hunks diff -u prints for the same files.
func TestGitDiffOneValue(t *testing.T) {
	gnu := gnuDiff(t)
	example := filepath.Join("..", "..", "examples", "rpa-platform")
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "deployment_config.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`memory: "1Gi"`)) {
		t.Fatal(`the example's configuration no longer sets memory: "1Gi"; change the test`)
	}
	if err := os.WriteFile(cfg, bytes.Replace(data, []byte(`memory: "1Gi"`), []byte(`memory: "2Gi"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	changes := driftOf(t, root)
	if len(changes) != 1 || changes[0].Path != generator.PrefectFile {
		t.Fatalf("changes = %v, want prefect.yaml alone", changes)
	}
	c := changes[0]
	got, err := gitDiff(c)
	if err != nil {
		t.Fatal(err)
	}
	want := gnu(t, c.Old, c.New)
	// Past the two header lines, git's and GNU's formats are the same.
	gotHunks := got[strings.Index(got, "\n@@")+1:]
	if gotHunks != want {
		t.Errorf("hunks differ from diff -u:\n--- gitDiff\n%s\n--- diff -u\n%s", gotHunks, want)
	}
	lines := strings.Count(got, "\n") - 1 // without the "diff --git" line, as diff -u
	anchored := strings.Count(string(diff.Diff("a/"+c.Path, c.Old, "b/"+c.Path, c.New)), "\n") - 1
	t.Logf("one value changed: generate --check prints %d diff lines, diff -u %d (the anchored diff used before printed %d)",
		lines, strings.Count(want, "\n")+2, anchored)
	if lines > 60 {
		t.Errorf("a one-value change gives %d diff lines; want a few dozen", lines)
	}
}

// driftOf runs prefectgen's generation on root and returns its changes.
func driftOf(t *testing.T, root string) []generator.Change {
	t.Helper()
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"validate", root}, nil, io.Discard, &stderr); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, stderr.String())
	}
	p, err := (&projectFlags{}).load(root)
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(p, generator.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := p.Changes(out.Files)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

// gnuDiff returns a function that runs GNU diff -u --minimal on two
// contents and returns its hunks (without the two header lines).
func gnuDiff(t *testing.T) func(t *testing.T, a, b []byte) string {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("diff (GNU diffutils) is not installed: this test compares with diff -u")
	}
	dir := t.TempDir()
	return func(t *testing.T, a, b []byte) string {
		t.Helper()
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if err := os.WriteFile(pa, a, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pb, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("diff", "-u", "--minimal", pa, pb).Output()
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
			t.Fatalf("diff -u: %v", err)
		}
		s := string(out)
		for range 2 {
			_, s, _ = strings.Cut(s, "\n")
		}
		return s
	}
}

func TestGitDiffFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    generator.Change
		want string
	}{
		{"equal", generator.Change{Path: "x", Kind: "update", Old: []byte("a\n"), New: []byte("a\n")}, ""},
		{"create", generator.Change{Path: "f/Dockerfile", Kind: "create", New: []byte("a\nb\n")}, `diff --git a/f/Dockerfile b/f/Dockerfile
new file mode 100644
--- /dev/null
+++ b/f/Dockerfile
@@ -0,0 +1,2 @@
+a
+b
`},
		{"remove", generator.Change{Path: "f/Dockerfile", Kind: "remove", Old: []byte("a\n")}, `diff --git a/f/Dockerfile b/f/Dockerfile
deleted file mode 100644
--- a/f/Dockerfile
+++ /dev/null
@@ -1 +0,0 @@
-a
`},
		{"old without final newline", generator.Change{Path: "p", Kind: "update", Old: []byte("a\nb"), New: []byte("a\nb\n")}, `diff --git a/p b/p
--- a/p
+++ b/p
@@ -1,2 +1,2 @@
 a
-b
\ No newline at end of file
+b
`},
		{"new without final newline", generator.Change{Path: "p", Kind: "update", Old: []byte("a\nb\n"), New: []byte("a\nc")}, `diff --git a/p b/p
--- a/p
+++ b/p
@@ -1,2 +1,2 @@
 a
-b
+c
\ No newline at end of file
`},
		{"context without final newline", generator.Change{Path: "p", Kind: "update", Old: []byte("a\nb"), New: []byte("z\nb")}, `diff --git a/p b/p
--- a/p
+++ b/p
@@ -1,2 +1,2 @@
-a
+z
 b
\ No newline at end of file
`},
		{"empty file", generator.Change{Path: "p", Kind: "update", Old: []byte{}, New: []byte("a\n")}, `diff --git a/p b/p
--- a/p
+++ b/p
@@ -0,0 +1 @@
+a
`},
		{"two hunks", generator.Change{Path: "p", Kind: "update",
			Old: []byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"),
			New: []byte("1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\nELEVEN\n12\n")}, `diff --git a/p b/p
--- a/p
+++ b/p
@@ -1,5 +1,5 @@
 1
-2
+TWO
 3
 4
 5
@@ -8,5 +8,5 @@
 8
 9
 10
-11
+ELEVEN
 12
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gitDiff(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestGitDiffMinimal compares random edits of random texts with GNU
// diff --minimal: as many lines removed and added (both are minimal), and
// the same hunks whenever the texts' lines are all distinct (then there
// is one minimal diff). Git applies every diff.
func TestGitDiffMinimal(t *testing.T) {
	gnu := gnuDiff(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: this test applies the diffs with git apply")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := range 150 {
		distinct := i%2 == 0
		a := randomText(rng, distinct)
		b := editText(rng, a, distinct)
		c := generator.Change{Path: "f.txt", Kind: "update", Old: []byte(a), New: []byte(b)}
		got, err := gitDiff(c)
		if err != nil {
			t.Fatal(err)
		}
		want := gnu(t, c.Old, c.New)
		if a == b {
			if got != "" || want != "" {
				t.Fatalf("case %d: equal texts gave a diff", i)
			}
			continue
		}
		gotHunks := got[strings.Index(got, "\n@@")+1:]
		if distinct && gotHunks != want {
			t.Fatalf("case %d: hunks differ from diff -u:\n--- gitDiff\n%s\n--- diff -u\n%s", i, gotHunks, want)
		}
		if g, w := changedLines(gotHunks), changedLines(want); g != w {
			t.Fatalf("case %d: %d lines changed, diff --minimal changes %d:\n%s\n---\n%s", i, g, w, gotHunks, want)
		}
		if err := os.WriteFile(filepath.Join(dir, "f.txt"), c.Old, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "apply", "-")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: git apply: %v\n%s\n%s", i, err, out, got)
		}
		if applied, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(applied) != b {
			t.Fatalf("case %d: git apply gave %q, want %q", i, applied, b)
		}
	}
}

func changedLines(hunks string) int {
	n := 0
	for _, l := range strings.Split(hunks, "\n") {
		if strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") {
			n++
		}
	}
	return n
}

// randomText is up to 40 lines; distinct lines, or lines drawn from a
// handful, which makes many equally short diffs.
func randomText(rng *rand.Rand, distinct bool) string {
	var b strings.Builder
	for i := range rng.IntN(40) {
		if distinct {
			b.WriteString("line " + string(rune('A'+i%26)) + strings.Repeat("'", i/26) + "\n")
		} else {
			b.WriteString([]string{"a", "b", "c", "}", ""}[rng.IntN(5)] + "\n")
		}
	}
	s := b.String()
	if s != "" && rng.IntN(4) == 0 {
		s = s[:len(s)-1] // no final newline
	}
	return s
}

// editText deletes, inserts and replaces a few lines of s, and sometimes
// adds or drops the final newline.
func editText(rng *rand.Rand, s string, distinct bool) string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for range rng.IntN(5) {
		i := rng.IntN(len(lines) + 1)
		fresh := fmt.Sprintf("new %d\n", rng.IntN(1e9))
		if !distinct {
			fresh = []string{"a", "b", "x"}[rng.IntN(3)] + "\n"
		}
		switch {
		case rng.IntN(3) == 0 && i < len(lines): // delete
			lines = append(lines[:i], lines[i+1:]...)
		case rng.IntN(2) == 0 && i < len(lines): // replace
			lines[i] = fresh
		default: // insert
			lines = append(lines[:i], append([]string{fresh}, lines[i:]...)...)
		}
	}
	out := strings.Join(lines, "")
	if rng.IntN(6) == 0 {
		if strings.HasSuffix(out, "\n") {
			out = strings.TrimSuffix(out, "\n")
		} else if out != "" {
			out += "\n"
		}
	}
	return out
}
