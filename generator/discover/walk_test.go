package discover

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"prefectgen/diag"

	"github.com/google/go-cmp/cmp"
)

const flowSrc = "from prefect import flow\n\n@flow\ndef main():\n    pass\n"

func flowFiles(res *Result) []string {
	out := []string{}
	for _, f := range res.Flows {
		out = append(out, f.Path)
	}
	return out
}

func TestWalkSkipsAndIgnores(t *testing.T) {
	tree := ""
	for _, p := range []string{
		"flows/a/workflow.py",
		"flows/b/workflow.py",
		".venv/lib/python3.11/site-packages/x/f.py",
		"env2/lib/f.py", // a virtualenv by its pyvenv.cfg
		"lib/site-packages/f.py",
		"web/node_modules/pkg/f.py",
		"flows/a/__pycache__/f.py",
		"build/lib/f.py",
		"dist/f.py",
		".tox/py311/f.py",
		".git/hooks/f.py",
		".mypy_cache/f.py",
		"pkg.egg-info/f.py",
		"ignored_by_root/f.py",
		"flows/tmp_scratch.py",
		"flows/keep_scratch.py",
		"flows/b/local_only.py",
		"secret/f.py",
		"docs/notes.txt",
	} {
		tree += "-- " + p + " --\n" + flowSrc
	}
	tree += "-- env2/pyvenv.cfg --\nhome = /usr/bin\n"
	tree += "-- .gitignore --\n# comment\nignored_by_root/\nflows/*_scratch.py\n!flows/keep_*.py\n"
	tree += "-- flows/b/.gitignore --\nlocal_only.py\n"
	tree += "-- .prefectignore --\n/secret\n"
	root := writeTree(t, tree)
	res := mustDiscover(t, root)
	want := []string{"flows/a/workflow.py", "flows/b/workflow.py", "flows/keep_scratch.py"}
	if diff := cmp.Diff(want, flowFiles(res)); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
}

func TestFlowsDir(t *testing.T) {
	root := writeTree(t, "-- flows/a/workflow.py --\n"+flowSrc+"-- other/f.py --\n"+flowSrc)
	res, err := Discover(Options{Root: root, FlowsDir: "flows"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"flows/a/workflow.py"}, flowFiles(res)); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"missing", "../x", "flows/a/workflow.py"} {
		if _, err := Discover(Options{Root: root, FlowsDir: bad}); err == nil {
			t.Errorf("FlowsDir %q: no error", bad)
		}
	}
	if _, err := Discover(Options{Root: filepath.Join(root, "nope")}); err == nil {
		t.Error("missing root: no error")
	}
}

func TestSymlinks(t *testing.T) {
	root := writeTree(t, "-- flows/a/workflow.py --\n"+flowSrc)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("..", filepath.Join(root, "flows", "a", "up")))                // a loop
	must(os.Symlink("a", filepath.Join(root, "flows", "alias")))                   // a second path to a walked folder
	must(os.Symlink("/nonexistent/x.py", filepath.Join(root, "flows", "gone.py"))) // dangling
	must(os.Symlink(os.TempDir(), filepath.Join(root, "outside")))                 // outside the repository
	res := mustDiscover(t, root)
	if diff := cmp.Diff([]string{"flows/a/workflow.py"}, flowFiles(res)); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	want := []string{"flows/a/up: SYMLINK_LOOP", "flows/gone.py: UNREADABLE_FILE"}
	if diff := cmp.Diff(want, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestSyntaxErrorKeepsFlows(t *testing.T) {
	root := writeTree(t, `-- a.py --
from prefect import flow

@flow
def before():
    pass

x = (1,
def broken(:
    pass
@@@

@flow(name="after")
async def after_error():
    pass
-- b.py --
from prefect import flow

@flow
def other_file():
    pass
`)
	res := mustDiscover(t, root)
	var names []string
	for _, f := range res.Flows {
		names = append(names, f.Name+" valid="+map[bool]string{true: "y", false: "n"}[f.IsValid])
	}
	want := []string{"before valid=n", "after valid=n", "other-file valid=y"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	if len(res.Validation.Errors) == 0 || res.Validation.Errors[0].Code != diag.SyntaxError || res.Validation.Errors[0].Line < 7 {
		t.Errorf("want a syntax error at line 7 or later, got %v", res.Validation.Errors)
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestExampleRepository pins the discovery of examples/rpa-platform in
// testdata/rpa-platform.json; make golden rewrites it.
func TestExampleRepository(t *testing.T) {
	res := mustDiscover(t, filepath.Join("..", "..", "examples", "rpa-platform"))
	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "rpa-platform.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("discovery of the example changed (-want +got); make golden rewrites it:\n%s", diff)
	}
	if len(res.Flows) != 5 || !res.Validation.IsValid {
		t.Errorf("want 5 valid flows, got %d, valid=%v", len(res.Flows), res.Validation.IsValid)
	}
}

func TestRecoveryStackedDecorators(t *testing.T) {
	root := writeTree(t, "-- a.py --\nfrom prefect import flow\nimport functools\nx = [\n@functools.cache\n@flow(name='one')\ndef one():\n    pass\n@flow\ndef two():\n    pass\n")
	res := mustDiscover(t, root)
	var names []string
	for _, f := range res.Flows {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"one", "two"}, names); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
}
