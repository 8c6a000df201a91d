package diag

import (
	"regexp"
	"testing"
)

// TestRegistry: every code is unique, spelled like a code, documented,
// and its constant is the code itself.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	spelling := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	for _, c := range Codes() {
		if seen[c.Code] {
			t.Errorf("%s registered twice", c.Code)
		}
		seen[c.Code] = true
		if !spelling.MatchString(c.Code) || c.Meaning == "" || c.Remediation == "" {
			t.Errorf("%+v: badly spelled or undocumented", c)
		}
		if c.Severity != Error && c.Severity != Warning && c.Severity != Note {
			t.Errorf("%s: severity %q", c.Code, c.Severity)
		}
	}
	if i, ok := Lookup(TemplateError); !ok || i.Code != "TEMPLATE_ERROR" {
		t.Errorf("Lookup(TemplateError) = %+v, %v", i, ok)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		p    ValidationError
		want string
	}{
		{New(SyntaxError, Pos{File: "a.py", Line: 3, Column: 7}, "invalid\nsyntax"),
			"a.py:3:7: SYNTAX_ERROR: invalid\\nsyntax\n    fix: Fix the syntax at the reported position; `python -m py_compile FILE` shows the same error.\n"},
		{New(NoFlows, Pos{}, "none"), ".: warning: NO_FLOWS: none\n    fix: Decorate a function with @flow from prefect, or point --flows-dir at the folder that holds the flows.\n"},
		{New(TemplateError, Pos{File: "t.tmpl", Line: 2}, "bad"), "t.tmpl:2: TEMPLATE_ERROR: bad\n    fix: Fix the template at the reported line; `prefectgen help generate` lists the templates and their hooks.\n"},
		{New(ConfigParameterNotApplied, Pos{File: "c.yaml"}, "x"), "c.yaml: note: CONFIG_PARAMETER_NOT_APPLIED: x\n    fix: Nothing to do, unless the flow should take that parameter.\n"},
	} {
		if got := c.p.Format(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestNewPanicsOnUnregisteredCode(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted an unregistered code")
		}
	}()
	New("NO_SUCH_CODE", Pos{}, "")
}

func TestResult(t *testing.T) {
	var r ValidationResult
	w := New(NoFlows, Pos{}, "w")
	e := New(SyntaxError, Pos{File: "b.py", Line: 1, Column: 1}, "e")
	e2 := New(SyntaxError, Pos{File: "a.py", Line: 9, Column: 1}, "e")
	r.Merge(e, w, e2, e)
	r.Finish()
	if r.IsValid || len(r.Errors) != 2 || len(r.Warnings) != 1 || r.Errors[0].FilePath != "a.py" {
		t.Errorf("%+v", r)
	}
	if all := r.All(); len(all) != 3 || all[0].Code != NoFlows {
		t.Errorf("All() = %+v", all)
	}
}
