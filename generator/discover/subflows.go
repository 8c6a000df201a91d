package discover

import (
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// maxCalls bounds the calls recorded for one flow.
const maxCalls = 2000

// callRef is a call in a flow's body: the called name as written (child,
// mod.child, child.submit) and what its first part is bound to by an
// import, "" for a name of the file itself.
type callRef struct {
	parts []string
	fqn   string // with the leading dots of a relative import
}

// callsIn returns the distinct calls of named callees in a function body,
// nested functions and lambdas included.
func (s *fileScan) callsIn(body sitter.Node) []callRef {
	var out []callRef
	seen := map[string]bool{}
	stack := []sitter.Node{body}
	for len(stack) > 0 && len(out) < maxCalls {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind() == "call" {
			if fn := n.ChildByFieldName("function"); fn != nil {
				if parts := s.dotted(*fn); parts != nil {
					if key := strings.Join(parts, "."); !seen[key] {
						seen[key] = true
						out = append(out, callRef{parts: parts, fqn: s.resolve(parts[0], n.StartByte())})
					}
				}
			}
		}
		for i := n.NamedChildCount(); i > 0; i-- {
			stack = append(stack, *n.NamedChild(i - 1))
		}
	}
	return out
}

// linkSubflows records, on every flow, the deployable flows that call it:
// by a name of its own file, or one imported from a repository module
// (from flows.sub import child; import flows.sub as s; s.child.submit()).
func (d *discovery) linkSubflows(flows []FlowMetadata) {
	byDef := map[string][]int{}
	for i, f := range flows {
		byDef[f.Path+"\x00"+f.FunctionName] = append(byDef[f.Path+"\x00"+f.FunctionName], i)
	}
	// callees are the flows defined in file by the leading parts of names.
	callees := func(file string, names []string) []int {
		for k := len(names); k > 0; k-- {
			if is := byDef[file+"\x00"+strings.Join(names[:k], ".")]; len(is) > 0 {
				return is
			}
		}
		return nil
	}
	for ci := range flows {
		caller := &flows[ci]
		if !caller.Deployable {
			continue
		}
		for _, c := range caller.calls {
			for _, i := range d.callTargets(caller.Path, c, callees) {
				if i != ci && !slices.Contains(flows[i].CalledBy, caller.Name) {
					flows[i].CalledBy = append(flows[i].CalledBy, caller.Name)
				}
			}
		}
	}
	for i := range flows {
		slices.Sort(flows[i].CalledBy)
		if flows[i].CalledBy == nil {
			flows[i].CalledBy = []string{}
		}
	}
}

// callTargets returns the flows one call of a flow in file from reaches.
func (d *discovery) callTargets(from string, c callRef, callees func(string, []string) []int) []int {
	if c.fqn == "" {
		return callees(from, c.parts)
	}
	mod := strings.TrimLeft(c.fqn, ".")
	level := len(c.fqn) - len(mod)
	full := append(strings.Split(mod, "."), c.parts[1:]...)
	for i := len(full) - 1; i >= 1; i-- {
		file, name, ok := d.follow(from, constRef{module: strings.Join(full[:i], "."), level: level, name: full[i]})
		if !ok || file == "" {
			continue
		}
		if name == "" { // a submodule: the function is the next part
			return callees(file, full[i+1:])
		}
		return callees(file, append([]string{name}, full[i+1:]...))
	}
	return nil
}
