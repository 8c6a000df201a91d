package discover

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"strings"

	"prefectgen/diag"
)

// namespaceTops are top-level packages shared by many distributions; their
// imports are named by more components (google.cloud.storage).
var namespaceTops = map[string]bool{"google": true, "azure": true, "jaraco": true, "zope": true, "backports": true, "sphinxcontrib": true, "opentelemetry": true}

// runtimeProvided are modules every deployment has: the Prefect runtime.
var runtimeProvided = map[string]bool{"prefect": true}

// normalizeDist is PEP 503 name normalization.
func normalizeDist(name string) string {
	return strings.ToLower(distSep.ReplaceAllString(name, "-"))
}

var distSep = regexp.MustCompile(`[-_.]+`)

// importName returns how an import is named for checking and reporting:
// the top-level module, or up to three components under a namespace package.
func importName(module string) string {
	parts := strings.Split(module, ".")
	if namespaceTops[parts[0]] || dataNamespace(parts[0]) {
		return strings.Join(parts[:min(len(parts), 3)], ".")
	}
	return parts[0]
}

// requirement is one requirement line.
type requirement struct {
	file   string
	line   int
	col    int
	name   string   // normalized distribution name
	extras []string // normalized
	text   string   // the requirement as written, without comments and options
	pin    string   // the version of an exact == pin, else ""
	marker string
}

// reqFile is a parsed requirements file.
type reqFile struct {
	reqs      []requirement
	includes  []reqInclude
	anonymous bool // a line installs something without a known name (a path or URL)
	problems  []diag.ValidationError
}

type reqInclude struct {
	path      string // relative to the repository root
	line, col int
}

var reqName = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$`)
var exactPin = regexp.MustCompile(`^===?\s*([^\s,;*]+)\s*$`)

// parseRequirements reads a pip requirements file at rel.
func parseRequirements(rel string, data []byte) reqFile {
	var rf reqFile
	dir := path.Dir(rel)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	lineNo, start := 0, 0
	var logical strings.Builder
	for sc.Scan() {
		lineNo++
		raw := strings.TrimSuffix(sc.Text(), "\r")
		if logical.Len() == 0 {
			start = lineNo
		}
		if strings.HasSuffix(raw, `\`) {
			logical.WriteString(strings.TrimSuffix(raw, `\`))
			continue
		}
		logical.WriteString(raw)
		line := logical.String()
		logical.Reset()
		if i := commentStart(line); i >= 0 {
			line = line[:i]
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		col := indent + 1
		if strings.HasPrefix(line, "-") {
			opt, arg, _ := strings.Cut(line, " ")
			if o, a, ok := strings.Cut(opt, "="); ok {
				opt, arg = o, a
			}
			arg = strings.TrimSpace(arg)
			switch opt {
			case "-r", "--requirement", "-c", "--constraint":
				rf.includes = append(rf.includes, reqInclude{path: path.Join(dir, arg), line: start, col: col})
			case "-e", "--editable":
				rf.anonymous = true
			}
			continue
		}
		if strings.Contains(line, "://") && !strings.Contains(line, " @ ") || strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
			rf.anonymous = true // a URL or a local path
			continue
		}
		req, marker, _ := strings.Cut(line, ";")
		if i := strings.Index(req, " --"); i >= 0 { // per-requirement options such as --hash
			req = req[:i]
		}
		m := reqName.FindStringSubmatch(strings.TrimSpace(req))
		if m == nil {
			rf.problems = append(rf.problems, diag.New(diag.InvalidRequirement, diag.Pos{File: rel, Line: start, Column: col}, "cannot read requirement "+quoteShort(line)))
			continue
		}
		spec := strings.TrimSpace(m[3])
		if strings.HasPrefix(spec, "@") {
			rf.anonymous = true
		}
		r := requirement{file: rel, line: start, col: col, name: normalizeDist(m[1]), marker: strings.TrimSpace(marker),
			text: strings.TrimSpace(m[1] + m[2] + spec)}
		if r.marker != "" {
			r.text += "; " + r.marker
		}
		if _, extras, ok := parsePEP508(m[1] + m[2]); ok {
			r.extras = extras
		}
		if pm := exactPin.FindStringSubmatch(spec); pm != nil {
			r.pin = pm[1]
		}
		rf.reqs = append(rf.reqs, r)
	}
	return rf
}

// commentStart returns where a # comment starts (at the start of a line or
// after whitespace, as pip reads it), or -1.
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return `"` + s + `"`
}
