package generator

import (
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden runs every case in ../golden. A case is a folder:
//
//	golden/<case>/in/...        a repository (or a file golden/<case>/source
//	                            naming one, relative to golden/<case>)
//	golden/<case>/out/...       every file prefectgen generate produces, and
//	                            nothing else; absent when nothing is generated
//	golden/<case>/stderr.txt    the problems prefectgen reports as it prints
//	                            them (paths relative to the repository), and
//	                            "error: ..." when generation fails; absent
//	                            when there are none
//
// make golden rewrites out/ and stderr.txt (with every other golden
// file); read every diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, dir := range dirs {
		in, example := filepath.Join(dir, "in"), false
		if src, err := os.ReadFile(filepath.Join(dir, "source")); err == nil {
			in, example = filepath.Join(dir, strings.TrimSpace(string(src))), true
		}
		if _, err := os.Stat(in); err != nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, stderr := runCase(t, in)
			compareGolden(t, filepath.Join(dir, "stderr.txt"), stderr)
			compareTree(t, filepath.Join(dir, "out"), files)
			// A bundled example is committed as a user commits a
			// repository: with its generated files up to date.
			if example {
				for _, name := range slices.Sorted(maps.Keys(files)) {
					compareGolden(t, filepath.Join(in, name), string(files[name]))
				}
			}
		})
	}
}

// runCase generates a repository as prefectgen generate would.
func runCase(t *testing.T, in string) (map[string][]byte, string) {
	t.Helper()
	p, err := Load(in, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, prob := range p.Validation.All() {
		b.WriteString(prob.Format())
	}
	if !p.Validation.IsValid {
		return nil, b.String()
	}
	out, err := Generate(p, GenerateOptions{})
	if out != nil {
		for _, prob := range out.Problems {
			b.WriteString(prob.Format())
		}
	}
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		return nil, b.String()
	}
	return out.Files, b.String()
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

// compareTree compares generated files with the folder dir, file by file,
// both ways. With -update it rewrites the folder.
func compareTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if *update {
		os.RemoveAll(dir)
		for rel, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		data, _ := os.ReadFile(p)
		want[filepath.ToSlash(rel)] = data
		return nil
	})
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range files {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		w, inWant := want[n]
		g, inGot := files[n]
		switch {
		case !inGot:
			t.Errorf("%s: expected in %s, not generated", n, dir)
		case !inWant:
			t.Errorf("%s: generated, not expected in %s", n, dir)
		default:
			if diff := cmp.Diff(string(w), string(g)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", n, diff)
			}
		}
	}
}
