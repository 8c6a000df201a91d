package schema

import (
	"fmt"
	"slices"

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
				fmt.Sprintf("problems: %s cannot be changed: it means the configuration cannot be read or the generated files would be wrong", code)))
		}
		for i, pat := range c.Problems[code].Paths {
			if _, err := patternmatcher.New([]string{pat}); err != nil {
				out = append(out, c.Problem(diag.ConfigInvalidValue, append(path, "paths", fmt.Sprint(i)), fmt.Sprintf("pattern %q: %v", pat, err)))
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
	if len(r.Paths) > 0 {
		pm, err := patternmatcher.New(r.Paths)
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
