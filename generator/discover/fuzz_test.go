package discover

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	flowSrc,
	"import prefect as pf\n@pf.flow(name=f'{x}', **o)\nasync def a(x: int = 1, /, *a, b, **k): '''doc'''\n",
	"from prefect import flow as f\nclass A:\n  @staticmethod\n  @f(name='x', retries=[1, {'a': (2, -3.5)}])\n  def m(): pass\n",
	"x = (1,\n@flow\ndef a(:\n",
	"def outer():\n    from prefect import flow\n    @flow\n    def inner(): pass\n",
	"@\n@@\ndef\nclass\nasync",
	"from . import prefect\nfrom .. import flow\nimport a . b as c\n",
	"s = '\\x\\u12\\N{x}\\777'\n",
	"",
}

// FuzzParse shows that no source makes discovery panic or hang, and that
// what it reports stays inside the file.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	pp := newPyParser()
	defer pp.Close()
	f.Fuzz(func(t *testing.T, src []byte) {
		if !utf8.Valid(src) { // never parsed: reported as NOT_UTF8 by the walk
			src = []byte(strings.ToValidUTF8(string(src), "?"))
		}
		pf := pp.parse("f.py", src)
		lines := strings.Count(string(src), "\n") + 1
		for _, fl := range pf.flows {
			if fl.Line < 1 || fl.Line > lines || fl.FunctionName == "" && !strings.Contains(string(src), "def") {
				t.Errorf("flow %+v outside the source", fl)
			}
		}
		for _, p := range pf.problems {
			if p.Line < 1 || p.Line > lines+1 {
				t.Errorf("problem %v outside the source (%d lines)", p, lines)
			}
		}
	})
}

// FuzzRequirements shows that no requirements file makes parsing panic.
func FuzzRequirements(f *testing.F) {
	for _, s := range []string{"prefect==3.4\n-r a.txt\n# c\nx[y]>=1; python_version<'3.9' --hash=sha256:00\n", "\\\n-e .\n!!\n", "a @ https://x/y.whl\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		rf := parseRequirements("requirements.txt", []byte(data))
		for _, r := range rf.reqs {
			if r.name == "" || r.line < 1 {
				t.Errorf("bad requirement %+v", r)
			}
		}
	})
}

// FuzzIgnore shows that no ignore pattern makes matching panic.
func FuzzIgnore(f *testing.F) {
	for _, s := range []string{"*.py\n!keep.py\n/build/\n**/x/**\n[a-\n\\#x\n", "a/**/b", "[!ab]c?"} {
		f.Add(s, "a/x/b/c.py")
	}
	f.Fuzz(func(t *testing.T, patterns, rel string) {
		rules := parseIgnore("", []byte(patterns))
		rules.ignored(rel, false)
		rules.ignored(rel, true)
	})
}
