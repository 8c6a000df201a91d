package discover

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"prefectgen/diag"
)

// thirdParty is one import of a module from outside the repository.
type thirdParty struct {
	name      string // as returned by importName
	file      string
	line, col int
}

// requirements returns the requirements files installed for a flow in
// folder dir (requirements.txt there and in each folder above it, and
// what they include) and their requirement lines.
func (d *discovery) requirements(dir string) (files, deps []string) {
	seen := map[string]bool{}
	var visit func(rel string)
	visit = func(rel string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		rf := d.reqFile(rel)
		if rf == nil {
			return
		}
		files = append(files, rel)
		for _, r := range rf.reqs {
			deps = append(deps, r.text)
		}
		for _, inc := range rf.includes {
			if d.isFile(inc.path) {
				visit(inc.path)
			}
		}
	}
	for {
		if rel := path.Join(dir, "requirements.txt"); d.isFile(rel) {
			visit(rel)
		}
		if dir == "" {
			break
		}
		dir = parentDir(dir)
	}
	deps = dedupe(deps)
	if files == nil {
		files = []string{}
	}
	return files, deps
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// reqFile parses a requirements file once; nil when it cannot be read.
func (d *discovery) reqFile(rel string) *reqFile {
	if rf, ok := d.reqs[rel]; ok {
		return rf
	}
	data, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
	if err != nil {
		d.reqs[rel] = nil
		d.res.Validation.Add(unreadable(rel, err))
		return nil
	}
	rf := parseRequirements(rel, data)
	for _, p := range rf.problems {
		d.res.Validation.Add(p)
	}
	for _, inc := range rf.includes {
		if !d.isFile(inc.path) {
			d.res.Validation.Add(diag.New(diag.MissingRequirementsInclude, diag.Pos{File: rel, Line: inc.line, Column: inc.col}, "included file "+inc.path+" does not exist"))
		}
	}
	d.reqs[rel] = &rf
	return &rf
}

// closure follows the repository modules that the flow's file imports,
// transitively, and returns them and the third-party modules imported
// along the way.
func (d *discovery) closure(flowPath string) (local []string, imports []string) {
	tps := d.thirdParty(flowPath)
	names := []string{}
	for _, t := range tps {
		names = append(names, t.name)
	}
	slices.Sort(names)
	local = []string{}
	for _, f := range d.localFiles(flowPath) {
		if f != flowPath {
			local = append(local, f)
		}
	}
	return local, slices.Compact(names)
}

// localFiles returns the repository files reachable by imports from rel,
// rel included, sorted.
func (d *discovery) localFiles(rel string) []string {
	if out, ok := d.local[rel]; ok {
		return out
	}
	if d.local == nil {
		d.local = map[string][]string{}
	}
	seen := map[string]bool{rel: true}
	queue := []string{rel}
	searchDirs := []string{"", path.Dir(rel)}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, imp := range d.parsed(f).imports {
			for _, lf := range d.resolveLocal(f, imp, searchDirs) {
				if !seen[lf] {
					seen[lf] = true
					queue = append(queue, lf)
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	d.local[rel] = out
	return out
}

// thirdParty returns the imports of modules from outside the repository
// made by the flow's file and the repository files it reaches.
func (d *discovery) thirdParty(flowPath string) []thirdParty {
	if tp, ok := d.third[flowPath]; ok {
		return tp
	}
	if d.third == nil {
		d.third = map[string][]thirdParty{}
	}
	var out []thirdParty
	defer func() { d.third[flowPath] = out }()
	searchDirs := []string{"", path.Dir(flowPath)}
	for _, f := range d.localFiles(flowPath) {
		for _, imp := range d.parsed(f).imports {
			if imp.level > 0 || imp.module == "" {
				continue
			}
			top, _, _ := strings.Cut(imp.module, ".")
			if _, local := d.localBase(imp.module, searchDirs); stdlib[top] || local {
				continue
			}
			if namespaceTops[top] && strings.Count(imp.module, ".") < 2 && len(imp.names) > 0 {
				for _, n := range imp.names { // from google.cloud import storage
					out = append(out, thirdParty{name: importName(imp.module + "." + n), file: f, line: imp.line, col: imp.col})
				}
				continue
			}
			out = append(out, thirdParty{name: importName(imp.module), file: f, line: imp.line, col: imp.col})
		}
	}
	return out
}

// parsed returns the parse of a repository file, parsing it now if the
// scan skipped it; a file that cannot be read or parsed has no imports.
func (d *discovery) parsed(rel string) *parsedFile {
	if pf, ok := d.files[rel]; ok {
		return pf
	}
	if d.pp == nil {
		d.pp = newPyParser()
	}
	pf := d.parseImports(d.pp, rel)
	d.files[rel] = pf
	return pf
}

// localBase returns the search folder in which a dotted module is the
// repository's own: a module file, a regular package, or a namespace
// package (a folder without __init__.py) whose path leads to Python code.
// A folder that merely shares the name (a yaml/ of configuration files)
// does not shadow an installed distribution, as in Python.
func (d *discovery) localBase(module string, searchDirs []string) (string, bool) {
	parts := strings.Split(module, ".")
	for _, dir := range searchDirs {
		if d.isFile(path.Join(dir, parts[0]+".py")) {
			return dir, true
		}
		cur := path.Join(dir, parts[0])
		if !d.isDir(cur) {
			continue
		}
		if d.isFile(path.Join(cur, "__init__.py")) || d.hasPython(cur) {
			return dir, true
		}
		for _, p := range parts[1:] {
			if d.isFile(path.Join(cur, p+".py")) || d.isFile(path.Join(cur, p, "__init__.py")) {
				return dir, true
			}
			cur = path.Join(cur, p)
			if !d.isDir(cur) {
				break
			}
			if d.hasPython(cur) {
				return dir, true
			}
		}
	}
	return "", false
}

// hasPython reports whether a folder holds a Python file directly (a
// regular or namespace package).
func (d *discovery) hasPython(dir string) bool {
	key := dir + "/*.py"
	if v, ok := d.exists[key]; ok {
		return v
	}
	v := slices.ContainsFunc(d.listDir(dir), func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), ".py") })
	d.exists[key] = v
	return v
}

// resolveLocal returns the repository files an import executes: the
// packages' __init__.py files along the way and the module itself.
func (d *discovery) resolveLocal(from string, imp importRef, searchDirs []string) []string {
	var bases []string
	if imp.level > 0 {
		base := path.Dir(from)
		for i := 1; i < imp.level; i++ {
			base = parentDir(base)
		}
		if base == "." {
			base = ""
		}
		bases = []string{base}
	} else {
		if imp.module == "" {
			return nil
		}
		top, _, _ := strings.Cut(imp.module, ".")
		if stdlib[top] {
			return nil
		}
		if base, ok := d.localBase(imp.module, searchDirs); ok {
			bases = []string{base}
		}
	}
	if len(bases) == 0 {
		return nil
	}
	var parts []string
	if imp.module != "" {
		parts = strings.Split(imp.module, ".")
	}
	var out []string
	cur := bases[0]
	ok := true
	for _, p := range parts {
		next := path.Join(cur, p)
		switch init := path.Join(next, "__init__.py"); {
		case d.isFile(init): // a regular package
			out = append(out, init)
			cur = next
			continue
		case d.isFile(next + ".py"): // a module
			out = append(out, next+".py")
		case d.isDir(next): // a namespace package
			cur = next
			continue
		}
		ok = false
		break
	}
	if ok { // the module is a package: from-imported names may be submodules
		for _, n := range imp.names {
			if f := path.Join(cur, n+".py"); d.isFile(f) {
				out = append(out, f)
			} else if init := path.Join(cur, n, "__init__.py"); d.isFile(init) {
				out = append(out, init)
			}
		}
		if init := path.Join(cur, "__init__.py"); imp.level > 0 && len(parts) == 0 && d.isFile(init) {
			out = append(out, init)
		}
	}
	return out
}

// missingKey groups one uncovered import by where it is written.
type missingKey struct {
	file      string
	line, col int
	name      string
}

// checkFlow checks a flow's dependencies and returns its errors; missing
// imports are collected in missing, to be reported once per import.
func (d *discovery) checkFlow(f *FlowMetadata, missing map[missingKey][]*FlowMetadata) []diag.ValidationError {
	var errs []diag.ValidationError
	for _, p := range f.problems {
		if p.Severity == diag.Error {
			errs = append(errs, p)
		}
	}
	if len(f.RequirementsFiles) == 0 {
		d.res.Validation.Add(diag.New(diag.NoRequirements, diag.Pos{File: f.Path, Line: f.Line, Column: f.Column},
			fmt.Sprintf("no requirements.txt found for flow %q in %s or any folder above it", f.Name, relOrDot(f.Folder))))
	}
	provided := map[string]bool{}
	anonymous := false
	type pinKey struct{ name, marker string }
	pins := map[pinKey]requirement{}
	for _, rel := range f.RequirementsFiles {
		rf := d.reqFile(rel)
		if rf == nil {
			continue
		}
		anonymous = anonymous || rf.anonymous
		for _, r := range rf.reqs {
			provided[r.name] = true
			if r.pin == "" {
				continue
			}
			k := pinKey{r.name, r.marker}
			first, ok := pins[k]
			if !ok {
				pins[k] = r
				continue
			}
			if first.pin != r.pin {
				p := diag.New(diag.ConflictingPins, diag.Pos{File: r.file, Line: r.line, Column: r.col},
					fmt.Sprintf("%s pins %s==%s, but %s:%d pins %s==%s; both are installed for the flows in %s",
						r.file, r.name, r.pin, first.file, first.line, first.name, first.pin, relOrDot(f.Folder)))
				d.res.Validation.Add(p)
				errs = append(errs, p)
			}
		}
	}
	if anonymous || len(f.RequirementsFiles) == 0 {
		return errs
	}
	for _, t := range d.thirdParty(f.Path) {
		if runtimeProvided[strings.Split(t.name, ".")[0]] {
			continue
		}
		covered := false
		for _, c := range candidateDists(t.name) {
			if provided[c] {
				covered = true
				break
			}
		}
		if !covered {
			k := missingKey{t.file, t.line, t.col, t.name}
			if !slices.Contains(missing[k], f) {
				missing[k] = append(missing[k], f)
			}
			errs = append(errs, diag.ValidationError{Code: diag.MissingDependency, Message: fmt.Sprintf("imports %s, which no requirements file provides", t.name)})
		}
	}
	return errs
}

// reportMissing reports each uncovered import once, naming every flow it
// affects.
func (d *discovery) reportMissing(missing map[missingKey][]*FlowMetadata) {
	for k, flows := range missing {
		var names []string
		for _, f := range flows {
			names = append(names, fmt.Sprintf("%q", f.Name))
		}
		sort.Strings(names)
		target := path.Join(flows[0].Folder, "requirements.txt")
		if len(flows[0].RequirementsFiles) > 0 {
			target = flows[0].RequirementsFiles[0]
		}
		who := "flow " + names[0]
		if len(names) > 1 {
			who = "flows " + strings.Join(names, ", ")
		}
		p := diag.New(diag.MissingDependency, diag.Pos{File: k.file, Line: k.line, Column: k.col},
			fmt.Sprintf("import %s is not provided by the requirements of %s; add %s to %s", k.name, who, suggestedDist(k.name), target))
		d.res.Validation.Add(p)
	}
}

// duplicates reports flows that share a Prefect name.
func (d *discovery) duplicates(flowErrs [][]diag.ValidationError) {
	first := map[string]int{}
	for i, f := range d.res.Flows {
		if !f.Deployable {
			continue
		}
		if a, ok := f.Decorator["name"]; ok && !a.Literal {
			continue
		}
		j, seen := first[f.Name]
		if !seen {
			first[f.Name] = i
			continue
		}
		g := d.res.Flows[j]
		p := diag.New(diag.DuplicateFlowName, diag.Pos{File: f.Path, Line: f.Line, Column: f.Column},
			fmt.Sprintf("flow name %q is also used by %s at %s:%d; Prefect would merge their deployments", f.Name, g.Entrypoint, g.Path, g.Line))
		d.res.Validation.Add(p)
		flowErrs[i] = append(flowErrs[i], p)
		flowErrs[j] = append(flowErrs[j], diag.ValidationError{Code: diag.DuplicateFlowName, Message: fmt.Sprintf("flow name %q is also used by %s", f.Name, f.Entrypoint)})
	}
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return b[3:]
	}
	return b
}
