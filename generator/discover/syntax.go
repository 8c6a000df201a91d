package discover

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"prefectgen/diag"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Syntax errors are reported where Python reports them, as far as
// tree-sitter's error recovery lets one tell: an ERROR node spans what the
// parser could not fit, often from well before the mistake (the first
// statement of the file, when a template placeholder breaks a def much
// later). Within it, the mistake is found the way CPython's parser meets
// it: past the statements that are complete, at a bracket never closed or
// never opened, at the first token a def, class or compound statement's
// header cannot take, or at a line break inside an expression.

// statementKinds are the complete statements an ERROR node may hold
// before the mistake.
var statementKinds = map[string]bool{
	"expression_statement": true, "import_statement": true, "import_from_statement": true,
	"future_import_statement": true, "assert_statement": true, "return_statement": true,
	"delete_statement": true, "raise_statement": true, "pass_statement": true, "break_statement": true,
	"continue_statement": true, "global_statement": true, "nonlocal_statement": true,
	"type_alias_statement": true, "if_statement": true, "for_statement": true, "while_statement": true,
	"try_statement": true, "with_statement": true, "function_definition": true, "class_definition": true,
	"decorated_definition": true, "match_statement": true, "comment": true,
}

// operatorTokens cannot start a statement or an expression.
var operatorTokens = map[string]bool{"@": true, "=": true, ":": true, ",": true, ".": true, "->": true, "**": true,
	"/": true, "//": true, "%": true, "|": true, "&": true, "^": true, "<<": true, ">>": true, "==": true, "!=": true,
	"<": true, ">": true, "<=": true, ">=": true, "+=": true, "-=": true, "*=": true, "/=": true, ":=": true, ";": true}

// headerKeywords start compound statements whose header ends with ':'.
var headerKeywords = map[string]bool{"if": true, "elif": true, "while": true, "for": true, "with": true,
	"except": true, "else": true, "try": true, "finally": true, "match": true, "case": true}

func (s *fileScan) syntaxErrors(n sitter.Node) {
	var errs []diag.ValidationError
	add := func(l, c int, msg string) {
		if len(errs) == 0 || errs[len(errs)-1].Line != l {
			errs = append(errs, diag.New(diag.SyntaxError, diag.Pos{File: s.out.rel, Line: l, Column: c}, msg))
		}
	}
	var walk func(n sitter.Node)
	walk = func(n sitter.Node) {
		if len(errs) >= maxSyntaxErrors {
			return
		}
		if n.IsMissing() {
			l, c := pos(n)
			add(l, c, fmt.Sprintf("invalid syntax: missing %q", n.Kind()))
			return
		}
		if n.IsError() {
			if inner, ok := s.errorAt(n, walk); ok {
				add(inner.line, inner.col, inner.msg)
			}
			return
		}
		for i := uint(0); i < n.ChildCount(); i++ {
			if ch := n.Child(i); ch.HasError() {
				walk(*ch)
			}
		}
	}
	walk(n)
	if len(errs) == 0 { // HasError without an ERROR or MISSING node: report the root
		errs = append(errs, diag.New(diag.SyntaxError, diag.Pos{File: s.out.rel, Line: 1, Column: 1}, "invalid syntax"))
	}
	s.out.problems = append(s.out.problems, errs...)
}

// syntaxPos is where a syntax error is, and what it is.
type syntaxPos struct {
	line, col int
	msg       string
}

// errorAt finds the mistake in the ERROR node e. ok is false when it lies
// in a child, which walk (the caller's) reports.
func (s *fileScan) errorAt(e sitter.Node, walk func(sitter.Node)) (syntaxPos, bool) {
	var kids []sitter.Node
	for i := uint(0); i < e.ChildCount(); i++ {
		if ch := e.Child(i); ch.Kind() != "comment" {
			kids = append(kids, *ch)
		}
	}
	i := 0
	for i < len(kids) && statementKinds[kids[i].Kind()] && !kids[i].HasError() {
		i++ // complete statements: the mistake is after them
	}
	kids = kids[i:]
	if len(kids) == 0 {
		return s.after(e, "invalid syntax"), true
	}
	if first := kids[0]; first.IsError() || (first.HasError() && !first.IsMissing() && first.ChildCount() > 0 && len(kids) == 1) {
		walk(first)
		return syntaxPos{}, false
	}
	if first := kids[0]; !first.IsNamed() && operatorTokens[first.Kind()] {
		l, c := pos(first) // nothing starts with an operator
		return syntaxPos{l, c, fmt.Sprintf("invalid syntax near %q", first.Kind())}, true
	}
	if p, ok := s.unbalanced(kids); ok {
		return p, true
	}
	if p, ok := s.badHeader(e, kids); ok {
		return p, true
	}
	if p, ok := s.lineBreak(kids); ok {
		return p, true
	}
	l, c := pos(kids[0])
	msg := "invalid syntax"
	if t := strings.TrimSpace(s.text(kids[0])); t != "" && utf8.RuneCountInString(t) <= 20 && !strings.Contains(t, "\n") {
		msg = fmt.Sprintf("invalid syntax near %q", t)
	}
	return syntaxPos{l, c, msg}, true
}

// after is the position just past the node: the start of what follows it.
func (s *fileScan) after(n sitter.Node, msg string) syntaxPos {
	if next := n.NextSibling(); next != nil {
		l, c := pos(*next)
		return syntaxPos{l, c, msg}
	}
	p := n.EndPosition()
	return syntaxPos{int(p.Row) + 1, int(p.Column) + 1, msg}
}

// endOf is the position at the end of a node (where Python's tokenizer
// puts the NEWLINE that follows it).
func endOf(n sitter.Node, msg string) syntaxPos {
	p := n.EndPosition()
	return syntaxPos{int(p.Row) + 1, int(p.Column) + 1, msg}
}

// unbalanced finds a bracket of the ERROR's own tokens that is never
// closed, or closed without being opened.
func (s *fileScan) unbalanced(kids []sitter.Node) (syntaxPos, bool) {
	pairs := map[string]string{")": "(", "]": "[", "}": "{"}
	var open []sitter.Node
	for _, k := range kids {
		switch t := k.Kind(); t {
		case "(", "[", "{":
			open = append(open, k)
		case ")", "]", "}":
			if len(open) == 0 || open[len(open)-1].Kind() != pairs[t] {
				l, c := pos(k)
				return syntaxPos{l, c, fmt.Sprintf("unmatched '%s'", t)}, true
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		l, c := pos(open[0])
		return syntaxPos{l, c, fmt.Sprintf("'%s' was never closed", open[0].Kind())}, true
	}
	return syntaxPos{}, false
}

// badHeader follows a def, class or compound statement header (after its
// decorators) and returns where it stops fitting.
func (s *fileScan) badHeader(e sitter.Node, kids []sitter.Node) (syntaxPos, bool) {
	i := 0
	for i < len(kids) && kids[i].Kind() == "decorator" {
		i++
	}
	if i > 0 && i < len(kids) && !isDefStart(kids[i].Kind()) {
		l, c := pos(kids[i])
		return syntaxPos{l, c, "invalid syntax: a decorator must be followed by def or class"}, true
	}
	if i > 0 && i == len(kids) {
		return s.after(e, "invalid syntax: a decorator must be followed by def or class"), true
	}
	if i < len(kids) && kids[i].Kind() == "async" {
		i++
	}
	if i >= len(kids) {
		return syntaxPos{}, false
	}
	// expect returns the position of the mistake when kids[j] is not one
	// of kinds, or when it starts on a later line than kids[j-1] ends.
	expect := func(j int, what string, kinds ...string) (syntaxPos, bool) {
		if j >= len(kids) || kids[j].StartPosition().Row > kids[j-1].EndPosition().Row {
			return endOf(kids[j-1], "expected "+what), true
		}
		for _, k := range kinds {
			if kids[j].Kind() == k {
				return syntaxPos{}, false
			}
		}
		l, c := pos(kids[j])
		return syntaxPos{l, c, "expected " + what}, true
	}
	switch kw := kids[i].Kind(); {
	case kw == "def":
		if p, bad := expect(i+1, "a name", "identifier"); bad {
			return p, true
		}
		j := i + 2
		if j < len(kids) && kids[j].Kind() == "type_parameter" {
			j++
		}
		if p, bad := expect(j, "'('", "parameters"); bad {
			return p, true
		}
		j++
		if j < len(kids) && kids[j].Kind() == "->" {
			j += 2
		}
		if j > len(kids) {
			return syntaxPos{}, false
		}
		return expect(j, "':'", ":")
	case kw == "class":
		if p, bad := expect(i+1, "a name", "identifier"); bad {
			return p, true
		}
		j := i + 2
		if j < len(kids) && kids[j].Kind() == "argument_list" {
			j++
		}
		return expect(j, "':'", ":")
	case headerKeywords[kw]:
		// the header runs to ':' on its line
		for j := i + 1; j < len(kids); j++ {
			if kids[j].Kind() == ":" {
				return syntaxPos{}, false
			}
			if kids[j].StartPosition().Row > kids[j-1].EndPosition().Row {
				return endOf(kids[j-1], "expected ':'"), true
			}
		}
		return endOf(kids[len(kids)-1], "expected ':'"), true
	}
	return syntaxPos{}, false
}

func isDefStart(kind string) bool {
	return kind == "def" || kind == "class" || kind == "async" || kind == "function_definition" ||
		kind == "class_definition" || kind == "decorated_definition"
}

// lineBreak finds a line break outside brackets inside an expression of
// the ERROR: Python ends the logical line there (x = 1 + followed by a
// new line).
func (s *fileScan) lineBreak(kids []sitter.Node) (syntaxPos, bool) {
	var prev *sitter.Node
	depth := 0
	var found *syntaxPos
	var visit func(n sitter.Node)
	visit = func(n sitter.Node) {
		if found != nil {
			return
		}
		if n.ChildCount() == 0 || n.Kind() == "string" || n.Kind() == "concatenated_string" {
			if prev != nil && depth == 0 && n.StartPosition().Row > prev.EndPosition().Row {
				p := endOf(*prev, "invalid syntax")
				found = &p
				return
			}
			switch n.Kind() {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
			cp := n
			prev = &cp
			return
		}
		for i := uint(0); i < n.ChildCount(); i++ {
			visit(*n.Child(i))
		}
	}
	for _, k := range kids {
		if statementKinds[k.Kind()] || k.Kind() == "block" {
			break // a statement spans lines by itself
		}
		visit(k)
	}
	if found != nil {
		return *found, true
	}
	return syntaxPos{}, false
}
