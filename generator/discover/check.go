package discover

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

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
	rf := parseRequirements(rel, decodeRequirements(data))
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
	searchDirs := d.searchDirs(rel)
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
	searchDirs := d.searchDirs(flowPath)
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

// searchDirs returns the folders Python may find the repository's modules
// in when it runs the file rel: the root, the file's folder, and the
// folders of its project (and src/).
func (d *discovery) searchDirs(rel string) []string {
	dir := parentDir(rel)
	if dir == "." {
		dir = ""
	}
	if sd, ok := d.search[dir]; ok {
		return sd
	}
	sd := []string{"", dir}
	for _, r := range d.projectRoots(dir) {
		if !slices.Contains(sd, r) {
			sd = append(sd, r)
		}
	}
	if d.search == nil {
		d.search = map[string][]string{}
	}
	d.search[dir] = sd
	return sd
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

// depScope is what is installed with a flow: its requirements files and
// its project (with its workspace root and lock file).
type depScope struct {
	key      string
	reqFiles []string
	project  *Project
	sources  []string        // the files that declare what is installed, for messages
	provided map[string]bool // normalized distributions
	// localImports are the top-level modules the repository's own
	// projects that are dependencies (path, workspace) provide.
	localImports map[string]bool
	anonymous    bool   // something without a known name is installed
	target       string // where a missing distribution is added
}

func (sc *depScope) covered() bool { return len(sc.reqFiles) > 0 || sc.project != nil }

// scopeOf returns the dependency scope of a flow, built once per set of
// files.
func (d *discovery) scopeOf(f *FlowMetadata, projs []*pyProject) *depScope {
	key := strings.Join(f.RequirementsFiles, "\x00")
	if f.Project != nil {
		key += "\x01" + f.Project.File + "\x01" + f.Project.Workspace + "\x01" + f.Project.Lock
	}
	if sc, ok := d.scopes[key]; ok {
		return sc
	}
	sc := &depScope{key: key, reqFiles: f.RequirementsFiles, project: f.Project, provided: map[string]bool{}, localImports: map[string]bool{}}
	provide := func(name string, extras []string) {
		sc.provided[name] = true
		for _, e := range extras {
			for _, x := range extraDists(name, e) {
				sc.provided[normalizeDist(x)] = true
			}
		}
	}
	for _, rel := range f.RequirementsFiles {
		if rf := d.reqFile(rel); rf != nil {
			sc.anonymous = sc.anonymous || rf.anonymous
			for _, r := range rf.reqs {
				provide(r.name, r.extras)
			}
		}
	}
	for _, p := range projs {
		sc.sources = append(sc.sources, p.rel)
		if p.name != "" {
			sc.provided[p.name] = true
		}
		for _, dn := range p.declared {
			provide(dn.name, dn.extras)
		}
		d.localProvides(p, sc, map[string]bool{})
	}
	if f.Project != nil && f.Project.Lock != "" {
		for _, n := range d.lockPackages(f.Project.Lock) {
			sc.provided[n] = true
		}
	}
	withRequirements(sc.provided) // what the declared distributions require comes with them
	sc.sources = append(slices.Clone(f.RequirementsFiles), sc.sources...)
	switch {
	case len(f.RequirementsFiles) > 0:
		sc.target = f.RequirementsFiles[0]
	case f.Project != nil:
		sc.target = f.Project.File
	default:
		sc.target = path.Join(f.Folder, "requirements.txt")
	}
	if d.scopes == nil {
		d.scopes = map[string]*depScope{}
	}
	d.scopes[key] = sc
	return sc
}

// findings gathers the problems reported once per root cause rather than
// once per flow or per copy.
type findings struct {
	missing map[missingKey]*missingGroup // one per distribution and dependency scope
	noReq   map[string][]int             // flows by folder, with the imports nothing declares
	noReqOf map[int][]string
}

// missingKey groups an uncovered import by dependency scope and the
// distribution that would provide it.
type missingKey struct{ scope, dist string }

type missingGroup struct {
	scope *depScope
	dist  string
	sites []thirdParty
	flows []int
	// local are the repository's files that are the module, in folders
	// not on the flows' import path: not a distribution to add.
	local []string
}

// noteModule records the module a repository file would be, were its
// folder on the import path.
func (d *discovery) noteModule(rel string) {
	dir, name := path.Split(rel)
	name = strings.TrimSuffix(name, ".py")
	if name == "__init__" {
		if dir == "" {
			return
		}
		name = path.Base(dir)
	}
	if !isIdentifier(name) {
		return
	}
	d.modules[name] = append(d.modules[name], rel)
}

// projectModule reports whether a module file (name.py, name/__init__.py)
// is a package of one of the repository's projects: at the top of a
// folder with a pyproject.toml, setup.py or setup.cfg, or of its src/.
// Installing that project provides it: a distribution, not a stray module.
func (d *discovery) projectModule(rel string) bool {
	dir := parentDir(rel)
	if path.Base(rel) == "__init__.py" {
		dir = parentDir(dir)
	}
	roots := []string{dir}
	if path.Base(dir) == "src" {
		roots = append(roots, parentDir(dir))
	}
	for _, root := range roots {
		for _, f := range []string{"pyproject.toml", "setup.py", "setup.cfg"} {
			if d.isFile(path.Join(root, f)) {
				return true
			}
		}
	}
	return false
}

// isIdentifier reports whether s is an ASCII Python identifier.
func isIdentifier(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// checkFlow checks the flow i's dependencies and returns its errors;
// what is missing goes to acc, to be reported once per root cause.
func (d *discovery) checkFlow(i int, projs []*pyProject, acc *findings) []diag.ValidationError {
	f := &d.res.Flows[i]
	var errs []diag.ValidationError
	for _, p := range f.problems {
		if p.Severity == diag.Error {
			errs = append(errs, p)
		}
	}
	if !f.Deployable {
		return errs // not installed on its own: nothing to check
	}
	sc := d.scopeOf(f, projs)
	errs = append(errs, d.conflictingPins(f)...)
	var needed []thirdParty
	for _, t := range d.thirdParty(f.Path) {
		if !runtimeProvides(t.name) {
			needed = append(needed, t)
		}
	}
	if !sc.covered() {
		if len(needed) > 0 {
			folder := f.Folder
			acc.noReq[folder] = append(acc.noReq[folder], i)
			for _, t := range needed {
				acc.noReqOf[i] = append(acc.noReqOf[i], t.name)
			}
		}
		return errs
	}
	if sc.anonymous {
		return errs
	}
	for _, t := range needed {
		if sc.localImports[strings.Split(t.name, ".")[0]] || slices.ContainsFunc(candidateDists(t.name), func(c string) bool { return sc.provided[c] }) {
			continue
		}
		top, _, _ := strings.Cut(t.name, ".")
		local := slices.DeleteFunc(slices.Clone(d.modules[top]), d.projectModule)
		k := missingKey{sc.key, suggestedDist(t.name)}
		if len(local) > 0 {
			k.dist = "./" + top // the repository's own module: not a distribution
		}
		g := acc.missing[k]
		if g == nil {
			g = &missingGroup{scope: sc, dist: k.dist, local: slices.Sorted(slices.Values(local))}
			acc.missing[k] = g
		}
		if !slices.Contains(g.sites, t) {
			g.sites = append(g.sites, t)
		}
		if !slices.Contains(g.flows, i) {
			g.flows = append(g.flows, i)
		}
	}
	return errs
}

// runtimeProvides reports whether every deployment has the import: prefect
// itself and the distributions the pinned prefect installs.
func runtimeProvides(imp string) bool {
	if runtimeProvided[strings.Split(imp, ".")[0]] {
		return true
	}
	return slices.ContainsFunc(candidateDists(imp), prefectProvides)
}

// conflictingPins reports requirements files of one flow that pin a
// distribution to different versions.
func (d *discovery) conflictingPins(f *FlowMetadata) []diag.ValidationError {
	var errs []diag.ValidationError
	type pinKey struct{ name, marker string }
	pins := map[pinKey]requirement{}
	for _, rel := range f.RequirementsFiles {
		rf := d.reqFile(rel)
		if rf == nil {
			continue
		}
		for _, r := range rf.reqs {
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
	return errs
}

// report reports what checkFlow gathered: each missing distribution once
// per dependency scope, at its first import, and each folder whose flows
// have no requirements once, at its first flow. The flows' own error
// lists get an entry at the same position.
func (d *discovery) report(acc *findings, flowErrs [][]diag.ValidationError) {
	for _, k := range slices.SortedFunc(maps.Keys(acc.missing), func(a, b missingKey) int {
		return cmp.Or(cmp.Compare(a.scope, b.scope), cmp.Compare(a.dist, b.dist))
	}) {
		g := acc.missing[k]
		slices.SortFunc(g.sites, func(a, b thirdParty) int {
			return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
		})
		first := g.sites[0]
		verb := "installs"
		if len(g.scope.sources) > 1 {
			verb = "install"
		}
		code := diag.MissingDependency
		msg := fmt.Sprintf("import %s is not provided by %s, which %s; add %s to %s",
			first.name, joinFiles(g.scope.sources), d.flowList(g.flows, verb), g.dist, g.scope.target)
		flowMsg := fmt.Sprintf("imports %s, which %s does not declare", first.name, joinFiles(g.scope.sources))
		if len(g.local) > 0 {
			code = diag.LocalModuleNotOnPath
			top, _, _ := strings.Cut(first.name, ".")
			where := g.local[0]
			if len(g.local) > 1 {
				where += fmt.Sprintf(" (and %d more)", len(g.local)-1)
			}
			msg = fmt.Sprintf("import %s names the repository's own module %s, which is not on the import path of %s (%s); import it by its path from the repository root, or move it beside the flow: it is not a distribution to add to %s",
				top, where, d.flowList(g.flows, ""), d.pathList(d.res.Flows[g.flows[0]].Path), g.scope.target)
			flowMsg = fmt.Sprintf("imports %s, the repository's own module %s, which is not on its import path", top, g.local[0])
		}
		if more := g.sites[1:]; len(more) > 0 {
			var at []string
			for _, s := range more[:min(len(more), 3)] {
				at = append(at, fmt.Sprintf("%s:%d", s.file, s.line))
			}
			if len(more) > 3 {
				at = append(at, fmt.Sprintf("%d more", len(more)-3))
			}
			msg += " (also imported at " + strings.Join(at, ", ") + ")"
		}
		p := diag.New(code, diag.Pos{File: first.file, Line: first.line, Column: first.col}, msg)
		d.res.Validation.Add(p)
		for _, i := range g.flows {
			e := p
			e.Message = flowMsg
			flowErrs[i] = append(flowErrs[i], e)
		}
	}
	for _, folder := range slices.Sorted(maps.Keys(acc.noReq)) {
		idx := acc.noReq[folder]
		var imports []string
		for _, i := range idx {
			imports = append(imports, acc.noReqOf[i]...)
		}
		slices.Sort(imports)
		imports = slices.Compact(imports)
		elsewhere := d.declaredElsewhere(imports)
		f := d.res.Flows[idx[0]]
		if len(imports) > 5 {
			imports = append(imports[:5], fmt.Sprintf("%d more", len(imports)-5))
		}
		msg := fmt.Sprintf("no requirements.txt or pyproject.toml in %s or any folder above it declares what %s import%s: %s",
			relOrDot(folder), d.flowList(idx, ""), map[bool]string{true: "s", false: ""}[len(idx) == 1], strings.Join(imports, ", "))
		if len(elsewhere) > 0 {
			verb := "declares"
			if len(elsewhere) > 1 {
				verb = "declare"
			}
			msg += fmt.Sprintf("; %s %s some of them but %s neither beside nor above the flows, so it is not installed with them: move it, or include it (-r) from a requirements.txt beside or above them",
				joinFiles(elsewhere), verb, map[bool]string{true: "are", false: "is"}[len(elsewhere) > 1])
		}
		d.res.Validation.Add(diag.New(diag.NoRequirements, diag.Pos{File: f.Path, Line: f.Line, Column: f.Column}, msg))
	}
}

// pathList names the folders Python finds the repository's modules in when
// it runs the flow file rel: the repository root, the file's folder, its
// project's folders.
func (d *discovery) pathList(rel string) string {
	var out []string
	for _, dir := range d.searchDirs(rel) {
		if dir == "" {
			out = append(out, "the repository root")
		} else {
			out = append(out, dir+"/")
		}
	}
	out = slices.Compact(out)
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// declaredElsewhere returns the repository's requirements.txt files (at
// most 3) that declare one of the imports: files that would cover flows
// without requirements, were they beside or above them.
func (d *discovery) declaredElsewhere(imports []string) []string {
	var out []string
	for _, rel := range d.reqsSeen {
		// read here, not through reqFile: a file no flow installs gets no
		// findings of its own
		data, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		rf := parseRequirements(rel, decodeRequirements(data))
		provided := map[string]bool{}
		for _, r := range rf.reqs {
			provided[r.name] = true
			for _, e := range r.extras {
				for _, x := range extraDists(r.name, e) {
					provided[normalizeDist(x)] = true
				}
			}
		}
		withRequirements(provided)
		if slices.ContainsFunc(imports, func(imp string) bool {
			return slices.ContainsFunc(candidateDists(imp), func(c string) bool { return provided[c] })
		}) {
			out = append(out, rel)
			if len(out) == 3 {
				break
			}
		}
	}
	return out
}

// flowList names flows for a message: flow "a", or flows "a", "b" and 3 more.
func (d *discovery) flowList(idx []int, verb string) string {
	var names []string
	for _, i := range idx {
		names = append(names, strconv.Quote(d.res.Flows[i].Name))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	s := "flow " + names[0]
	if len(names) > 1 {
		shown := names[:min(len(names), 4)]
		s = "flows " + strings.Join(shown, ", ")
		if len(names) > 4 {
			s += fmt.Sprintf(" and %d more", len(names)-4)
		}
	}
	if verb == "" {
		return s
	}
	return verb + " " + s
}

func joinFiles(fs []string) string {
	switch len(fs) {
	case 0:
		return "no file"
	case 1:
		return fs[0]
	}
	return strings.Join(fs[:len(fs)-1], ", ") + " and " + fs[len(fs)-1]
}

// duplicates reports the Prefect names that several flows share: Prefect
// would merge their deployments. Flows made from one function
// (with_options copies) are one flow to Prefect and do not count. A name
// whose flows have the same code is a copy (a copied file or folder):
// copies between the same folders are reported once, naming every flow;
// different flows sharing a name are reported once per name. Subflows
// (flows another flow calls) do not count: they get no deployments unless
// the configuration asks, and the generator checks that case.
func (d *discovery) duplicates(flowErrs [][]diag.ValidationError) {
	byName := map[string][]int{}
	var order []string
	for i, f := range d.res.Flows {
		if !f.Deployable || len(f.CalledBy) > 0 || f.nameUnknown != "" || f.nameExpr != nil {
			continue
		}
		if _, ok := byName[f.Name]; !ok {
			order = append(order, f.Name)
		}
		byName[f.Name] = append(byName[f.Name], i)
	}
	type copyGroup struct {
		flows [][]int // per name, the flows
		names []string
	}
	copies := map[string]*copyGroup{}
	var copyOrder []string
	report := func(at FlowMetadata, msg string, flows []int, short string) {
		p := diag.New(diag.DuplicateFlowName, diag.Pos{File: at.Path, Line: at.Line, Column: at.Column}, msg)
		d.res.Validation.Add(p)
		for _, i := range flows {
			e := p
			e.Message = short
			flowErrs[i] = append(flowErrs[i], e)
		}
	}
	for _, name := range order {
		origins := map[string]bool{}
		var distinct []int
		for _, i := range byName[name] {
			if o := d.res.Flows[i].origin; !origins[o] {
				origins[o] = true
				distinct = append(distinct, i)
			}
		}
		if len(distinct) < 2 {
			continue
		}
		same := true
		var folders []string
		for _, i := range distinct {
			same = same && d.res.Flows[i].code == d.res.Flows[distinct[0]].code
			folders = append(folders, relOrDot(d.res.Flows[i].Folder))
		}
		if same {
			slices.Sort(folders)
			key := strings.Join(folders, "\x00")
			g := copies[key]
			if g == nil {
				g = &copyGroup{}
				copies[key] = g
				copyOrder = append(copyOrder, key)
			}
			g.flows = append(g.flows, distinct)
			g.names = append(g.names, strconv.Quote(name))
			continue
		}
		at := d.res.Flows[distinct[1]]
		var others []string
		for _, i := range distinct {
			if i != distinct[1] {
				f := d.res.Flows[i]
				others = append(others, fmt.Sprintf("%s:%d", f.Path, f.Line))
			}
		}
		msg := fmt.Sprintf("flow name %q is also used by %s; Prefect would merge their deployments", name, joinFiles(others))
		if len(others) > 4 {
			msg = fmt.Sprintf("flow name %q is also used by %d other flows (%s and more); Prefect would merge their deployments", name, len(others), strings.Join(others[:4], ", "))
		}
		report(at, msg, distinct, fmt.Sprintf("flow name %q is used by %d flows", name, len(distinct)))
	}
	for _, key := range copyOrder {
		g := copies[key]
		first := g.flows[0]
		at := d.res.Flows[first[1]]
		var where []string
		for _, i := range first {
			if i != first[1] {
				f := d.res.Flows[i]
				where = append(where, fmt.Sprintf("%s:%d", f.Path, f.Line))
			}
		}
		what := "flow " + g.names[0]
		if len(g.names) > 1 {
			shown := g.names[:min(len(g.names), 4)]
			what = fmt.Sprintf("%d flows (%s", len(g.names), strings.Join(shown, ", "))
			if len(g.names) > 4 {
				what += ", ..."
			}
			what += ")"
		}
		places := slices.Compact(strings.Split(key, "\x00"))
		if len(places) == 1 { // copies within one folder: name the files
			places = nil
			for _, i := range first {
				places = append(places, d.res.Flows[i].Path)
			}
		}
		msg := fmt.Sprintf("%s copied with the same code in %s; Prefect would merge the copies' deployments (the first copy is at %s)",
			what, joinFiles(places), joinFiles(where))
		var all []int
		for _, fl := range g.flows {
			all = append(all, fl...)
		}
		report(at, msg, all, "the flow is copied with the same name and code in "+joinFiles(places))
	}
}

// decodeRequirements decodes a requirements file as pip does: UTF-16 when
// it starts with a UTF-16 byte order mark (Windows editors and PowerShell's
// redirection write such files), else as is, without a UTF-8 one.
func decodeRequirements(b []byte) []byte {
	var order binary.ByteOrder
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		order = binary.LittleEndian
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		order = binary.BigEndian
	default:
		return trimBOM(b)
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 2; i+1 < len(b); i += 2 {
		u = append(u, order.Uint16(b[i:]))
	}
	return []byte(string(utf16.Decode(u)))
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return b[3:]
	}
	return b
}
