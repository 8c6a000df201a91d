package generator

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/patternmatcher"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/schema"
)

// SkippedFlow is a flow Prefect can deploy that gets no deployments.
type SkippedFlow struct {
	discover.FlowMetadata
	// Reason says why, in words: "a subflow of parent".
	Reason string
}

// selectFlows splits the deployable flows into those that get deployments
// and those that do not. The rule, most specific first: flows.NAME.deploy;
// then deploy.exclude; then deploy.include, when it is set, deploys only
// the flows it matches, subflows included; else a flow that a deployed
// flow calls is a subflow and is not deployed, unless deploy.subflows.
// Only callers that run count: a flow called only from an excluded
// flow, or from flows that call one another in a cycle no running flow
// enters, is deployed.
func selectFlows(c *schema.Config, flows []discover.FlowMetadata) (deployed []discover.FlowMetadata, skipped []SkippedFlow, probs []diag.ValidationError) {
	sel := c.Deploy
	matched := map[string]bool{}
	compiled := map[string][]flowPattern{"include": compileFlowPatterns(sel.Include), "exclude": compileFlowPatterns(sel.Exclude)}
	matches := func(list string, f *discover.FlowMetadata) bool {
		hit := false
		for i, fp := range compiled[list] {
			if fp.matches(f) {
				matched[list+strconv.Itoa(i)] = true
				hit = true
			}
		}
		return hit
	}
	// The decision of each flow: "" deployed, a reason when it is not,
	// and subflow for the flows the callers decide.
	const subflow = "\x00subflow"
	reasons := make([]string, len(flows))
	for i := range flows {
		f := &flows[i]
		fc := flowConfigOf(c, f)
		excluded := matches("exclude", f)
		included := matches("include", f)
		switch {
		case fc != nil && fc.Deploy != nil:
			if !*fc.Deploy {
				reasons[i] = fmt.Sprintf("flows.%s.deploy is false", fc.Key)
			}
		case excluded:
			reasons[i] = "deploy.exclude names it"
		case sel.Include != nil:
			if !included {
				reasons[i] = "deploy.include does not name it"
			}
		case len(f.CalledBy) > 0 && !sel.Subflows:
			reasons[i] = subflow
		}
	}
	resolveSubflows(flows, reasons, subflow)
	for i := range flows {
		if reasons[i] == "" {
			deployed = append(deployed, flows[i])
			continue
		}
		skipped = append(skipped, SkippedFlow{FlowMetadata: flows[i], Reason: reasons[i]})
	}
	if sel.Include != nil && len(sel.Include) == 0 {
		probs = append(probs, c.Problem(diag.ConfigInvalidValue, []string{"deploy", "include"},
			"deploy.include is empty, which would deploy no flow; remove it to deploy every flow, or name the flows to deploy"))
	}
	for _, l := range []struct {
		name string
		pats []string
	}{{"include", sel.Include}, {"exclude", sel.Exclude}} {
		for i, p := range l.pats {
			if matched[l.name+strconv.Itoa(i)] {
				continue
			}
			if err := compiled[l.name][i].err; err != nil {
				probs = append(probs, c.Problem(diag.ConfigInvalidValue, []string{"deploy", l.name, strconv.Itoa(i)},
					fmt.Sprintf("deploy.%s: pattern %q: %v", l.name, p, err)))
				continue
			}
			msg := fmt.Sprintf("deploy.%s: %q matches no discovered flow", l.name, p)
			if !strings.ContainsAny(p, "/*?[") && !strings.HasSuffix(p, ".py") {
				var names []string
				for j := range flows {
					names = append(names, flows[j].Name, FolderName(&flows[j]))
				}
				if s := schema.Nearest(p, names); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
			}
			probs = append(probs, c.Problem(diag.ConfigUnknownFlow, []string{"deploy", l.name, strconv.Itoa(i)}, msg))
		}
	}
	return deployed, skipped, probs
}

// flowPattern is a deploy: entry, compiled once: it names a flow by its
// Prefect name or folder name (globs allowed), or, for an entry with a "/"
// or ending in ".py", by the path of its file or of a folder above it.
type flowPattern struct {
	glob string                         // a name pattern, or ""
	path *patternmatcher.PatternMatcher // a path pattern, or nil
	err  error                          // why the entry is not a pattern
}

// compileFlowPatterns compiles deploy: entries.
func compileFlowPatterns(entries []string) []flowPattern {
	out := make([]flowPattern, len(entries))
	for i, e := range entries {
		if strings.Contains(e, "/") || strings.HasSuffix(e, ".py") {
			out[i].path, out[i].err = patternmatcher.New([]string{strings.TrimSuffix(e, "/")})
		} else {
			out[i].glob = e
			_, out[i].err = path.Match(e, "")
		}
	}
	return out
}

// matches reports whether the entry names f.
func (fp flowPattern) matches(f *discover.FlowMetadata) bool {
	switch {
	case fp.err != nil:
		return false
	case fp.path != nil:
		ok, err := fp.path.MatchesOrParentMatches(f.Path)
		return err == nil && ok
	}
	for _, name := range []string{f.Name, FolderName(f)} {
		if ok, _ := path.Match(fp.glob, name); ok {
			return true
		}
	}
	return false
}

// flowConfigOf returns the flows: entry of a flow, by Prefect name or
// folder name.
func flowConfigOf(c *schema.Config, f *discover.FlowMetadata) *schema.FlowConfig {
	if fc, ok := c.Flows[f.Name]; ok {
		return fc
	}
	if fc, ok := c.Flows[FolderName(f)]; ok {
		return fc
	}
	return nil
}

// skippedNames are the names flows: may use for the skipped flows.
func skippedNames(skipped []SkippedFlow) []string {
	var out []string
	for i := range skipped {
		out = append(out, skipped[i].Name, FolderName(&skipped[i].FlowMetadata))
	}
	return slices.Compact(out)
}

// resolveSubflows decides the flows marked subflow: one that a flow that
// runs calls (a deployed flow, or a subflow, which runs inside its
// parent) is not deployed: "a subflow of ..."; one whose callers all never
// run (excluded, or deploy: false) is deployed. Flows left undecided call
// one another in cycles that no running flow enters: they are deployed.
func resolveSubflows(flows []discover.FlowMetadata, reasons []string, subflow string) {
	byName := map[string][]int{}
	for i := range flows {
		byName[flows[i].Name] = append(byName[flows[i].Name], i)
	}
	runs := func(j int) bool { return reasons[j] == "" || strings.HasPrefix(reasons[j], "a subflow of ") }
	for changed := true; changed; {
		changed = false
		for i := range flows {
			if reasons[i] != subflow {
				continue
			}
			var by []string
			undecided := false
			for _, caller := range flows[i].CalledBy {
				for _, j := range byName[caller] {
					switch {
					case reasons[j] == subflow:
						undecided = true
					case runs(j) && !slices.Contains(by, caller):
						by = append(by, caller)
					}
				}
			}
			switch {
			case len(by) > 0:
				reasons[i] = "a subflow of " + strings.Join(by, ", ")
			case !undecided:
				reasons[i] = ""
			default:
				continue
			}
			changed = true
		}
	}
	for i := range reasons {
		if reasons[i] == subflow {
			reasons[i] = ""
		}
	}
}
