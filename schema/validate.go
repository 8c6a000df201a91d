package schema

import (
	"errors"

	cueerrors "cuelang.org/go/cue/errors"
	cueyaml "cuelang.org/go/encoding/yaml"
	goyaml "github.com/goccy/go-yaml"

	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"

	"prefectgen/diag"
)

// decodeJSON decodes keeping numbers as written: an integer stays an
// integer (json.Number) rather than becoming a float.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// validate checks data against the definition def and returns it as JSON
// with the defaults filled in.
func validate(file string, data []byte, def string) ([]byte, *positions, []diag.ValidationError) {
	if !utf8.Valid(data) {
		return nil, nil, []diag.ValidationError{diag.New(diag.ConfigNotUTF8, diag.Pos{File: file, Line: 1, Column: 1}, "file is not valid UTF-8")}
	}
	pos, err := indexYAML(file, data)
	var deep tooDeep
	if errors.As(err, &deep) {
		return nil, nil, []diag.ValidationError{diag.New(diag.ConfigInvalidValue, diag.Pos{File: file, Line: deep.line, Column: 1},
			fmt.Sprintf("values nested more than %d levels deep; prefectgen reads configurations up to that depth", maxNesting))}
	}
	if err != nil {
		return nil, nil, []diag.ValidationError{yamlSyntax(file, err)}
	}
	s := compiled()
	s.mu.Lock()
	defer s.mu.Unlock()
	schema := s.root.LookupPath(cue.ParsePath(def))
	var v cue.Value
	if len(strings.TrimSpace(string(data))) == 0 {
		v = s.ctx.CompileString("{}")
	} else {
		f, err := cueyaml.Extract(file, data)
		if err != nil {
			return nil, nil, []diag.ValidationError{diag.New(diag.ConfigSyntax, diag.Pos{File: file, Line: 1, Column: 1}, err.Error())}
		}
		v = s.ctx.BuildFile(f)
	}
	if v.Err() != nil {
		return nil, nil, cueProblems(file, pos, v.Err(), def)
	}
	if k := v.IncompleteKind(); k != cue.StructKind && !v.IsNull() {
		return nil, nil, []diag.ValidationError{diag.New(diag.ConfigInvalidValue, diag.Pos{File: file, Line: 1, Column: 1}, fmt.Sprintf("the file must be a mapping of keys to values, not %s", k))}
	}
	if v.IsNull() {
		v = s.ctx.CompileString("{}")
	}
	u := schema.Unify(v)
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return nil, nil, cueProblems(file, pos, err, def)
	}
	out, err := u.MarshalJSON()
	if err != nil {
		return nil, nil, cueProblems(file, pos, err, def)
	}
	return out, pos, nil
}

func yamlSyntax(file string, err error) diag.ValidationError {
	var ye goyaml.Error
	p := diag.Pos{File: file, Line: 1, Column: 1}
	msg := err.Error()
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		p.Line = line
		_, msg, _ = strings.Cut(msg, ": ")
	}
	if e, ok := err.(goyaml.Error); ok {
		ye = e
		if t := ye.GetToken(); t != nil && t.Position != nil {
			p.Line, p.Column = t.Position.Line, t.Position.Column
		}
		msg = ye.GetMessage()
	}
	return diag.New(diag.ConfigSyntax, p, msg)
}

// cueProblems turns CUE's errors into problems at the user's lines: one
// per path, with the alternatives of a failed disjunction named together.
func cueProblems(file string, pos *positions, err error, def string) []diag.ValidationError {
	type group struct {
		path  []string
		msgs  []string
		pairs [][2]string
		input diag.Pos
	}
	var order []string
	groups := map[string]*group{}
	var out []diag.ValidationError
	seenUnknown := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		path := unquotePath(e.Path())
		if len(path) > 0 && strings.HasPrefix(path[0], "#") {
			path = path[1:]
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if strings.Contains(msg, "field not allowed") {
			path = firstUnknown(def, path)
			key := joinPath(path...)
			if seenUnknown[key] {
				continue
			}
			seenUnknown[key] = true
			msg = fmt.Sprintf("unknown key %q", path[len(path)-1])
			if known, ok := knownKeys(def, path[:len(path)-1]); ok {
				if s := nearest(path[len(path)-1], known); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
			}
			out = append(out, diag.New(diag.ConfigUnknownKey, pos.keyAt(path), msg))
			continue
		}
		key := joinPath(path...)
		g, ok := groups[key]
		if !ok {
			g = &group{path: path}
			groups[key] = g
			order = append(order, key)
			for _, ip := range e.InputPositions() {
				if ip.Filename() == file && ip.Line() > 0 {
					g.input = diag.Pos{File: file, Line: ip.Line(), Column: ip.Column()}
					break
				}
			}
		}
		switch {
		case strings.Contains(format, "empty disjunction"):
		case strings.HasPrefix(format, "conflicting values") && len(args) >= 2:
			pair := [2]string{fmt.Sprint(args[0]), fmt.Sprint(args[1])}
			if m := mismatched.FindStringSubmatch(msg); m != nil {
				pair = [2]string{typed(pair[0], m[1]), typed(pair[1], m[2])}
			}
			g.pairs = append(g.pairs, pair)
		default:
			g.msgs = append(g.msgs, friendlier(msg))
		}
	}
	for _, key := range order {
		g := groups[key]
		var msg string
		switch {
		case len(g.pairs) > 0 && len(g.msgs) == 0:
			got, allowed := splitConflicts(g.pairs)
			if len(allowed) == 1 {
				msg = fmt.Sprintf("must be %s, not %s", allowed[0], got)
			} else {
				msg = fmt.Sprintf("must be one of %s, not %s", strings.Join(allowed, ", "), got)
			}
		case len(g.msgs) > 0:
			msg = strings.Join(dedupeStrings(g.msgs), "; ")
		default:
			msg = "invalid value"
		}
		p := pos.at(g.path)
		if _, exact := pos.values[key]; !exact && g.input.Line > 0 {
			p = g.input
		}
		where := displayPath(g.path)
		if where != "" {
			msg = where + ": " + msg
		}
		out = append(out, diag.New(diag.ConfigInvalidValue, p, msg))
	}
	diag.Sort(out)
	return out
}

var mismatched = regexp.MustCompile(`mismatched types (\w+) and (\w+)`)

// typed marks a value of a mismatched type: the user's value stays as it
// is, the schema's side becomes "a string".
func typed(v, typ string) string {
	if isSchemaSide(v) {
		return typeWords(typ)
	}
	return v + "\x00" + typ
}

// isSchemaSide reports whether a conflicting value is CUE's side: a type
// or a constraint rather than the user's value.
func isSchemaSide(v string) bool {
	if v == "null" { // the user's empty value, not a type
		return false
	}
	return isTypeName(v) || strings.ContainsAny(v, "{|") || strings.HasPrefix(v, "=~") ||
		strings.HasPrefix(v, ">") || strings.HasPrefix(v, "<") || v == "_"
}

// typeWords names a CUE type for a YAML user.
func typeWords(t string) string {
	switch t {
	case "struct":
		return "a mapping"
	case "list":
		return "a list"
	case "int":
		return "an integer"
	case "float", "number":
		return "a number"
	case "bool":
		return "true or false"
	case "null":
		return "null"
	}
	return "a " + t
}

// splitConflicts finds the user's value, the one side common to every
// conflict, and the allowed values, the other sides. Where types did not
// match, the allowed side is named by its type.
func splitConflicts(pairs [][2]string) (got string, allowed []string) {
	count := map[string]int{}
	for _, p := range pairs {
		count[p[0]]++
		if p[1] != p[0] {
			count[p[1]]++
		}
	}
	got = pairs[0][1]
	if !strings.Contains(pairs[0][0], "\x00") && strings.Contains(pairs[0][1], "\x00") {
		got = pairs[0][1]
	} else if strings.Contains(pairs[0][0], "\x00") && !strings.Contains(pairs[0][1], "\x00") {
		got = pairs[0][0]
	}
	for _, p := range pairs {
		for _, v := range p {
			if count[v] == len(pairs) && len(pairs) > 1 && strings.Contains(v, "\x00") {
				got = v
			}
		}
	}
	gotType := ""
	if v, t, ok := strings.Cut(got, "\x00"); ok {
		got, gotType = v, t
	}
	for _, p := range pairs {
		for _, v := range p {
			val, typ, hasType := strings.Cut(v, "\x00")
			if val == got {
				continue
			}
			if hasType && typ != gotType {
				val = typeWords(typ)
			}
			allowed = append(allowed, val)
		}
	}
	return got, dedupeStrings(allowed)
}

func isTypeName(s string) bool {
	switch s {
	case "string", "int", "number", "bool", "float", "null", "struct", "list", "bytes":
		return true
	}
	return false
}

func dedupeStrings(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func unquotePath(path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			if u, err := strconv.Unquote(p); err == nil {
				p = u
			}
		}
		out[i] = p
	}
	return out
}

// displayPath writes a path as a reader would: a.b[2].c, quoting keys
// that are not plain words.
func displayPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if plainKey.MatchString(p) {
			b.WriteString(p)
		} else {
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// friendlier rewords CUE's messages for a YAML user.
func friendlier(msg string) string {
	msg = strings.ReplaceAll(msg, "(mismatched types ", "(")
	if strings.Contains(msg, "errors in empty disjunction") {
		return "value is not one of the allowed values"
	}
	return msg
}

// knownKeys returns the keys the schema allows at path; ok is false
// where any key is allowed (a map such as environments:).
func knownKeys(def string, path []string) (keys []string, ok bool) {
	if len(path) == 3 && path[0] == "environments" && path[2] == "work_pools" && def == "#Config" {
		return Types, true
	}
	var t reflect.Type
	if def == "#Templates" {
		t = reflect.TypeOf(Templates{})
	} else {
		t = reflect.TypeOf(Config{})
	}
	for _, seg := range path {
		t = deref(t)
		switch t.Kind() {
		case reflect.Map, reflect.Slice:
			t = t.Elem()
		case reflect.Struct:
			f, found := fieldByTag(t, seg)
			if !found {
				return nil, false
			}
			t = f
		default:
			return nil, false
		}
	}
	t = deref(t)
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	return tagsOf(t), true
}

// firstUnknown shortens path to its first key the schema does not allow;
// CUE may report a key below it.
func firstUnknown(def string, path []string) []string {
	for i := range path {
		if known, ok := knownKeys(def, path[:i]); ok && !slices.Contains(known, path[i]) {
			return path[:i+1]
		}
	}
	return path
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func tagsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, tagsOf(deref(f.Type))...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func fieldByTag(t reflect.Type, tag string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			if ft, ok := fieldByTag(deref(f.Type), tag); ok {
				return ft, true
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == tag {
			return f.Type, true
		}
	}
	return nil, false
}

// nearest returns the candidate closest to s by edit distance, if close
// enough to be a likely typo.
func nearest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := levenshtein(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

// Nearest is nearest for other packages: the likely intended name.
func Nearest(s string, candidates []string) string { return nearest(s, candidates) }

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
