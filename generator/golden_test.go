package generator

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden runs every case in ../golden. A case is a folder:
//
//	golden/<case>/in/...        a repository
//	golden/<case>/stderr.txt    the problems prefectgen reports, as it
//	                            prints them (paths relative to in/); a
//	                            missing file means "no problems"
//
// go test ./... -update rewrites the expected files; read every diff.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("..", "golden", "*", "in"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, in := range cases {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := Load(in, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, prob := range p.Validation.All() {
				b.WriteString(prob.Format())
			}
			compareGolden(t, filepath.Join(dir, "stderr.txt"), b.String())
		})
	}
}

// compareGolden compares got with the file at path; an empty got means the
// file must not exist. With -update it rewrites (or removes) the file.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			os.Remove(path)
		} else if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
