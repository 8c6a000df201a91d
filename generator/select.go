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
// the flows it matches, subflows included; else a flow that another flow
// calls is a subflow and is not deployed, unless deploy.subflows.
func selectFlows(c *schema.Config, flows []discover.FlowMetadata) (deployed []discover.FlowMetadata, skipped []SkippedFlow, probs []diag.ValidationError) {
	sel := c.Deploy
	matched := map[string]bool{}
	matches := func(list string, pats []string, f *discover.FlowMetadata) bool {
		hit := false
		for i, p := range pats {
			if flowMatches(p, f) {
				matched[list+strconv.Itoa(i)] = true
				hit = true
			}
		}
		return hit
	}
	for i := range flows {
		f := &flows[i]
		fc := flowConfigOf(c, f)
		excluded := matches("exclude", sel.Exclude, f)
		included := matches("include", sel.Include, f)
		reason := ""
		switch {
		case fc != nil && fc.Deploy != nil:
			if !*fc.Deploy {
				reason = fmt.Sprintf("flows.%s.deploy is false", fc.Key)
			}
		case excluded:
			reason = "deploy.exclude names it"
		case len(sel.Include) > 0:
			if !included {
				reason = "deploy.include does not name it"
			}
		case len(f.CalledBy) > 0 && !sel.Subflows:
			reason = "a subflow of " + strings.Join(f.CalledBy, ", ")
		}
		if reason == "" {
			deployed = append(deployed, *f)
			continue
		}
		skipped = append(skipped, SkippedFlow{FlowMetadata: *f, Reason: reason})
	}
	for _, l := range []struct {
		name string
		pats []string
	}{{"include", sel.Include}, {"exclude", sel.Exclude}} {
		for i, p := range l.pats {
			if matched[l.name+strconv.Itoa(i)] {
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

// flowMatches reports whether a deploy: entry names a flow: its Prefect
// name or folder name (globs allowed), or, for an entry with a "/" or
// ending in ".py", the path of its file or of a folder above it.
func flowMatches(pattern string, f *discover.FlowMetadata) bool {
	if strings.Contains(pattern, "/") || strings.HasSuffix(pattern, ".py") {
		pm, err := patternmatcher.New([]string{strings.TrimSuffix(pattern, "/")})
		if err != nil {
			return false
		}
		ok, err := pm.MatchesOrParentMatches(f.Path)
		return err == nil && ok
	}
	for _, name := range []string{f.Name, FolderName(f)} {
		if ok, err := path.Match(pattern, name); err == nil && ok {
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
