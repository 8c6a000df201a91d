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
		return nil, nil, cueProblems(file, pos, v.Err(), def, cue.Value{})
	}
	if k := v.IncompleteKind(); k != cue.StructKind && !v.IsNull() {
		return nil, nil, []diag.ValidationError{diag.New(diag.ConfigInvalidValue, diag.Pos{File: file, Line: 1, Column: 1}, fmt.Sprintf("the file must be a mapping of keys to values, not %s", k))}
	}
	if v.IsNull() {
		v = s.ctx.CompileString("{}")
	}
	u := schema.Unify(v)
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return nil, nil, cueProblems(file, pos, err, def, v)
	}
	out, err := u.MarshalJSON()
	if err != nil {
		return nil, nil, cueProblems(file, pos, err, def, v)
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
// user is the file's value before the schema applied, to tell the user's
// side of a conflict from the schema's.
func cueProblems(file string, pos *positions, err error, def string, user cue.Value) []diag.ValidationError {
	type group struct {
		path  []string
		msgs  []string
		pairs [][2]side
		input diag.Pos
	}
	var order []string
	groups := map[string]*group{}
	// CUE reports keys a closed definition does not allow only when
	// nothing else failed: look for them in the user's value too, so one
	// run names every problem.
	out, seenUnknown := unknownKeys(pos, user, def)
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
			out = append(out, unknownKey(pos, def, path))
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
			pair := [2]side{{text: fmt.Sprint(args[0])}, {text: fmt.Sprint(args[1])}}
			if m := mismatched.FindStringSubmatch(msg); m != nil {
				pair[0].typ, pair[1].typ = m[1], m[2]
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
			got, allowed := splitConflicts(g.pairs, lookup(user, g.path))
			msg = fmt.Sprintf("must be %s, not %s", orList(allowed), got)
			if slices.Contains(allowed, "true or false") && slices.Contains(yaml11Bools, strings.ToLower(strings.Trim(got, `"`))) {
				msg += "; in YAML 1.2 " + got + " is a string: write true or false"
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

// unknownKeys reports every key of the user's value that the schema does
// not allow, and returns the paths it reported.
func unknownKeys(pos *positions, user cue.Value, def string) ([]diag.ValidationError, map[string]bool) {
	var out []diag.ValidationError
	seen := map[string]bool{}
	var walk func(v cue.Value, path []string)
	walk = func(v cue.Value, path []string) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			known, closed := knownKeys(def, path)
			it, err := v.Fields()
			if err != nil {
				return
			}
			for it.Next() {
				p := append(slices.Clip(path), it.Selector().Unquoted())
				if closed && !slices.Contains(known, p[len(p)-1]) {
					seen[joinPath(p...)] = true
					out = append(out, unknownKey(pos, def, p))
					continue
				}
				walk(it.Value(), p)
			}
		case cue.ListKind:
			it, err := v.List()
			if err != nil {
				return
			}
			for i := 0; it.Next(); i++ {
				walk(it.Value(), append(slices.Clip(path), strconv.Itoa(i)))
			}
		}
	}
	if user.Exists() {
		walk(user, nil)
	}
	return out, seen
}

// unknownKey is the problem of a key the schema does not allow at path,
// with the nearest allowed key.
func unknownKey(pos *positions, def string, path []string) diag.ValidationError {
	msg := fmt.Sprintf("unknown key %q", path[len(path)-1])
	if known, ok := knownKeys(def, path[:len(path)-1]); ok {
		if s := nearest(path[len(path)-1], known); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
	}
	return diag.New(diag.ConfigUnknownKey, pos.keyAt(path), msg)
}

var mismatched = regexp.MustCompile(`mismatched types (\w+) and (\w+)`)

// yaml11Bools are the words YAML 1.1 reads as booleans and YAML 1.2 as
// strings.
var yaml11Bools = []string{"yes", "no", "y", "n", "on", "off"}

// orList joins alternatives as a sentence does, null last: "a, b or c".
func orList(alts []string) string {
	if i := slices.Index(alts, "null"); i >= 0 && len(alts) > 1 {
		alts = append(slices.Delete(slices.Clone(alts), i, i+1), "null")
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
}

// side is one side of a CUE conflict: a value or a type as CUE prints it,
// and, where the types did not match, the side's type.
type side struct{ text, typ string }

// lookup returns the user's value at path, or a value that does not
// exist.
func lookup(v cue.Value, path []string) cue.Value {
	if !v.Exists() {
		return v
	}
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if n, err := strconv.Atoi(p); err == nil {
			sels[i] = cue.Index(n)
		} else {
			sels[i] = cue.Str(p)
		}
	}
	return v.LookupPath(cue.MakePath(sels...))
}

// splitConflicts separates the user's value from the values and types the
// schema allows. The user's side is the one of the user's type (where the
// types differ) or equal to the user's value; a mapping or a list is named
// by its kind, as the line the problem points at shows it. Without the
// user's value, the user's side is the one common to every conflict.
func splitConflicts(pairs [][2]side, user cue.Value) (got string, allowed []string) {
	var isUser func(side) bool
	if user.Exists() {
		kind := user.IncompleteKind()
		text := fmt.Sprint(user)
		switch kind {
		case cue.StructKind:
			got = "a mapping"
		case cue.ListKind:
			got = "a list"
		default:
			got = text
		}
		isUser = func(s side) bool {
			if s.typ != "" {
				return s.typ == kind.String()
			}
			return s.text == text
		}
	} else {
		count := map[side]int{}
		for _, p := range pairs {
			count[p[0]]++
			if p[1] != p[0] {
				count[p[1]]++
			}
		}
		common := pairs[0][1]
		for _, s := range pairs[0] {
			if count[s] == len(pairs) && !isSchemaSide(s.text) {
				common = s
			}
		}
		got = common.text
		isUser = func(s side) bool { return s == common }
	}
	for _, p := range pairs {
		for _, s := range p {
			if isUser(s) {
				continue
			}
			allowed = append(allowed, schemaWords(s))
		}
	}
	return got, subsumed(dedupeStrings(allowed))
}

// subsumed drops the values a type among the alternatives already allows:
// a default such as "/app" beside "a string".
func subsumed(alts []string) []string {
	return slices.DeleteFunc(alts, func(a string) bool {
		switch {
		case strings.HasPrefix(a, `"`):
			return slices.Contains(alts, "a string")
		case a == "true" || a == "false":
			return slices.Contains(alts, "true or false")
		}
		if _, err := strconv.ParseFloat(a, 64); err == nil {
			return slices.Contains(alts, "a number") || (!strings.ContainsAny(a, ".eE") && slices.Contains(alts, "an integer"))
		}
		return false
	})
}

// isSchemaSide reports whether a conflicting value is CUE's side: a type
// or a constraint rather than a value.
func isSchemaSide(v string) bool {
	return isTypeName(v) || strings.ContainsAny(v, "{[|") || strings.HasPrefix(v, "=~") ||
		strings.HasPrefix(v, ">") || strings.HasPrefix(v, "<") || v == "_"
}

// schemaWords names what the schema allows for a YAML user: a value as
// it is, a type in words.
func schemaWords(s side) string {
	switch {
	case s.typ == "":
		return s.text
	case strings.HasPrefix(s.text, "[...") && strings.HasSuffix(s.text, "]"):
		if elem := strings.TrimSuffix(strings.TrimPrefix(s.text, "[..."), "]"); isTypeName(elem) {
			return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeWords(elem), "a "), "an ") + "s"
		}
		return "a list"
	case !isSchemaSide(s.text):
		return s.text
	}
	return typeWords(s.typ)
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

var outOfBound = regexp.MustCompile(`^invalid value (.+) \(out of bound (>=|>|<=|<)(.+)\)$`)

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// friendlier rewords CUE's messages for a YAML user.
func friendlier(msg string) string {
	if m := outOfBound.FindStringSubmatch(msg); m != nil {
		words := map[string]string{">=": "at least", ">": "greater than", "<=": "at most", "<": "less than"}
		return fmt.Sprintf("must be %s %s, not %s", words[m[2]], m[3], m[1])
	}
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
