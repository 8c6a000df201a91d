package discover

import (
	"fmt"
	"maps"
	"strings"

	"prefectgen/diag"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Flows made by a call at module level, which Prefect deploys by the
// variable's entrypoint (file.py:variable):
//
//	x = flow(fn, name="...")          call form, fn a def of the file
//	x = flow(name="...")(fn)          the decorator called by hand
//	x = some_flow.with_options(...)   a copy of a flow with other options
//	x = make_flow(...)                a factory: a note, the flow is unknown
//
// What one file cannot judge (a flow or function imported from another
// module) is kept as a moduleCall and settled once every file is parsed.

// moduleCall is a module-level x = callee(...) whose callee starts with a
// name imported from another module.
type moduleCall struct {
	kind     callKind
	variable string
	pos      diag.Pos
	at       uint
	callee   string   // as written
	ref      constRef // where the callee's first name comes from
	flowish  bool     // the callee is named like a flow factory
	// opts holds the keyword arguments of with_options(...) or of
	// flow(fn, ...).
	opts FlowMetadata
}

type callKind int

const (
	callWithOptions callKind = iota // imported_flow.with_options(...)
	callFlowOf                      // flow(imported_fn, ...)
	callFactory                     // imported_factory(...)
)

// flowClasses are Prefect's Flow class, whose constructor is the call form
// too: Flow(fn, name=...).
var flowClasses = map[string]bool{"prefect.Flow": true, "prefect.flows.Flow": true}

// notFactoryVerbs start the names of functions that use a flow rather
// than make one (run_flow, serve_flow...).
var notFactoryVerbs = []string{"run", "trigger", "start", "wait", "submit", "call", "execute", "deploy", "serve",
	"get", "fetch", "load", "check", "validate", "test", "schedule", "cancel", "delete", "pause", "resume", "retry",
	"register", "update", "read", "list", "is", "has", "log", "print", "show", "notify", "send"}

// flowishName reports whether a callee's last component reads like a flow
// factory: flow, make_flow, dbt_flow, flow_factory.
func flowishName(callee string) bool {
	last := strings.ToLower(callee[strings.LastIndex(callee, ".")+1:])
	if last == "build_from_flow" || last == "from_flow" {
		return false // Prefect 2's Deployment.build_from_flow makes a deployment
	}
	if last != "flow" && !strings.HasSuffix(last, "_flow") && !strings.HasPrefix(last, "flow_") {
		return false
	}
	verb, _, _ := strings.Cut(last, "_")
	for _, v := range notFactoryVerbs {
		if verb == v {
			return false
		}
	}
	return true
}

// moduleAssignments judges the module-level assignments from calls, in
// source order, once the decorated flows are known.
func (s *fileScan) moduleAssignments() {
	seen := map[uint]bool{}
	for _, a := range s.assigns {
		if seen[a.StartByte()] {
			continue
		}
		seen[a.StartByte()] = true
		left, right := a.ChildByFieldName("left"), a.ChildByFieldName("right")
		fn, args := right.ChildByFieldName("function"), right.ChildByFieldName("arguments")
		if fn == nil || args == nil || args.Kind() != "argument_list" {
			continue
		}
		l, c := pos(*left)
		call := moduleCall{variable: s.text(*left), pos: diag.Pos{File: s.out.rel, Line: l, Column: c}, at: a.StartByte(), callee: s.text(*fn)}
		optsArgs := *args
		target := firstPositional(*args)
		if fn.Kind() == "call" { // flow(name=...)(fn)
			inner, innerArgs := fn.ChildByFieldName("function"), fn.ChildByFieldName("arguments")
			if inner == nil || innerArgs == nil || !s.isFlowDecorator(*inner) {
				continue
			}
			optsArgs = *innerArgs
			s.callForm(call, target, optsArgs)
			continue
		}
		if s.isFlowDecorator(*fn) || s.isFlowClass(*fn) {
			s.callForm(call, target, optsArgs)
			continue
		}
		parts := s.dotted(*fn)
		if parts == nil {
			continue
		}
		if parts[len(parts)-1] == "with_options" && len(parts) == 2 {
			s.withOptions(call, parts[0], optsArgs)
			continue
		}
		s.factoryCall(call, parts)
	}
}

// firstPositional returns the first positional argument of a call.
func firstPositional(args sitter.Node) *sitter.Node {
	for i := uint(0); i < args.NamedChildCount(); i++ {
		a := args.NamedChild(i)
		switch a.Kind() {
		case "keyword_argument", "dictionary_splat", "list_splat", "comment":
			continue
		}
		return a
	}
	return nil
}

// isFlowClass reports whether expr names Prefect's Flow class.
func (s *fileScan) isFlowClass(expr sitter.Node) bool {
	parts := s.dotted(expr)
	if parts == nil {
		return false
	}
	fqn := s.resolve(parts[0], expr.StartByte())
	return fqn != "" && flowClasses[strings.Join(append([]string{fqn}, parts[1:]...), ".")]
}

// lastDef returns the module-level def of name in force at byte offset at.
func (s *fileScan) lastDef(name string, at uint) (sitter.Node, bool) {
	var found sitter.Node
	ok := false
	for _, d := range s.defs[name] {
		if d.at < at {
			found, ok = d.node, true
		}
	}
	return found, ok
}

// lastFlow returns the flow of the file bound to name (a decorated def or
// an earlier call-form flow) in force at byte offset at.
func (s *fileScan) lastFlow(name string, at uint) (FlowMetadata, bool) {
	var found FlowMetadata
	ok := false
	for _, f := range s.out.flows {
		if f.FunctionName == name && f.at < at && (f.Deployable || f.NotDeployableReason == reasonTest) {
			found, ok = f, true
		}
	}
	return found, ok
}

// importedRef returns where a module-level name imported with from ...
// import comes from, as bound at byte offset at.
func (s *fileScan) importedRef(name string, at uint) (constRef, bool) {
	v, ok := s.lookupName(name, at)
	if !ok || len(v) != 1 || v[0].ref == nil {
		return constRef{}, false
	}
	return *v[0].ref, true
}

// placeFlow makes f the flow of the assignment call: deployed by its
// variable, positioned at it.
func (s *fileScan) placeFlow(f *FlowMetadata, call moduleCall) {
	f.FunctionName = call.variable
	f.Line, f.Column, f.at = call.pos.Line, call.pos.Column, call.at
	f.Deployable, f.NotDeployableReason = true, ""
	if s.quiet {
		f.Deployable, f.NotDeployableReason = false, reasonTest
	}
}

// callForm records x = flow(fn, ...): a flow of the def fn, named after it
// unless name= says otherwise.
func (s *fileScan) callForm(call moduleCall, target *sitter.Node, opts sitter.Node) {
	if target == nil || target.Kind() != "identifier" {
		return
	}
	name := s.text(*target)
	if def, ok := s.lastDef(name, call.at); ok {
		f := s.newFlow(def)
		s.placeFlow(&f, call)
		s.flowArgs(&f, opts)
		s.finishFlow(&f)
		return
	}
	if ref, ok := s.importedRef(name, call.at); ok {
		call.kind, call.ref = callFlowOf, ref
		call.opts = FlowMetadata{Decorator: map[string]Argument{}, FunctionName: call.variable}
		s.flowArgs(&call.opts, opts)
		s.out.calls = append(s.out.calls, call)
	}
}

// withOptions records x = base.with_options(...): a copy of the flow base
// with the options given.
func (s *fileScan) withOptions(call moduleCall, base string, opts sitter.Node) {
	if f, ok := s.lastFlow(base, call.at); ok {
		f.Decorator = maps.Clone(f.Decorator)
		f.problems = nil
		s.placeFlow(&f, call)
		s.flowArgs(&f, opts)
		s.finishFlow(&f)
		return
	}
	if ref, ok := s.importedRef(base, call.at); ok {
		call.kind, call.ref = callWithOptions, ref
		call.flowish = flowishName(base)
		call.opts = FlowMetadata{Decorator: map[string]Argument{}, FunctionName: call.variable}
		s.flowArgs(&call.opts, opts)
		s.out.calls = append(s.out.calls, call)
	}
}

// factoryCall records x = make_flow(...): a note when the callee is a
// function of the file that returns a flow it defines, or is named like a
// flow factory; judged later when the callee is imported.
func (s *fileScan) factoryCall(call moduleCall, parts []string) {
	if len(parts) == 1 {
		if _, isFlow := s.lastFlow(parts[0], call.at); isFlow {
			return // running a flow at import, not making one
		}
		if _, isDef := s.lastDef(parts[0], call.at); isDef {
			if s.out.factories[parts[0]] {
				s.factoryNote(call, "returns a flow it defines")
			}
			return
		}
	}
	if fqn := s.resolve(parts[0], call.at); fqn == "prefect" || strings.HasPrefix(fqn, "prefect.") {
		return // Prefect's own API: run_deployment, Deployment.build_from_flow...
	}
	call.flowish = flowishName(call.callee)
	if ref, ok := s.importedRef(parts[0], call.at); ok {
		call.kind, call.ref = callFactory, ref
		if len(parts) > 1 { // from pkg import mod; mod.make_flow(...)
			call.ref = constRef{module: joinModule(ref.module, ref.name), level: ref.level, name: parts[1]}
		}
		s.out.calls = append(s.out.calls, call)
		return
	}
	if call.flowish {
		s.factoryNote(call, "by its name")
	}
}

func joinModule(module, name string) string {
	if module == "" {
		return name
	}
	return module + "." + name
}

// factoryNote notes a module-level call that may make a flow prefectgen
// cannot know.
func (s *fileScan) factoryNote(call moduleCall, why string) {
	if s.quiet {
		return
	}
	s.out.problems = append(s.out.problems, factoryNote(call, why))
}

func factoryNote(call moduleCall, why string) diag.ValidationError {
	return diag.New(diag.FlowFactory, call.pos,
		fmt.Sprintf("%s = %s(...) may make a flow (%s); prefectgen cannot know its name or parameters without running the code, so it is not deployed", call.variable, call.callee, why))
}
