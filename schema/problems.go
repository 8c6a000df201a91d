package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"

	"prefectgen/diag"
)

// checkProblems checks the problems: rules: known codes that may change,
// and patterns that parse.
func (c *Config) checkProblems() []diag.ValidationError {
	var out []diag.ValidationError
	var codes []string
	for _, ci := range diag.Codes() {
		codes = append(codes, ci.Code)
	}
	for _, code := range sortedKeys(c.Problems) {
		path := []string{"problems", code}
		switch _, known := diag.Lookup(code); {
		case !known:
			msg := fmt.Sprintf("problems: %q is not a problem code", code)
			if s := nearest(code, codes); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			out = append(out, c.KeyProblem(diag.ConfigInvalidValue, path, msg))
		case !diag.Adjustable(code):
			out = append(out, c.KeyProblem(diag.ConfigInvalidValue, path,
				fmt.Sprintf("problems: %s cannot be changed: it is an error that means the configuration cannot be read or the generated files would be wrong (warnings, notes, %s can be)",
					code, strings.Join(diag.Lowerable(), ", "))))
		}
		paths := c.Problems[code].Paths
		if paths != nil && len(paths) == 0 {
			out = append(out, c.Problem(diag.ConfigInvalidValue, append(path, "paths"),
				"problems."+code+".paths is empty, which matches no file; remove it to change the code everywhere"))
		}
		for i, pat := range paths {
			at := append(slices.Clone(path), "paths", fmt.Sprint(i))
			clean := strings.TrimPrefix(pat, "/")
			switch _, err := patternmatcher.New([]string{clean}); {
			case err != nil:
				out = append(out, c.Problem(diag.ConfigInvalidValue, at, fmt.Sprintf("pattern %q: %v", pat, err)))
			case clean == "" || strings.HasPrefix(clean, "!") || slices.Contains(strings.Split(clean, "/"), ".."):
				out = append(out, c.Problem(diag.ConfigInvalidValue, at,
					fmt.Sprintf("pattern %q: write a path inside the repository, relative to its root (as flows/legacy or flows/**/job.py)", pat)))
			}
		}
	}
	return out
}

// Adjust applies the problems: rules to one problem: its severity changed,
// or keep false when the rule turns it off.
func (c *Config) Adjust(p diag.ValidationError) (diag.ValidationError, bool) {
	r, ok := c.Problems[p.Code]
	if !ok || !diag.Adjustable(p.Code) {
		return p, true
	}
	if r.Paths != nil {
		var pats []string
		for _, p := range r.Paths {
			pats = append(pats, strings.TrimPrefix(p, "/"))
		}
		pm, err := patternmatcher.New(pats)
		if err != nil || p.FilePath == "" {
			return p, true
		}
		if m, err := pm.MatchesOrParentMatches(p.FilePath); err != nil || !m {
			return p, true
		}
	}
	if r.Severity == "off" {
		return p, false
	}
	p.Severity = diag.Severity(r.Severity)
	return p, true
}

// AdjustAll applies the problems: rules to every problem of ps.
func (c *Config) AdjustAll(ps []diag.ValidationError) []diag.ValidationError {
	var out []diag.ValidationError
	for _, p := range ps {
		if q, keep := c.Adjust(p); keep {
			out = append(out, q)
		}
	}
	return slices.Clip(out)
}
