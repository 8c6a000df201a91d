package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOneFindingPerRootCause: a missing distribution is reported once per
// dependency scope, a name shared by copies once, and a folder without
// requirements once.
func TestOneFindingPerRootCause(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"missing distribution", `-- requirements.txt --
prefect
-- utils/sftp.py --
import paramiko
from paramiko import SSHClient

def f():
    import paramiko.client
-- flows/a.py --
import paramiko
from utils.sftp import f
from prefect import flow

@flow
def a():
    pass
-- flows/b.py --
from utils import sftp
from prefect import flow

@flow
def b():
    pass
-- other/requirements.txt --
prefect
-- other/c.py --
import paramiko
from prefect import flow

@flow
def c():
    pass
`, []string{"a flows/a.py:a", "b flows/b.py:b", "c other/c.py:c"},
			[]string{"flows/a.py:1:1: MISSING_DEPENDENCY", "other/c.py:1:1: MISSING_DEPENDENCY"}},
		{"copies of a flow", `-- results/a.py --
from prefect import flow

@flow(name="etl")
def etl():
    pass
-- results_backup/a.py --
from prefect import flow

@flow(name="etl")
def etl():
    pass
-- drafts/a.py --
from prefect import flow

@flow(name="etl")
def etl():
    pass
-- drafts/x.py --
from prefect import flow

@flow
def extract(): pass
-- results/x.py --
from prefect import flow

@flow
def extract(): pass
-- results_backup/x.py --
from prefect import flow

@flow
def extract(): pass
-- results/b.py --
from prefect import flow

@flow
def load():
    pass
-- results_backup/b.py --
from prefect import flow

@flow
def load():
    pass
-- other/b.py --
from prefect import flow

@flow
def load():
    return 1
`, []string{"etl drafts/a.py:etl", "extract drafts/x.py:extract", "load other/b.py:load", "etl results/a.py:etl", "load results/b.py:load",
			"extract results/x.py:extract", "etl results_backup/a.py:etl", "load results_backup/b.py:load", "extract results_backup/x.py:extract"},
			[]string{"results/a.py:4:1: DUPLICATE_FLOW_NAME", "results/b.py:4:1: DUPLICATE_FLOW_NAME"}},
		{"subflows sharing a name are not deployed: no duplicate", `-- a.py --
from prefect import flow

@flow(name="extract")
def extract():
    pass

@flow
def pipeline_a():
    extract()
-- b.py --
from prefect import flow

@flow(name="extract")
def extract():
    return 1

@flow
def pipeline_b():
    extract()
-- c.py --
from prefect import flow

@flow(name="pipeline-a")
def top():
    pass
`, []string{"extract a.py:extract", "pipeline-a a.py:pipeline_a", "extract b.py:extract", "pipeline-b b.py:pipeline_b", "pipeline-a c.py:top"},
			[]string{"c.py:4:1: DUPLICATE_FLOW_NAME"}},
		{"no requirements, once per folder", `-- NOREQ --
-- topic/a.py --
import paramiko
from prefect import flow

@flow
def a():
    pass

@flow
def a2():
    import boto3
-- topic/b.py --
import rasterio
from prefect import flow

@flow
def b():
    pass
-- plain/c.py --
from prefect import flow

@flow
def c():
    pass
`, []string{"c plain/c.py:c", "a topic/a.py:a", "a2 topic/a.py:a2", "b topic/b.py:b"},
			[]string{"topic/a.py:5:1: NO_REQUIREMENTS"}},
	})
	res := mustDiscover(t, writeTree(t, `-- requirements.txt --
prefect
-- utils/sftp.py --
import paramiko
import paramiko.client
-- flows/a.py --
from utils.sftp import f
from prefect import flow

@flow
def a():
    pass
`))
	p := res.Validation.Errors[0]
	if p.Message != `import paramiko is not provided by requirements.txt, which installs flow "a"; add paramiko to requirements.txt (also imported at utils/sftp.py:2)` {
		t.Errorf("message: %s", p.Message)
	}
	if diff := cmp.Diff([]string{"MISSING_DEPENDENCY: imports paramiko, which requirements.txt does not declare"}, res.Flows[0].ValidationErrors); diff != "" {
		t.Errorf("flow errors (-want +got):\n%s", diff)
	}
}

// TestInlineIgnores: # prefectgen: ignore[CODE] on the reported line
// silences that problem, there only.
func TestInlineIgnores(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"ignores", `-- requirements.txt --
prefect
-- a.py --
import pandas  # prefectgen: ignore[MISSING_DEPENDENCY]
import boto3  # prefectgen: ignore[NO_REQUIREMENTS]
from prefect import flow

@flow(name=f"{X}")  # prefectgen:ignore[ non_literal_flow_name , INVALID_FLOW_NAME]
def a():
    pass

@flow(name="in/out")
def b():  # prefectgen: ignore[INVALID_FLOW_NAME]
    pass

def broken(:  # prefectgen: ignore[SYNTAX_ERROR]
    pass
`, []string{"a a.py:a", "in/out a.py:b"},
			// The comment of INVALID_FLOW_NAME is on the def line, the name
			// is reported on the line above; errors that would make the
			// generated files wrong (a name, a syntax error) cannot be
			// silenced.
			[]string{"a.py:2:1: MISSING_DEPENDENCY", "a.py:5:12: NON_LITERAL_FLOW_NAME", "a.py:9:12: INVALID_FLOW_NAME", "a.py:13:12: SYNTAX_ERROR"}},
	})
	root := writeTree(t, "-- a.py --\nfrom prefect import flow\n\n@flow\ndef main(x):  # prefectgen: ignore[CONFIG_RUNTIME_PARAMETER, CONFIG_MISSING_PARAMETER]\n    pass\n")
	res := mustDiscover(t, root)
	if !res.Ignored(diagAt("CONFIG_RUNTIME_PARAMETER", "a.py", 4)) || res.Ignored(diagAt("CONFIG_RUNTIME_PARAMETER", "a.py", 3)) ||
		res.Ignored(diagAt("CONFIG_MISSING_PARAMETER", "a.py", 4)) || res.Ignored(diagAt("CONFIG_UNKNOWN_PARAMETER", "a.py", 4)) {
		t.Error("Result.Ignored does not follow the comment")
	}
	if !res.Flows[0].IsValid {
		t.Errorf("flow errors: %v", res.Flows[0].ValidationErrors)
	}
}

// TestWalkTemplatesOutputFoldersAndExclude: template folders are skipped,
// a build or dist folder no ignore file covers is noted when it may hold
// flows (and scanned when .prefectignore un-ignores it), and
// .git/info/exclude is honoured.
func TestWalkTemplatesOutputFoldersAndExclude(t *testing.T) {
	tree := ""
	for _, p := range []string{
		"flows/a/workflow.py",
		"templates/rj_{{ cookiecutter.name }}/flow.py",
		"templates/{% if x %}x{% endif %}.py",
		"flows/build/flow.py",
		"flows/dist/flow.py",
		"pkg/build/lib/flow.py",
		"ignored/build/flow.py",
		"excluded/flow.py",
	} {
		tree += "-- " + p + " --\n" + flowSrc
	}
	tree += "-- plain/build/notes.py --\nprint('no flow')\n"
	tree += "-- .gitignore --\nignored/\n"
	tree += "-- .prefectignore --\n!flows/dist/\n"
	tree += "-- .git/info/exclude --\n/excluded\n"
	root := writeTree(t, tree)
	res := mustDiscover(t, root)
	want := []string{"flows/a/workflow.py", "flows/dist/flow.py"}
	if diff := cmp.Diff(want, flowFiles(res)); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	wantProblems := []string{"flows/build: SKIPPED_FOLDER", "flows/dist/flow.py:4:1: DUPLICATE_FLOW_NAME", "pkg/build: SKIPPED_FOLDER"}
	if diff := cmp.Diff(wantProblems, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	// A worktree's .git is a file; the exclude file is the main repository's.
	wt := writeTree(t, "-- excluded/flow.py --\n"+flowSrc+"-- kept/flow.py --\n"+flowSrc)
	common := t.TempDir()
	gitdir := filepath.Join(common, "worktrees", "wt")
	if err := os.MkdirAll(filepath.Join(common, "info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(gitdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{
		filepath.Join(wt, ".git"):                "gitdir: " + gitdir + "\n",
		filepath.Join(gitdir, "commondir"):       "../..\n",
		filepath.Join(common, "info", "exclude"): "excluded/\n",
	} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"kept/flow.py"}, flowFiles(mustDiscover(t, wt))); diff != "" {
		t.Errorf("worktree flows (-want +got):\n%s", diff)
	}
}

// TestSyntaxErrorPositions: syntax errors where Python 3.11's compile()
// puts them (line:column, 1-based).
func TestSyntaxErrorPositions(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"unclosed paren", "from prefect import flow\n\nx = (1,\ndef broken():\n    pass\n", "3:5"},
		{"def missing paren", "def broken(:\n    pass\n", "1:12"},
		{"template placeholder", "\"\"\"doc\"\"\"\nimport os\n\n@flow(log_prints=True)\ndef rj_{{ cookiecutter.name }}(\n    a: str = \"x\",\n):\n    pass\n", "5:8"},
		{"two names", "import a.b c.d as e\n", "1:12"},
		{"missing colon", "def f()\n    pass\n", "1:8"},
		{"stray decorators", "x = 1\n@@@\ny = 2\n", "2:2"},
		{"unclosed string", "x = 'abc\ny = 2\n", "1:5"},
		{"print statement", "print 'hello'\n", "1:1"},
		{"unmatched paren", "x = f(1))\n", "1:9"},
		{"if without colon", "if x == 1\n    y = 2\n", "1:10"},
		{"keyword as name", "class = 3\n", "1:7"},
		{"unclosed bracket at the end", "import os\nx = [1, 2,\n", "2:5"},
		{"else alone", "x = 1\nelse:\n    pass\n", "2:1"},
		{"braces", "def f() {\n  return 1\n}\n", "1:9"},
		{"missing comma", "d = {'a': 1 'b': 2}\n", "1:11"},
		{"return in lambda", "f = lambda x: return x\n", "1:15"},
		{"dangling operator", "x = 1 +\ny = 2\n", "1:8"},
		{"decorator without def", "@flow\nx = 3\n", "2:1"},
		{"unterminated triple quote", "x = 1\ns = '''abc\n\ny = 2\n", "2:5"},
		{"merge conflict", "x = 1\n<<<<<<< HEAD\ny = 2\n=======\ny = 3\n>>>>>>> branch\n", "2:1"},
	} {
		pp := newPyParser()
		pf := pp.parse("f.py", []byte(c.src))
		pp.Close()
		got := "none"
		for _, p := range pf.problems {
			if p.Code == "SYNTAX_ERROR" {
				got = strings.TrimPrefix(p.Pos(), "f.py:")
				break
			}
		}
		if got != c.want {
			t.Errorf("%s: at %s, Python says %s", c.name, got, c.want)
		}
	}
}
