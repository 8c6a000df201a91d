package discover

import (
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"prefectgen/diag"

	sitter "github.com/tree-sitter/go-tree-sitter"
	python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// flowDecorators are the fully qualified names of Prefect's flow decorator.
var flowDecorators = map[string]bool{"prefect.flow": true, "prefect.flows.flow": true}

// bannedNameChars are the characters Prefect refuses in a flow name
// (prefect/types/names.py BANNED_CHARACTERS).
const bannedNameChars = "/%&><"

// maxSyntaxErrors bounds the syntax errors reported for one file.
const maxSyntaxErrors = 10

// parsedFile is what one Python file contributes.
type parsedFile struct {
	rel      string
	flows    []FlowMetadata
	imports  []importRef
	problems []diag.ValidationError
	// defined are the file's module-level flows, kept even when the file
	// was parsed for its imports only: another file may copy one with
	// with_options.
	defined []FlowMetadata
	// names are the module-level bindings a string constant may come from,
	// for the files that import them.
	names map[string][]nameBind
	// factories are the module-level functions that return a flow they
	// define.
	factories map[string]bool
	// calls are module-level assignments from calls that only the other
	// files can tell about.
	calls []moduleCall
	// ignores are the inline ignores: line -> codes.
	ignores map[int][]string
}

// importRef is one imported module.
type importRef struct {
	module string   // dotted module, without the leading dots of a relative import
	level  int      // number of leading dots; 0 for an absolute import
	names  []string // the names of a from-import, which may be submodules
	line   int
	col    int
}

// binding records that a module-level name refers to a qualified name
// (import prefect as pf binds pf to prefect) from a byte offset on.
type binding struct {
	at  uint
	fqn string
}

// pyParser extracts flows and imports from Python source. It owns one
// tree-sitter parser and is not safe for concurrent use.
type pyParser struct {
	p *sitter.Parser
}

func newPyParser() *pyParser {
	p := sitter.NewParser()
	if err := p.SetLanguage(sitter.NewLanguage(python.Language())); err != nil {
		panic(fmt.Sprintf("discover: loading the Python grammar: %v", err))
	}
	return &pyParser{p: p}
}

func (pp *pyParser) Close() { pp.p.Close() }

// fileScan holds the state of one file's extraction.
type fileScan struct {
	src       []byte
	out       *parsedFile
	bindings  map[string][]binding
	cands     []candidate
	mainDepth int // > 0 under if __name__ == "__main__"
	// quiet is set for test files: their flows are not deployable and
	// report nothing.
	quiet bool
	// names are the module-level bindings string constants are read from.
	names map[string][]nameBind
	// rebinds are the byte offsets where each module-level name (and each
	// Class.name of a module-level class) is bound by a def, a class or
	// an assignment: a later one replaces a flow, as in Python.
	rebinds map[string][]uint
	// defs are the module-level function definitions, by name.
	defs map[string][]defRec
	// assigns are the module-level assignments whose value is a call.
	assigns []sitter.Node
	// fns are the functions enclosing the statement being walked.
	fns []fnFrame
}

// defRec is a module-level function definition.
type defRec struct {
	at   uint
	node sitter.Node // function_definition
}

// fnFrame is a function enclosing the statements being walked.
type fnFrame struct {
	node sitter.Node // function_definition
	name string
	top  bool // defined at module level
}

var mainGuard = regexp.MustCompile(`^\(?\s*(__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__)\s*\)?$`)

// candidate is a decorated definition found while walking, judged once
// every module-level import is known.
type candidate struct {
	node   sitter.Node // decorated_definition
	class  string      // enclosing class path, "" at module level
	nested bool        // inside a function
	main   bool        // under if __name__ == "__main__"
	encl   *fnFrame    // the innermost enclosing function, when nested
}

// parse extracts flows and imports from src, the content of the file at
// rel (a path relative to the repository root).
func (pp *pyParser) parse(rel string, src []byte) parsedFile {
	out := parsedFile{rel: rel}
	tree := pp.p.Parse(src, nil)
	if tree == nil {
		out.problems = append(out.problems, diag.New(diag.SyntaxError, diag.Pos{File: rel, Line: 1, Column: 1}, "the file could not be parsed"))
		return out
	}
	defer tree.Close()
	root := tree.RootNode()
	s := &fileScan{src: src, out: &out, bindings: map[string][]binding{}, names: map[string][]nameBind{},
		rebinds: map[string][]uint{}, defs: map[string][]defRec{}, quiet: isTestPath(rel)}
	out.ignores = inlineIgnores(src)
	if root.HasError() {
		s.syntaxErrors(*root)
	}
	s.block(*root, "", false)
	if root.HasError() {
		for _, t := range s.recover(pp, *root) {
			defer t.Close()
		}
	}
	seen := map[uint]bool{}
	for _, c := range s.cands {
		if !seen[c.node.StartByte()] {
			seen[c.node.StartByte()] = true
			s.judge(c)
		}
	}
	s.moduleAssignments()
	s.dropRedefined()
	out.names = s.names
	for _, f := range out.flows {
		if f.Deployable || f.NotDeployableReason == reasonTest {
			out.defined = append(out.defined, f)
		}
	}
	return out
}

// funcFlow describes the last module-level def of name in src as a flow
// of the function (x = flow(name) in another file).
func (pp *pyParser) funcFlow(rel string, src []byte, name string) (FlowMetadata, bool) {
	tree := pp.p.Parse(src, nil)
	if tree == nil {
		return FlowMetadata{}, false
	}
	defer tree.Close()
	s := &fileScan{src: src, out: &parsedFile{rel: rel}, names: map[string][]nameBind{}}
	root := tree.RootNode()
	var found *FlowMetadata
	for i := uint(0); i < root.NamedChildCount(); i++ {
		st := root.NamedChild(i)
		if st.Kind() == "decorated_definition" {
			st = st.ChildByFieldName("definition")
		}
		if st == nil || st.Kind() != "function_definition" {
			continue
		}
		if nm := st.ChildByFieldName("name"); nm != nil && s.text(*nm) == name {
			f := s.newFlow(*st)
			found = &f
		}
	}
	if found == nil {
		return FlowMetadata{}, false
	}
	return *found, true
}

// codeHash identifies a function's source, to tell copies of a flow from
// different flows that share a name.
func codeHash(src []byte) uint64 {
	h := fnv.New64a()
	h.Write(src)
	return h.Sum64()
}

// maxRecoveries bounds the extra parses of a file with syntax errors.
const maxRecoveries = 200

// recover finds definitions that tree-sitter's error recovery swallowed
// (an unclosed bracket can hide the rest of a file). Each module-level
// ERROR region is cut at the lines that start a decorator, def or class
// in column 0, and each piece is parsed on its own, in a copy of the
// source blanked outside it so that positions stay right. It returns the
// trees, which must stay open until the candidates are judged.
func (s *fileScan) recover(pp *pyParser, root sitter.Node) []*sitter.Tree {
	var trees []*sitter.Tree
	for i := uint(0); i < root.NamedChildCount() && len(trees) < maxRecoveries; i++ {
		ch := root.NamedChild(i)
		if !ch.IsError() {
			continue
		}
		start, end := ch.StartByte(), ch.EndByte()
		cuts := []uint{}
		for off := start; off < end; off++ {
			if off != 0 && s.src[off-1] != '\n' {
				continue
			}
			rest := s.src[off:end]
			if len(rest) > 0 && (rest[0] == '@' || hasWordPrefix(rest, "def") || hasWordPrefix(rest, "async") || hasWordPrefix(rest, "class")) {
				cuts = append(cuts, off)
			}
		}
		for j, from := range cuts {
			if len(trees) >= maxRecoveries {
				break
			}
			if j > 0 && s.src[cuts[j-1]] == '@' {
				continue // decorated by the line above: parsed with it
			}
			// The piece runs to the next cut that a decorator does not
			// lead into: decorators stay with their def.
			k := j + 1
			for k < len(cuts) && s.src[cuts[k-1]] == '@' {
				k++
			}
			to := end
			if k < len(cuts) {
				to = cuts[k]
			}
			blank := make([]byte, len(s.src))
			for b := range blank {
				if s.src[b] == '\n' || (uint(b) >= from && uint(b) < to) {
					blank[b] = s.src[b]
				} else {
					blank[b] = ' '
				}
			}
			t := pp.p.Parse(blank, nil)
			if t == nil {
				continue
			}
			trees = append(trees, t)
			s.block(*t.RootNode(), "", false)
		}
	}
	return trees
}

func hasWordPrefix(b []byte, w string) bool {
	return len(b) > len(w) && string(b[:len(w)]) == w && (b[len(w)] == ' ' || b[len(w)] == '\t')
}

func (s *fileScan) text(n sitter.Node) string { return string(s.src[n.StartByte():n.EndByte()]) }

// pos returns the 1-based line and byte column of n.
func pos(n sitter.Node) (int, int) {
	p := n.StartPosition()
	return int(p.Row) + 1, int(p.Column) + 1
}

// block walks the statements of a module, class or function body, or of a
// compound statement inside one. class is the enclosing class path and
// nested tells whether a function encloses the statements.
func (s *fileScan) block(n sitter.Node, class string, nested bool) {
	for i := uint(0); i < n.NamedChildCount(); i++ {
		st := n.NamedChild(i)
		switch st.Kind() {
		case "import_statement", "import_from_statement", "future_import_statement":
			s.importStmt(*st, !nested && class == "")
		case "decorated_definition":
			c := candidate{node: *st, class: class, nested: nested, main: s.mainDepth > 0}
			if len(s.fns) > 0 {
				fr := s.fns[len(s.fns)-1]
				c.encl = &fr
			}
			s.cands = append(s.cands, c)
			if def := st.ChildByFieldName("definition"); def != nil {
				s.definition(*def, class, nested, st.StartByte())
			}
		case "function_definition", "class_definition":
			s.definition(*st, class, nested, st.StartByte())
		case "expression_statement":
			if !nested && st.NamedChildCount() == 1 {
				s.assignment(*st.NamedChild(0), class)
			}
		case "if_statement":
			// Code under if __name__ == "__main__" does not run when
			// Prefect loads the file as a module: its flows cannot be
			// deployed.
			if cond := st.ChildByFieldName("condition"); cond != nil && mainGuard.MatchString(s.text(*cond)) {
				for j := uint(0); j < st.NamedChildCount(); j++ {
					ch := st.NamedChild(j)
					switch {
					case ch.Kind() == "block":
						s.mainDepth++
						s.block(*ch, class, true)
						s.mainDepth--
					case ch.Kind() == "elif_clause" || ch.Kind() == "else_clause":
						s.block(*ch, class, nested)
					}
				}
				continue
			}
			s.block(*st, class, nested)
		case "print_statement", "exec_statement": // Python 2
			l, c := pos(*st)
			s.out.problems = append(s.out.problems, diag.New(diag.SyntaxError, diag.Pos{File: s.out.rel, Line: l, Column: c},
				fmt.Sprintf("Missing parentheses in call to '%s' (Python 2 syntax)", strings.TrimSuffix(st.Kind(), "_statement"))))
		case "block", "elif_clause", "else_clause", "try_statement", "except_clause",
			"except_group_clause", "finally_clause", "with_statement", "for_statement", "while_statement",
			"match_statement", "case_clause", "ERROR":
			s.block(*st, class, nested)
		}
	}
}

// definition walks the body of a def or class statement that starts at
// byte offset at (its decorators included).
func (s *fileScan) definition(def sitter.Node, class string, nested bool, at uint) {
	name := ""
	if nm := def.ChildByFieldName("name"); nm != nil {
		name = s.text(*nm)
	}
	if !nested && name != "" {
		s.rebind(qualify(class, name), at)
		if class == "" && def.Kind() == "function_definition" {
			s.defs[name] = append(s.defs[name], defRec{at: at, node: def})
		}
	}
	body := def.ChildByFieldName("body")
	if body == nil {
		return
	}
	if def.Kind() == "class_definition" && !nested {
		s.block(*body, qualify(class, name), false)
		return
	}
	if def.Kind() == "function_definition" {
		s.fns = append(s.fns, fnFrame{node: def, name: name, top: !nested && class == ""})
		defer func() { s.fns = s.fns[:len(s.fns)-1] }()
	}
	s.block(*body, class, true)
}

func qualify(class, name string) string {
	if class == "" {
		return name
	}
	return class + "." + name
}

// rebind records that a module-level name (or Class.name) is bound at at.
func (s *fileScan) rebind(qual string, at uint) {
	s.rebinds[qual] = append(s.rebinds[qual], at)
}

// assignment records a module-level (or class-level) assignment: the
// names it binds, the string constants it defines, and, at module level,
// a call whose value may be a flow.
func (s *fileScan) assignment(a sitter.Node, class string) {
	switch a.Kind() {
	case "assignment":
	case "augmented_assignment":
		if l := a.ChildByFieldName("left"); l != nil && l.Kind() == "identifier" && class == "" {
			s.bindName(s.text(*l), a.StartByte(), nil, false)
		}
		return
	default:
		return
	}
	left, right := a.ChildByFieldName("left"), a.ChildByFieldName("right")
	if left == nil || right == nil {
		return // an annotation alone binds nothing
	}
	at := a.StartByte()
	var targets []string
	var collect func(n sitter.Node)
	collect = func(n sitter.Node) {
		switch n.Kind() {
		case "identifier":
			targets = append(targets, s.text(n))
		case "pattern_list", "tuple_pattern", "list_pattern":
			for i := uint(0); i < n.NamedChildCount(); i++ {
				collect(*n.NamedChild(i))
			}
		}
	}
	collect(*left)
	for _, t := range targets {
		s.rebind(qualify(class, t), at)
	}
	if class != "" {
		return
	}
	if len(targets) == 1 && left.Kind() == "identifier" {
		v, ok := s.strValue(*right, at, 0)
		s.bindName(targets[0], at, v, ok)
		if right.Kind() == "call" {
			s.assigns = append(s.assigns, a)
		}
		return
	}
	for _, t := range targets {
		s.bindName(t, at, nil, false)
	}
}

func (s *fileScan) importStmt(st sitter.Node, bind bool) {
	line, col := pos(st)
	switch st.Kind() {
	case "future_import_statement":
		s.out.imports = append(s.out.imports, importRef{module: "__future__", line: line, col: col})
	case "import_statement":
		for i := uint(0); i < st.NamedChildCount(); i++ {
			ch := st.NamedChild(i)
			mod, alias := "", ""
			switch ch.Kind() {
			case "dotted_name":
				mod = s.text(*ch)
			case "aliased_import":
				if nm := ch.ChildByFieldName("name"); nm != nil {
					mod = s.text(*nm)
				}
				if al := ch.ChildByFieldName("alias"); al != nil {
					alias = s.text(*al)
				}
			default:
				continue
			}
			mod = compactDots(mod)
			s.out.imports = append(s.out.imports, importRef{module: mod, line: line, col: col})
			if !bind || mod == "" {
				continue
			}
			if alias != "" {
				s.bind(alias, st.StartByte(), mod)
				s.bindName(alias, st.StartByte(), nil, false)
			} else {
				top, _, _ := strings.Cut(mod, ".")
				s.bind(top, st.StartByte(), top)
				s.bindName(top, st.StartByte(), nil, false)
			}
		}
	case "import_from_statement":
		ref := importRef{line: line, col: col}
		modNode := st.ChildByFieldName("module_name")
		if modNode == nil {
			return
		}
		if modNode.Kind() == "relative_import" {
			t := s.text(*modNode)
			ref.level = len(t) - len(strings.TrimLeft(t, "."))
			ref.module = compactDots(t[ref.level:])
		} else {
			ref.module = compactDots(s.text(*modNode))
		}
		star := false
		for i := uint(0); i < st.NamedChildCount(); i++ {
			ch := st.NamedChild(i)
			if ch.Equals(*modNode) {
				continue
			}
			name, alias := "", ""
			switch ch.Kind() {
			case "dotted_name":
				name = s.text(*ch)
			case "aliased_import":
				if nm := ch.ChildByFieldName("name"); nm != nil {
					name = s.text(*nm)
				}
				if al := ch.ChildByFieldName("alias"); al != nil {
					alias = s.text(*al)
				}
			case "wildcard_import":
				star = true
				continue
			default:
				continue
			}
			name = compactDots(name)
			ref.names = append(ref.names, name)
			if bind && ref.level == 0 {
				if alias == "" {
					alias = name
				}
				s.bind(alias, st.StartByte(), ref.module+"."+name)
			} else if bind {
				if alias == "" {
					alias = name
				}
				s.bind(alias, st.StartByte(), strings.Repeat(".", ref.level)+ref.module+"."+name)
			}
			if bind {
				s.bindName(alias, st.StartByte(), strExpr{{ref: &constRef{module: ref.module, level: ref.level, name: name}}}, true)
			}
		}
		if star && bind && ref.level == 0 && (ref.module == "prefect" || ref.module == "prefect.flows") {
			s.bind("flow", st.StartByte(), ref.module+".flow")
		}
		s.out.imports = append(s.out.imports, ref)
	}
}

// compactDots removes the spaces a dotted name may contain (a . b).
func compactDots(s string) string {
	if !strings.ContainsAny(s, " \t\\\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\\' || r == '\n' || r == '\r' }), "")
}

func (s *fileScan) bind(name string, at uint, fqn string) {
	s.bindings[name] = append(s.bindings[name], binding{at: at, fqn: fqn})
}

// resolve returns the qualified name a module-level name refers to at
// byte offset at: the last binding before it, else the first after it.
func (s *fileScan) resolve(name string, at uint) string {
	bs := s.bindings[name]
	fqn := ""
	for _, b := range bs {
		if b.at < at {
			fqn = b.fqn
		}
	}
	if fqn == "" && len(bs) > 0 {
		fqn = bs[0].fqn
	}
	return fqn
}

// dotted returns the components of a name or attribute chain, or nil.
func (s *fileScan) dotted(n sitter.Node) []string {
	switch n.Kind() {
	case "identifier":
		return []string{s.text(n)}
	case "attribute":
		obj, attr := n.ChildByFieldName("object"), n.ChildByFieldName("attribute")
		if obj == nil || attr == nil {
			return nil
		}
		head := s.dotted(*obj)
		if head == nil {
			return nil
		}
		return append(head, s.text(*attr))
	}
	return nil
}

// isFlowDecorator reports whether expr names Prefect's flow decorator.
func (s *fileScan) isFlowDecorator(expr sitter.Node) bool {
	parts := s.dotted(expr)
	if parts == nil {
		return false
	}
	fqn := s.resolve(parts[0], expr.StartByte())
	if fqn == "" {
		return false
	}
	return flowDecorators[strings.Join(append([]string{fqn}, parts[1:]...), ".")]
}

// Reasons a flow is not deployable (FlowMetadata.NotDeployableReason).
const (
	reasonNested   = "nested"
	reasonMain     = "main"
	reasonInstance = "instance_method"
	reasonFactory  = "factory"
	reasonTest     = "test"
)

// judge decides whether a decorated definition is a flow and records it.
func (s *fileScan) judge(c candidate) {
	dd := c.node
	def := dd.ChildByFieldName("definition")
	if def == nil || def.Kind() != "function_definition" {
		return
	}
	var call *sitter.Node
	found, static, classm := false, false, false
	for i := uint(0); i < dd.NamedChildCount(); i++ {
		dec := dd.NamedChild(i)
		if dec.Kind() != "decorator" || dec.NamedChildCount() == 0 {
			continue
		}
		expr := dec.NamedChild(0)
		switch s.text(*expr) {
		case "staticmethod":
			static = true
			continue
		case "classmethod":
			classm = true
			continue
		}
		if found {
			continue
		}
		if expr.Kind() == "call" {
			fn := expr.ChildByFieldName("function")
			if fn != nil && s.isFlowDecorator(*fn) {
				found = true
				call = expr
			}
		} else if s.isFlowDecorator(*expr) {
			found = true
		}
	}
	if !found {
		return
	}
	s.flow(c, *def, call, static, classm)
}

// flowProblem records a problem of the flow f; a test file's flows report
// nothing.
func (s *fileScan) flowProblem(f *FlowMetadata, p diag.ValidationError) {
	if s.quiet {
		return
	}
	f.problems = append(f.problems, p)
	s.out.problems = append(s.out.problems, p)
}

// newFlow describes the function def as a flow with Prefect's default
// name; the caller sets where it is deployed from.
func (s *fileScan) newFlow(def sitter.Node) FlowMetadata {
	fnName := ""
	if nm := def.ChildByFieldName("name"); nm != nil {
		fnName = s.text(*nm)
	}
	line, col := pos(def)
	f := FlowMetadata{
		Name:         strings.ReplaceAll(fnName, "_", "-"),
		FunctionName: fnName,
		Path:         s.out.rel,
		Line:         line,
		Column:       col,
		Async:        def.ChildCount() > 0 && def.Child(0).Kind() == "async",
		Deployable:   true,
		Decorator:    map[string]Argument{},
		at:           def.StartByte(),
		origin:       fmt.Sprintf("%s:%d", s.out.rel, line),
		code:         codeHash(s.src[def.StartByte():def.EndByte()]),
	}
	if params := def.ChildByFieldName("parameters"); params != nil {
		f.Parameters = s.parameters(*params)
	}
	if f.Parameters == nil {
		f.Parameters = []Parameter{}
	}
	if body := def.ChildByFieldName("body"); body != nil {
		f.Docstring = s.docstring(*body)
		f.calls = s.callsIn(*body)
	}
	return f
}

func (s *fileScan) flow(c candidate, def sitter.Node, call *sitter.Node, static, classm bool) {
	rel := s.out.rel
	f := s.newFlow(def)
	fnName := f.FunctionName
	line, col := f.Line, f.Column
	if c.class != "" && !c.nested {
		f.FunctionName = c.class + "." + fnName
	}
	if call != nil {
		if args := call.ChildByFieldName("arguments"); args != nil {
			s.flowArgs(&f, *args)
		}
	}
	switch {
	case s.quiet:
		f.Deployable, f.NotDeployableReason = false, reasonTest
	case c.main:
		f.Deployable, f.NotDeployableReason = false, reasonMain
		s.flowProblem(&f, diag.New(diag.NestedFlow, diag.Pos{File: rel, Line: line, Column: col},
			fmt.Sprintf("flow %q is defined under if __name__ == \"__main__\", which does not run when Prefect loads the file; it cannot be deployed", f.Name)))
	case c.nested && c.encl != nil && returnsName(c.encl.node, fnName, s):
		// A flow factory: the function makes the flow and returns it. The
		// flow is deployed, if at all, through the variable a module-level
		// call assigns it to.
		f.Deployable, f.NotDeployableReason = false, reasonFactory
		if c.encl.top {
			s.factories()[c.encl.name] = true
		}
	case c.nested:
		f.Deployable, f.NotDeployableReason = false, reasonNested
		s.flowProblem(&f, diag.New(diag.NestedFlow, diag.Pos{File: rel, Line: line, Column: col},
			fmt.Sprintf("flow %q is defined inside a function and cannot be deployed", f.Name)))
	case c.class != "" && !static && !classm:
		f.Deployable, f.NotDeployableReason = false, reasonInstance
		s.flowProblem(&f, diag.New(diag.InstanceMethodFlow, diag.Pos{File: rel, Line: line, Column: col},
			fmt.Sprintf("flow %q is an instance method of %s and cannot be deployed from an entrypoint", f.Name, c.class)))
	}
	if c.class != "" && !static && len(f.Parameters) > 0 {
		f.Parameters = f.Parameters[1:] // self or cls
	}
	s.finishFlow(&f)
}

// factories returns the file's set of flow factories.
func (s *fileScan) factories() map[string]bool {
	if s.out.factories == nil {
		s.out.factories = map[string]bool{}
	}
	return s.out.factories
}

// finishFlow sets what follows from the decorator arguments, reports the
// problems of the flow's options and records it.
func (s *fileScan) finishFlow(f *FlowMetadata) {
	rel := s.out.rel
	if d, ok := f.Decorator["description"]; ok && d.Literal {
		if str, ok := d.Value.(string); ok {
			f.Description = str
		}
	} else {
		f.Description = f.Docstring
	}
	if v, ok := f.Decorator["version"]; ok && v.Literal {
		f.Version = fmt.Sprint(v.Value)
	}
	if f.Deployable {
		for _, k := range []string{"description", "version"} {
			if a, ok := f.Decorator[k]; ok && !a.Literal {
				s.flowProblem(f, diag.New(diag.NonLiteralFlowOption, diag.Pos{File: rel, Line: f.Line, Column: f.Column},
					fmt.Sprintf("%s= of flow %q is not a literal (%s)", k, f.Name, a.Text)))
			}
		}
		if f.nameUnknown != "" {
			s.flowProblem(f, diag.New(diag.NonLiteralFlowName, f.namePos, f.nameUnknown))
		}
	}
	if f.nameExpr == nil && f.nameUnknown == "" && f.Deployable {
		s.checkName(f)
	}
	s.out.flows = append(s.out.flows, *f)
}

// checkName reports a name Prefect would refuse.
func (s *fileScan) checkName(f *FlowMetadata) {
	if p, bad := invalidName(f); bad {
		s.flowProblem(f, p)
	}
}

// invalidName returns the problem of a name Prefect would refuse.
func invalidName(f *FlowMetadata) (diag.ValidationError, bool) {
	if f.Name != "" && !strings.ContainsAny(f.Name, bannedNameChars) {
		return diag.ValidationError{}, false
	}
	p := f.namePos
	if p.File == "" {
		p = diag.Pos{File: f.Path, Line: f.Line, Column: f.Column}
	}
	return diag.New(diag.InvalidFlowName, p,
		fmt.Sprintf("flow name %q contains a character Prefect rejects (/ %% & > <) or is empty", f.Name)), true
}

// flowArgs records the keyword arguments of @flow(...), flow(fn, ...) or
// with_options(...) (args, an argument_list; positional arguments are
// not options) and sets the flow's name from name=: now
// when it is known, later (nameExpr) when it reads another module's
// constant, or never (nameUnknown says why).
func (s *fileScan) flowArgs(f *FlowMetadata, args sitter.Node) {
	for i := uint(0); i < args.NamedChildCount(); i++ {
		a := args.NamedChild(i)
		switch a.Kind() {
		case "keyword_argument":
			k, v := a.ChildByFieldName("name"), a.ChildByFieldName("value")
			if k == nil || v == nil {
				continue
			}
			key := s.text(*k)
			val, ok := s.literal(*v)
			arg := Argument{Text: s.text(*v), Value: val, Literal: ok}
			if key != "name" {
				f.Decorator[key] = arg
				continue
			}
			l, c := pos(*v)
			f.namePos = diag.Pos{File: s.out.rel, Line: l, Column: c}
			f.nameExpr, f.nameUnknown = nil, ""
			expr, known := s.strValue(*v, v.StartByte(), 0)
			switch str, lit := expr.literal(); {
			case known && lit:
				f.Name = str
				arg.Value = str
				arg.Literal = arg.Literal || v.Kind() == "string" || v.Kind() == "concatenated_string"
			case known:
				f.nameExpr = expr
			default:
				f.nameUnknown = fmt.Sprintf("the name of flow %s is not a string prefectgen can know without running the code (%s)", f.FunctionName, s.text(*v))
			}
			f.Decorator[key] = arg
		case "dictionary_splat":
			if _, named := f.Decorator["name"]; !named {
				l, c := pos(*a)
				f.namePos = diag.Pos{File: s.out.rel, Line: l, Column: c}
				f.nameUnknown = fmt.Sprintf("the name of flow %s may be set by %s, which is not a literal", f.FunctionName, s.text(*a))
			}
		}
	}
}

// returnsName reports whether the function def returns the value of the
// name (return name), outside the functions and classes it defines.
func returnsName(def sitter.Node, name string, s *fileScan) bool {
	body := def.ChildByFieldName("body")
	if body == nil {
		return false
	}
	var walk func(n sitter.Node) bool
	walk = func(n sitter.Node) bool {
		for i := uint(0); i < n.NamedChildCount(); i++ {
			ch := n.NamedChild(i)
			switch ch.Kind() {
			case "function_definition", "class_definition", "decorated_definition", "lambda":
				continue
			case "return_statement":
				if ch.NamedChildCount() == 1 && ch.NamedChild(0).Kind() == "identifier" && s.text(*ch.NamedChild(0)) == name {
					return true
				}
				continue
			}
			if walk(*ch) {
				return true
			}
		}
		return false
	}
	return walk(*body)
}

// dropRedefined removes the flows whose name a later module-level
// statement binds again: Python keeps the last binding, so a def
// redefined in the same file is one flow, the last.
func (s *fileScan) dropRedefined() {
	s.out.flows = slices.DeleteFunc(s.out.flows, func(f FlowMetadata) bool {
		if f.NotDeployableReason == reasonNested || f.NotDeployableReason == reasonFactory || f.NotDeployableReason == reasonMain {
			return false
		}
		for _, at := range s.rebinds[f.FunctionName] {
			if at > f.at {
				return true
			}
		}
		return false
	})
}

func (s *fileScan) docstring(body sitter.Node) string {
	if body.NamedChildCount() == 0 {
		return ""
	}
	first := body.NamedChild(0)
	if first.Kind() != "expression_statement" || first.NamedChildCount() != 1 {
		return ""
	}
	v, ok := s.literal(*first.NamedChild(0))
	if str, isStr := v.(string); ok && isStr {
		return cleandoc(str)
	}
	return ""
}

func (s *fileScan) parameters(n sitter.Node) []Parameter {
	var ps []Parameter
	kind := "positional_or_keyword"
	for i := uint(0); i < n.NamedChildCount(); i++ {
		ch := n.NamedChild(i)
		p := Parameter{Kind: kind}
		switch ch.Kind() {
		case "identifier":
			p.Name = s.text(*ch)
		case "default_parameter", "typed_default_parameter":
			if nm := ch.ChildByFieldName("name"); nm != nil {
				p.Name = s.text(*nm)
			}
			if t := ch.ChildByFieldName("type"); t != nil {
				p.Annotation = s.text(*t)
			}
			if v := ch.ChildByFieldName("value"); v != nil {
				p.Default = s.text(*v)
			}
		case "typed_parameter":
			if t := ch.ChildByFieldName("type"); t != nil {
				p.Annotation = s.text(*t)
			}
			if ch.NamedChildCount() > 0 {
				inner := ch.NamedChild(0)
				switch inner.Kind() {
				case "list_splat_pattern":
					p.Kind, kind = "var_positional", "keyword_only"
				case "dictionary_splat_pattern":
					p.Kind = "var_keyword"
				}
				p.Name = strings.TrimLeft(s.text(*inner), "*")
			}
		case "list_splat_pattern":
			p.Name = strings.TrimLeft(s.text(*ch), "*")
			p.Kind, kind = "var_positional", "keyword_only"
		case "dictionary_splat_pattern":
			p.Name = strings.TrimLeft(s.text(*ch), "*")
			p.Kind = "var_keyword"
		case "keyword_separator":
			kind = "keyword_only"
			continue
		case "positional_separator":
			for j := range ps {
				ps[j].Kind = "positional_only"
			}
			continue
		default:
			continue
		}
		p.Name = strings.TrimSpace(p.Name)
		p.Required = p.Default == "" && p.Kind != "var_positional" && p.Kind != "var_keyword"
		ps = append(ps, p)
	}
	return ps
}

// literal evaluates a Python literal expression: strings (implicitly
// concatenated too), numbers, True, False, None, and lists, tuples, sets
// and dicts of literals. ok is false for anything else.
func (s *fileScan) literal(n sitter.Node) (any, bool) {
	switch n.Kind() {
	case "string":
		return decodeString(s.text(n))
	case "concatenated_string":
		var b strings.Builder
		for i := uint(0); i < n.NamedChildCount(); i++ {
			part, ok := s.literal(*n.NamedChild(i))
			str, isStr := part.(string)
			if !ok || !isStr {
				return nil, false
			}
			b.WriteString(str)
		}
		return b.String(), true
	case "integer":
		t := strings.ReplaceAll(strings.ToLower(s.text(n)), "_", "")
		if len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' { // Go reads 017 as octal; Python only allows zeros
			if strings.Trim(t, "0") != "" {
				return nil, false
			}
			return int64(0), true
		}
		if v, err := strconv.ParseInt(t, 0, 64); err == nil {
			return v, true
		}
		return nil, false
	case "float":
		t := strings.ReplaceAll(s.text(n), "_", "")
		if v, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(v, 0) {
			return v, true
		}
		return nil, false
	case "true":
		return true, true
	case "false":
		return false, true
	case "none":
		return nil, true
	case "parenthesized_expression":
		if n.NamedChildCount() == 1 {
			return s.literal(*n.NamedChild(0))
		}
	case "unary_operator":
		arg := n.ChildByFieldName("argument")
		op := n.ChildByFieldName("operator")
		if arg == nil || op == nil {
			return nil, false
		}
		v, ok := s.literal(*arg)
		if !ok {
			return nil, false
		}
		switch x := v.(type) {
		case int64:
			if s.text(*op) == "-" {
				return -x, true
			}
			return x, s.text(*op) == "+"
		case float64:
			if s.text(*op) == "-" {
				return -x, true
			}
			return x, s.text(*op) == "+"
		}
	case "list", "tuple", "set":
		vs := []any{}
		for i := uint(0); i < n.NamedChildCount(); i++ {
			ch := n.NamedChild(i)
			if ch.Kind() == "comment" {
				continue
			}
			v, ok := s.literal(*ch)
			if !ok {
				return nil, false
			}
			vs = append(vs, v)
		}
		return vs, true
	case "dictionary":
		m := map[string]any{}
		for i := uint(0); i < n.NamedChildCount(); i++ {
			ch := n.NamedChild(i)
			if ch.Kind() == "comment" {
				continue
			}
			if ch.Kind() != "pair" {
				return nil, false
			}
			k, v := ch.ChildByFieldName("key"), ch.ChildByFieldName("value")
			if k == nil || v == nil {
				return nil, false
			}
			kv, ok1 := s.literal(*k)
			vv, ok2 := s.literal(*v)
			ks, isStr := kv.(string)
			if !ok1 || !ok2 || !isStr {
				return nil, false
			}
			m[ks] = vv
		}
		return m, true
	}
	return nil, false
}
