package generator

import (
	"fmt"
	"prefectgen/model"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	yamlv3 "go.yaml.in/yaml/v3"
)

var deploymentsKey = regexp.MustCompile(`^deployments:[ \t]*(#.*)?$`)
var topLevelKey = regexp.MustCompile(`^[^\s#-]`)
var itemIndent = regexp.MustCompile(`^([ \t]*)- `)

// markers is where prefectgen's pair of markers is in a hand-written
// prefect.yaml: line indexes from 0, -1 when absent.
type markers struct{ begin, end int }

// findMarkers scans the lines of a prefect.yaml for prefectgen's markers,
// the one place they are looked for. A begin marker is matched by its
// prefix, so that an edited explanation still counts.
func findMarkers(lines []string) (markers, error) {
	m := markers{-1, -1}
	beginPrefix := MarkerBegin[:strings.Index(MarkerBegin, ":")]
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, beginPrefix) && m.begin >= 0:
			return m, fmt.Errorf("line %d: a second prefectgen begin marker (the first is at line %d); keep one pair of markers", i+1, m.begin+1)
		case strings.HasPrefix(t, beginPrefix):
			m.begin = i
		case t == MarkerEnd && m.begin >= 0 && m.end >= 0:
			return m, fmt.Errorf("line %d: a second prefectgen end marker (the first is at line %d); keep one pair of markers", i+1, m.end+1)
		case t == MarkerEnd && m.begin >= 0:
			m.end = i
		}
	}
	if m.begin >= 0 && m.end < 0 {
		return m, fmt.Errorf("line %d: the prefectgen begin marker has no end marker %q", m.begin+1, MarkerEnd)
	}
	return m, nil
}

// contains reports whether a line (from 1) is between the markers.
func (m markers) contains(line int) bool {
	return m.begin >= 0 && line > m.begin+1 && line < m.end+1
}

// yamlLines splits a file into lines that keep their line endings.
func yamlLines(data []byte) []string {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// regionWriter writes prefectgen's entries with a file's line endings.
type regionWriter struct {
	region []byte
	nl     string
}

func newRegionWriter(lines []string, region []byte) regionWriter {
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		region = []byte(strings.ReplaceAll(strings.ReplaceAll(string(region), "\r\n", "\n"), "\n", "\r\n"))
		return regionWriter{region, "\r\n"}
	}
	return regionWriter{region, "\n"}
}

// indented is the region with every line indented.
func (w regionWriter) indented(indent string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimLeft(string(w.region), "\n"), "\n") {
		switch {
		case l == "":
		case strings.TrimSpace(l) == "":
			b.WriteString(l)
		default:
			b.WriteString(indent + l)
		}
	}
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += w.nl
	}
	return s
}

// block is the region between a new pair of markers.
func (w regionWriter) block(indent string) string {
	return indent + MarkerBegin + w.nl + w.indented(indent) + indent + MarkerEnd + w.nl
}

// mergeRegion puts region (deployment items at column 0) between the
// markers of a hand-written prefect.yaml, adding the markers at the end of
// its deployments list (or a deployments list at the end) the first time.
// Every byte outside the markers stays as it was.
func mergeRegion(existing, region []byte) ([]byte, error) {
	lines := yamlLines(existing)
	w := newRegionWriter(lines, region)
	m, err := findMarkers(lines)
	if err != nil {
		return nil, err
	}
	if m.begin >= 0 {
		return replaceRegion(lines, m, w), nil
	}
	return addRegion(lines, w)
}

// replaceRegion replaces what is between the markers.
func replaceRegion(lines []string, m markers, w regionWriter) []byte {
	// The entries take the indentation of the list they are in: that of
	// the marker, unless the entries between the markers show another
	// (someone moved the marker).
	indent := lines[m.begin][:len(lines[m.begin])-len(strings.TrimLeft(lines[m.begin], " \t"))]
	for _, l := range lines[m.begin+1 : m.end] {
		if im := itemIndent.FindStringSubmatch(l); im != nil {
			indent = im[1]
			break
		}
	}
	var b strings.Builder
	for _, l := range lines[:m.begin+1] {
		b.WriteString(l)
	}
	b.WriteString(w.indented(indent))
	for _, l := range lines[m.end:] {
		b.WriteString(l)
	}
	return []byte(b.String())
}

var keepChomping = regexp.MustCompile(`:[ \t]*[|>][0-9]?\+[0-9]?[ \t]*(#.*)?\r?$`)

// keepsBlankLines reports whether the last item of a list's lines holds a
// block scalar with keep chomping (|+ or >+).
func keepsBlankLines(lines []string) bool {
	last := 0
	for i, l := range lines {
		if itemIndent.MatchString(l) {
			last = i
		}
	}
	for _, l := range lines[last:] {
		if keepChomping.MatchString(strings.TrimRight(l, "\n")) {
			return true
		}
	}
	return false
}

// addRegion adds the markers and the region at the end of the
// deployments list, or a deployments list at the end of the file.
func addRegion(lines []string, w regionWriter) ([]byte, error) {
	key := -1
	for i, l := range lines {
		if deploymentsKey.MatchString(strings.TrimRight(l, "\r\n")) {
			key = i
			break
		}
		if strings.HasPrefix(l, "deployments:") {
			return nil, fmt.Errorf("line %d: the deployments list is written inline; write it as a block list (one \"- name: ...\" per line) so that prefectgen can add its deployments", i+1)
		}
	}
	var b strings.Builder
	if key < 0 {
		for _, l := range lines {
			b.WriteString(l)
		}
		if len(lines) > 0 && !strings.HasSuffix(lines[len(lines)-1], "\n") {
			b.WriteString(w.nl)
		}
		b.WriteString("deployments:" + w.nl + w.block(""))
		return []byte(b.String()), nil
	}
	stop := len(lines)
	for i := key + 1; i < len(lines); i++ {
		if topLevelKey.MatchString(lines[i]) {
			stop = i
			break
		}
	}
	// Insert after the list's last item, before the blank lines and
	// comments that lead the next top-level key; unless that item ends in
	// a block scalar that keeps its trailing blank lines (|+): they are
	// part of its value.
	insert := stop
	keep := keepsBlankLines(lines[key+1 : stop])
	for insert > key+1 && (strings.HasPrefix(lines[insert-1], "#") || !keep && strings.TrimSpace(lines[insert-1]) == "") {
		insert--
	}
	indent := ""
	for i := key + 1; i < stop; i++ {
		if im := itemIndent.FindStringSubmatch(lines[i]); im != nil {
			indent = im[1]
			break
		}
	}
	for _, l := range lines[:insert] {
		b.WriteString(l)
	}
	if insert > 0 && !strings.HasSuffix(lines[insert-1], "\n") {
		b.WriteString(w.nl)
	}
	b.WriteString(w.block(indent))
	for _, l := range lines[insert:] {
		b.WriteString(l)
	}
	return []byte(b.String()), nil
}

// handEntry is a hand-written deployment of prefect.yaml.
type handEntry struct {
	name, entrypoint, flowName string
	line, col                  int
}

// handWritten lists the deployments of a prefect.yaml outside prefectgen's
// markers.
func handWritten(existing []byte) ([]handEntry, error) {
	f, err := parser.ParseBytes(existing, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", PrefectFile, err)
	}
	if len(f.Docs) > 1 {
		return nil, fmt.Errorf("%s holds %d YAML documents (---); Prefect reads one: merge them", PrefectFile, len(f.Docs))
	}
	mk, err := findMarkers(yamlLines(existing))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PrefectFile, err)
	}
	var out []handEntry
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, nil
	}
	root, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		if mv, isMV := f.Docs[0].Body.(*ast.MappingValueNode); isMV {
			root = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			return nil, nil
		}
	}
	for _, kv := range root.Values {
		if kv.Key.String() != "deployments" {
			continue
		}
		seq, ok := kv.Value.(*ast.SequenceNode)
		if !ok {
			continue
		}
		for _, item := range seq.Values {
			m, ok := item.(*ast.MappingNode)
			var vals []*ast.MappingValueNode
			if ok {
				vals = m.Values
			} else if mv, isMV := item.(*ast.MappingValueNode); isMV {
				vals = []*ast.MappingValueNode{mv}
			}
			var e handEntry
			for _, v := range vals {
				val := strings.Trim(v.Value.String(), `"'`)
				if s, isStr := v.Value.(*ast.StringNode); isStr {
					val = s.Value
				}
				switch v.Key.String() {
				case "name":
					e.name = val
					tk := v.Value.GetToken()
					e.line, e.col = tk.Position.Line, tk.Position.Column
				case "entrypoint":
					e.entrypoint = val
				case "flow_name":
					e.flowName = val
				}
			}
			if e.name != "" && !mk.contains(e.line) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// checkHandWrittenKept decodes a hand-written prefect.yaml before and
// after the merge and refuses a merge that would change anything the
// user wrote: every top-level key but deployments, and every deployment
// that is not prefectgen's (tagged managed-by:prefectgen).
func checkHandWrittenKept(before, after []byte) error {
	var a, b map[string]any
	if err := yamlv3.Unmarshal(before, &a); err != nil {
		return nil // not YAML: reported elsewhere
	}
	if err := yamlv3.Unmarshal(after, &b); err != nil {
		return fmt.Errorf("the merged file is not valid YAML: %w", err)
	}
	hand := func(m map[string]any) []any {
		list, _ := m["deployments"].([]any)
		var out []any
		for _, item := range list {
			d, _ := item.(map[string]any)
			tags, _ := d["tags"].([]any)
			if !slices.Contains(tags, any(model.ManagedTag)) {
				out = append(out, item)
			}
		}
		return out
	}
	for k, v := range a {
		if k != "deployments" && !reflect.DeepEqual(v, b[k]) {
			return fmt.Errorf("merging would change the hand-written value of %s", k)
		}
	}
	if !reflect.DeepEqual(hand(a), hand(b)) {
		return fmt.Errorf("merging would change a hand-written deployment")
	}
	return nil
}
