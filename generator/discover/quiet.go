package discover

import (
	"bytes"
	"path"
	"regexp"
	"slices"
	"strings"

	"prefectgen/diag"
)

// isTestPath reports whether a Python file is a test: in a tests/ or
// test/ folder, or named test_*.py or conftest.py. Its flows are not
// deployable and report nothing.
func isTestPath(rel string) bool {
	base := path.Base(rel)
	if strings.HasPrefix(base, "test_") || base == "conftest.py" {
		return true
	}
	for dir := path.Dir(rel); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if b := path.Base(dir); b == "tests" || b == "test" {
			return true
		}
	}
	return false
}

// inlineIgnore is a comment that silences problems of its line:
// # prefectgen: ignore[CODE] or # prefectgen: ignore[CODE1, CODE2].
var inlineIgnore = regexp.MustCompile(`#\s*prefectgen:\s*ignore\[([A-Za-z0-9_,\s]*)\]`)

// inlineIgnores returns the codes each line of src ignores.
func inlineIgnores(src []byte) map[int][]string {
	if !bytes.Contains(src, []byte("prefectgen:")) {
		return nil
	}
	out := map[int][]string{}
	for i, line := range bytes.Split(src, []byte("\n")) {
		for _, m := range inlineIgnore.FindAllSubmatch(line, -1) {
			for _, c := range strings.Split(string(m[1]), ",") {
				if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
					out[i+1] = append(out[i+1], c)
				}
			}
		}
	}
	return out
}

// ignored reports whether an inline ignore on the problem's line names its
// code.
func (d *discovery) ignored(p diag.ValidationError) bool {
	pf, ok := d.files[p.FilePath]
	return ok && inlineIgnored(pf.ignores, p)
}

// inlineIgnored reports whether lines, the inline ignores of the problem's
// file, silence it: the comment on its line names its code, one that may be
// silenced (diag.Adjustable: not an error that would make the generated
// files wrong).
func inlineIgnored(lines map[int][]string, p diag.ValidationError) bool {
	return p.Line > 0 && strings.HasSuffix(p.FilePath, ".py") && diag.Adjustable(p.Code) && slices.Contains(lines[p.Line], p.Code)
}
