package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"prefectgen/diag"
)

// positions indexes a YAML document: for each path (keys and sequence
// indexes joined by pathSep), where its key and its value are.
type positions struct {
	file   string
	keys   map[string]diag.Pos
	values map[string]diag.Pos
	// tooDeep is the line of the first value nested deeper than
	// maxNesting, 0 when none is.
	tooDeep int
}

// maxNesting bounds how deep a configuration nests: every check walks it,
// and a path is a string per level, so depth costs its square in memory
// (an 18 KB file once took 930 MB). Real configurations nest under 20.
const maxNesting = 64

const pathSep = "\x00"

func joinPath(parts ...string) string { return strings.Join(parts, pathSep) }

// indexYAML parses data and indexes it. The error is a YAML syntax error
// with its position.
func indexYAML(file string, data []byte) (*positions, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	if len(f.Docs) > 1 {
		return nil, fmt.Errorf("line %d: a second YAML document: the file must hold one", docLine(f.Docs[1]))
	}
	p := &positions{file: file, keys: map[string]diag.Pos{}, values: map[string]diag.Pos{}}
	if len(f.Docs) > 0 && f.Docs[0].Body != nil {
		p.walk(nil, f.Docs[0].Body)
	}
	if p.tooDeep > 0 {
		return nil, tooDeep{p.tooDeep}
	}
	return p, nil
}

// tooDeep is a configuration nested deeper than maxNesting.
type tooDeep struct{ line int }

func (e tooDeep) Error() string {
	return fmt.Sprintf("line %d: values nested more than %d levels deep", e.line, maxNesting)
}

func docLine(d *ast.DocumentNode) int {
	if d.Start != nil && d.Start.Position != nil {
		return d.Start.Position.Line
	}
	if d.Body != nil {
		return tokPos(d.Body).Line
	}
	return 1
}

func tokPos(n ast.Node) diag.Pos {
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return diag.Pos{}
	}
	return diag.Pos{Line: t.Position.Line, Column: t.Position.Column}
}

func (p *positions) walk(path []string, n ast.Node) {
	if len(path) > maxNesting {
		if p.tooDeep == 0 {
			p.tooDeep = max(tokPos(n).Line, 1)
		}
		return
	}
	key := joinPath(path...)
	switch v := n.(type) {
	case *ast.TagNode:
		p.walk(path, v.Value)
		return
	case *ast.AnchorNode:
		p.walk(path, v.Value)
		return
	case *ast.MappingNode:
		p.values[key] = tokPos(v)
		for _, mv := range v.Values {
			p.mappingValue(path, mv)
		}
	case *ast.MappingValueNode:
		p.values[key] = tokPos(v)
		p.mappingValue(path, v)
	case *ast.SequenceNode:
		p.values[key] = tokPos(v)
		for i, item := range v.Values {
			p.walk(append(clone(path), strconv.Itoa(i)), item)
		}
	default:
		if n != nil {
			p.values[key] = tokPos(n)
		}
	}
}

func (p *positions) mappingValue(path []string, mv *ast.MappingValueNode) {
	k := mv.Key.String()
	if s, ok := mv.Key.(*ast.StringNode); ok {
		k = s.Value
	}
	child := append(clone(path), k)
	p.keys[joinPath(child...)] = tokPos(mv.Key)
	if mv.Value != nil {
		p.walk(child, mv.Value)
		if _, isNull := mv.Value.(*ast.NullNode); isNull && tokPos(mv.Value).Line == 0 {
			p.values[joinPath(child...)] = tokPos(mv.Key)
		}
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }

// at returns the best position for a path: its value, else its key, else
// that of the nearest enclosing path.
func (p *positions) at(path []string) diag.Pos {
	pos := p.lookup(path)
	pos.File = p.file
	return pos
}

func (p *positions) lookup(path []string) diag.Pos {
	for n := len(path); n >= 0; n-- {
		k := joinPath(path[:n]...)
		if n == len(path) {
			if v, ok := p.values[k]; ok && v.Line > 0 {
				return v
			}
		}
		if v, ok := p.keys[k]; ok && v.Line > 0 {
			return v
		}
		if v, ok := p.values[k]; ok && v.Line > 0 {
			return v
		}
	}
	return diag.Pos{Line: 1, Column: 1}
}

// keyAt returns the position of the key of a path, else at(path).
func (p *positions) keyAt(path []string) diag.Pos {
	if v, ok := p.keys[joinPath(path...)]; ok && v.Line > 0 {
		v.File = p.file
		return v
	}
	return p.at(path)
}
