package discover

import (
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// A flow's name is often not a plain literal but a string Python can
// compute before anything runs: a placeholder-free f-string
// (f"Bond Reporting"), a module constant (name=FLOW_NAME), a constant
// imported from a repository module, a concatenation or an f-string of
// those. strExpr holds such a string as far as one file can tell: literal
// pieces and references to constants of other modules, resolved once every
// file is parsed.

// strExpr is a string expression: the concatenation of its parts.
type strExpr []strPart

// strPart is a literal piece, or a constant imported from another module.
type strPart struct {
	lit string
	ref *constRef
}

// constRef names a module-level name of another module, as a from-import
// binds it: from <level dots><module> import <name>.
type constRef struct {
	module string
	level  int
	name   string
}

// literal returns the value when the expression needs no other file.
func (e strExpr) literal() (string, bool) {
	var b strings.Builder
	for _, p := range e {
		if p.ref != nil {
			return "", false
		}
		b.WriteString(p.lit)
	}
	return b.String(), true
}

// nameBind is one module-level binding of a name that a string expression
// may read: an assignment (ok when its value is a string expression) or a
// from-import (a reference to the other module's name).
type nameBind struct {
	at  uint
	val strExpr
	ok  bool
}

// maxConstDepth bounds how far constants are followed through other
// constants and modules.
const maxConstDepth = 8

// bindName records a module-level binding of name at byte offset at.
func (s *fileScan) bindName(name string, at uint, val strExpr, ok bool) {
	s.names[name] = append(s.names[name], nameBind{at: at, val: val, ok: ok})
}

// lookupName returns the string a module-level name holds at byte offset
// at: its last binding before at, as Python evaluates a decorator when the
// def runs.
func (s *fileScan) lookupName(name string, at uint) (strExpr, bool) {
	var last *nameBind
	for i, b := range s.names[name] {
		if b.at < at {
			last = &s.names[name][i]
		}
	}
	if last == nil || !last.ok {
		return nil, false
	}
	return last.val, true
}

// strValue evaluates n as a string expression at byte offset at: string
// literals and f-strings whose placeholders are constants, module
// constants, and + of those. ok is false for anything else.
func (s *fileScan) strValue(n sitter.Node, at uint, depth int) (strExpr, bool) {
	if depth > maxConstDepth {
		return nil, false
	}
	switch n.Kind() {
	case "string":
		return s.stringValue(n, at, depth)
	case "concatenated_string":
		var out strExpr
		for i := uint(0); i < n.NamedChildCount(); i++ {
			ch := n.NamedChild(i)
			if ch.Kind() == "comment" {
				continue
			}
			part, ok := s.strValue(*ch, at, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, part...)
		}
		return out, true
	case "binary_operator":
		op := n.ChildByFieldName("operator")
		l, r := n.ChildByFieldName("left"), n.ChildByFieldName("right")
		if op == nil || l == nil || r == nil || s.text(*op) != "+" {
			return nil, false
		}
		lv, ok := s.strValue(*l, at, depth+1)
		if !ok {
			return nil, false
		}
		rv, ok := s.strValue(*r, at, depth+1)
		if !ok {
			return nil, false
		}
		return append(append(strExpr{}, lv...), rv...), true
	case "parenthesized_expression":
		if n.NamedChildCount() == 1 {
			return s.strValue(*n.NamedChild(0), at, depth+1)
		}
	case "identifier":
		return s.lookupName(s.text(n), at)
	}
	return nil, false
}

// stringValue evaluates one string literal; an f-string only when every
// placeholder is a plain name holding a string (no conversion, no format
// spec, no = debugging).
func (s *fileScan) stringValue(n sitter.Node, at uint, depth int) (strExpr, bool) {
	text := s.text(n)
	i := strings.IndexAny(text, `"'`)
	if i < 0 {
		return nil, false
	}
	prefix := strings.ToLower(text[:i])
	if !strings.Contains(prefix, "f") {
		if v, ok := decodeString(text); ok {
			return strExpr{{lit: v}}, true
		}
		return nil, false
	}
	if strings.ContainsAny(prefix, "bt") {
		return nil, false
	}
	raw := strings.Contains(prefix, "r")
	var out strExpr
	for i := uint(0); i < n.NamedChildCount(); i++ {
		ch := n.NamedChild(i)
		switch ch.Kind() {
		case "string_start", "string_end":
		case "string_content":
			body := s.text(*ch)
			if strings.Contains(body, `\N{`) && !raw {
				return nil, false
			}
			if !raw {
				body = unescape(body)
			}
			body = strings.ReplaceAll(strings.ReplaceAll(body, "{{", "{"), "}}", "}")
			out = append(out, strPart{lit: body})
		case "interpolation":
			expr := ch.ChildByFieldName("expression")
			if expr == nil || ch.NamedChildCount() != 1 || expr.Kind() != "identifier" || strings.Contains(s.text(*ch), "=") {
				return nil, false
			}
			v, ok := s.lookupName(s.text(*expr), at)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
		default:
			return nil, false
		}
	}
	return out, true
}
