package discover

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"prefectgen/diag"

	toml "github.com/pelletier/go-toml/v2"
	yaml "go.yaml.in/yaml/v3"
)

// Project is the Python project a flow is installed with: the nearest
// pyproject.toml above the flow that declares a project ([project] or
// [tool.poetry]), or a Pipfile or conda environment.yml.
type Project struct {
	// File is the project's file: pyproject.toml, Pipfile or environment.yml.
	File string `json:"file"`
	// Name is the project's name, "" when it has none.
	Name string `json:"name"`
	// Tool is "uv" (a uv.lock, or a member of a uv workspace), "poetry",
	// "pep621" (a pyproject.toml without a lock), "pipenv" or "conda".
	Tool string `json:"tool"`
	// Lock is the lock file that pins the project's environment: the
	// uv.lock of the project or of its workspace, poetry.lock or
	// Pipfile.lock; "" when there is none.
	Lock string `json:"lock"`
	// Workspace is the pyproject.toml of the uv workspace the project is a
	// member of; "" when it is not a member.
	Workspace string `json:"workspace"`
	// LocalProjects are the folders of the repository's own projects
	// (with a pyproject.toml) the project depends on, transitively, sorted:
	// uv workspace members and path dependencies.
	LocalProjects []string `json:"local_projects"`
}

// pyProject is a parsed project file.
type pyProject struct {
	rel  string // the file
	dir  string
	name string // normalized; "" when it has none
	tool string
	// isProject is false for a pyproject.toml that only configures tools
	// (no [project], no [tool.poetry]): it declares no dependencies.
	isProject bool
	// main are the requirements installed by default, as written;
	// declared is every distribution the file names, in any group or
	// extra, normalized, with what its extras bring.
	main     []string
	declared []depName
	// members and exclude are the globs of [tool.uv.workspace].
	members, exclude []string
	// localPaths are the folders of path dependencies (uv and Poetry
	// sources, Pipfile paths), relative to the root; workspaceDeps are the
	// dependencies taken from the uv workspace, normalized.
	localPaths    []string
	workspaceDeps []string
}

// depName is a declared distribution and the extras it asks for.
type depName struct {
	name   string // normalized
	extras []string
}

// pyprojectFile is the part of pyproject.toml that tells dependencies.
type pyprojectFile struct {
	Project *struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry *struct {
			Name            string         `toml:"name"`
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
		UV struct {
			DevDependencies []string       `toml:"dev-dependencies"`
			Sources         map[string]any `toml:"sources"`
			Workspace       *struct {
				Members []string `toml:"members"`
				Exclude []string `toml:"exclude"`
			} `toml:"workspace"`
		} `toml:"uv"`
	} `toml:"tool"`
}

// pipfile is the part of a Pipfile that tells dependencies.
type pipfile struct {
	Packages    map[string]any `toml:"packages"`
	DevPackages map[string]any `toml:"dev-packages"`
}

// lockFile is the part of uv.lock and poetry.lock this reads: the
// packages they pin.
type lockFile struct {
	Package []struct {
		Name string `toml:"name"`
	} `toml:"package"`
}

// projectFiles are the files that make a folder a project, nearest first
// in each folder.
var projectFiles = []string{"pyproject.toml", "Pipfile", "environment.yml", "environment.yaml"}

// project returns the parsed project file rel, once; nil when it cannot be
// read (reported).
func (d *discovery) project(rel string) *pyProject {
	if p, ok := d.projects[rel]; ok {
		return p
	}
	if d.projects == nil {
		d.projects = map[string]*pyProject{}
	}
	data, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
	if err != nil {
		d.projects[rel] = nil
		d.res.Validation.Add(unreadable(rel, err))
		return nil
	}
	p, probs := parseProject(rel, data)
	d.res.Validation.Merge(probs...)
	d.projects[rel] = p
	return p
}

// parseProject reads a pyproject.toml, Pipfile or environment.yml.
func parseProject(rel string, data []byte) (*pyProject, []diag.ValidationError) {
	p := &pyProject{rel: rel, dir: parentDir(rel)}
	if p.dir == "." {
		p.dir = ""
	}
	var probs []diag.ValidationError
	bad := func(line, col int, msg string) {
		probs = append(probs, diag.New(diag.InvalidRequirement, diag.Pos{File: rel, Line: line, Column: col}, msg))
	}
	add := func(req string, main bool) {
		name, extras, ok := parsePEP508(req)
		if !ok {
			bad(0, 0, "cannot read dependency "+quoteShort(req))
			return
		}
		p.declared = append(p.declared, depName{name: name, extras: extras})
		if main {
			p.main = append(p.main, strings.TrimSpace(req))
		}
	}
	addTable := func(deps map[string]any, main bool) { // Poetry and Pipfile: name = spec
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			if strings.EqualFold(name, "python") {
				continue
			}
			dn := depName{name: normalizeDist(name)}
			spec := ""
			switch v := deps[name].(type) {
			case string:
				spec = v
			case map[string]any:
				dn.extras = anyStrings(v["extras"])
				if s, ok := v["version"].(string); ok {
					spec = s
				}
				p.source(v)
			case []any: // several constraints
				for _, c := range v {
					if m, ok := c.(map[string]any); ok {
						dn.extras = append(dn.extras, anyStrings(m["extras"])...)
					}
				}
			}
			p.declared = append(p.declared, dn)
			if main {
				req := name
				if len(dn.extras) > 0 {
					req += "[" + strings.Join(dn.extras, ",") + "]"
				}
				if spec != "" && spec != "*" {
					req += " " + spec
				}
				p.main = append(p.main, req)
			}
		}
	}
	switch base := path.Base(rel); base {
	case "pyproject.toml":
		var f pyprojectFile
		if err := toml.Unmarshal(data, &f); err != nil {
			line, col := 0, 0
			var de *toml.DecodeError
			if errors.As(err, &de) {
				line, col = de.Position()
			}
			bad(line, col, "cannot read pyproject.toml: "+err.Error())
			return p, probs
		}
		p.tool = "pep621"
		if f.Project != nil {
			p.isProject = true
			p.name = normalizeDist(f.Project.Name)
			for _, r := range f.Project.Dependencies {
				add(r, true)
			}
			for _, extra := range slices.Sorted(maps.Keys(f.Project.OptionalDependencies)) {
				for _, r := range f.Project.OptionalDependencies[extra] {
					add(r, false)
				}
			}
		}
		for _, g := range slices.Sorted(maps.Keys(f.DependencyGroups)) {
			for _, r := range f.DependencyGroups[g] {
				if s, ok := r.(string); ok { // else {include-group = "..."}: every group is read anyway
					add(s, false)
				}
			}
		}
		for _, r := range f.Tool.UV.DevDependencies {
			add(r, false)
		}
		if po := f.Tool.Poetry; po != nil {
			p.isProject, p.tool = true, "poetry"
			if p.name == "" {
				p.name = normalizeDist(po.Name)
			}
			addTable(po.Dependencies, true)
			addTable(po.DevDependencies, false)
			for _, g := range slices.Sorted(maps.Keys(po.Group)) {
				addTable(po.Group[g].Dependencies, false)
			}
		}
		if ws := f.Tool.UV.Workspace; ws != nil {
			p.members, p.exclude = ws.Members, ws.Exclude
		}
		for _, name := range slices.Sorted(maps.Keys(f.Tool.UV.Sources)) {
			if !slices.ContainsFunc(p.declared, func(dn depName) bool { return dn.name == normalizeDist(name) }) {
				continue // uv reads a source only for a dependency the project declares
			}
			if src, ok := f.Tool.UV.Sources[name].(map[string]any); ok {
				if ws, _ := src["workspace"].(bool); ws {
					p.workspaceDeps = append(p.workspaceDeps, normalizeDist(name))
				}
				p.source(src)
			}
		}
	case "Pipfile":
		var f pipfile
		if err := toml.Unmarshal(data, &f); err != nil {
			bad(0, 0, "cannot read Pipfile: "+err.Error())
			return p, probs
		}
		p.isProject, p.tool = true, "pipenv"
		addTable(f.Packages, true)
		addTable(f.DevPackages, false)
	default: // a conda environment.yml
		var f struct {
			Name         string `yaml:"name"`
			Dependencies []any  `yaml:"dependencies"`
		}
		if err := yaml.Unmarshal(data, &f); err != nil {
			bad(0, 0, "cannot read "+base+": "+err.Error())
			return p, probs
		}
		p.isProject, p.tool = true, "conda"
		for _, dep := range f.Dependencies {
			switch v := dep.(type) {
			case string:
				if _, spec, ok := strings.Cut(v, "::"); ok { // channel::name
					v = spec
				}
				name := condaName.FindString(v)
				if name != "" && name != "python" && name != "pip" {
					p.declared = append(p.declared, depName{name: normalizeDist(name)})
					p.main = append(p.main, v)
				}
			case map[string]any:
				for _, r := range anyStrings(v["pip"]) {
					add(r, true)
				}
			}
		}
	}
	return p, probs
}

// condaName is the name at the start of a conda package spec (numpy>=1.26).
var condaName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// source records the folder of a path dependency ({path = "../x"}).
func (p *pyProject) source(spec map[string]any) {
	rel, ok := spec["path"].(string)
	if !ok || filepath.IsAbs(rel) {
		return
	}
	dir := path.Clean(path.Join(p.dir, filepath.ToSlash(rel)))
	if dir == "." {
		dir = ""
	}
	if dir != ".." && !strings.HasPrefix(dir, "../") {
		p.localPaths = append(p.localPaths, dir)
	}
}

// parsePEP508 returns the normalized name and the extras of a PEP 508
// requirement such as "prefect[aws]>=3; python_version>'3.9'".
func parsePEP508(req string) (name string, extras []string, ok bool) {
	req, _, _ = strings.Cut(req, ";")
	m := reqName.FindStringSubmatch(strings.TrimSpace(req))
	if m == nil {
		return "", nil, false
	}
	if m[2] != "" {
		for _, e := range strings.Split(strings.Trim(m[2], "[]"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				extras = append(extras, normalizeDist(e))
			}
		}
	}
	return normalizeDist(m[1]), extras, true
}

func anyStrings(v any) []string {
	var out []string
	if vs, ok := v.([]any); ok {
		for _, x := range vs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// nearestProject returns the project a flow in folder dir is installed
// with: the nearest project file above it (a pyproject.toml that only
// configures tools does not count), or nil.
func (d *discovery) nearestProject(dir string) *pyProject {
	for {
		for _, name := range projectFiles {
			if rel := path.Join(dir, name); d.isFile(rel) {
				if p := d.project(rel); p != nil && p.isProject {
					return p
				}
			}
		}
		if dir == "" {
			return nil
		}
		dir = parentDir(dir)
	}
}

// workspaceOf returns the uv workspace root whose members include the
// project p, or nil; the root itself is its own workspace.
func (d *discovery) workspaceOf(p *pyProject) *pyProject {
	if len(p.members) > 0 {
		return p
	}
	if p.dir == "" || path.Base(p.rel) != "pyproject.toml" {
		return nil
	}
	for dir := parentDir(p.dir); ; dir = parentDir(dir) {
		if rel := path.Join(dir, "pyproject.toml"); d.isFile(rel) {
			if w := d.project(rel); w != nil && len(w.members) > 0 {
				sub := strings.TrimPrefix(p.dir, dir+"/")
				if dir == "" {
					sub = p.dir
				}
				if globsMatch(w.members, sub) && !globsMatch(w.exclude, sub) {
					return w
				}
				return nil
			}
		}
		if dir == "" {
			return nil
		}
	}
}

// workspaceMember returns the member of the workspace w whose project is
// named name, or nil.
func (d *discovery) workspaceMember(w *pyProject, name string) *pyProject {
	for _, g := range w.members {
		g = strings.TrimSuffix(strings.TrimPrefix(g, "./"), "/")
		parent, pattern := path.Split(path.Join(w.dir, g))
		parent = strings.TrimSuffix(parent, "/")
		for _, e := range d.listDir(parent) {
			if ok, _ := path.Match(pattern, e.Name()); !ok || !e.IsDir() {
				continue
			}
			rel := path.Join(parent, e.Name(), "pyproject.toml")
			if !d.isFile(rel) {
				continue
			}
			if m := d.project(rel); m != nil && m.name == name {
				return m
			}
		}
	}
	return nil
}

// localProvides adds to sc what the repository's own projects that p
// depends on provide (path dependencies, uv workspace members): their
// packages as import names, and what they declare, transitively.
func (d *discovery) localProvides(p *pyProject, sc *depScope, seen map[string]bool) {
	for _, dir := range d.localDeps(p) {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		for _, root := range []string{dir, path.Join(dir, "src")} {
			for _, e := range d.listDir(root) {
				name := e.Name()
				switch {
				case e.IsDir() && d.hasPython(path.Join(root, name)):
					sc.localImports[name] = true
				case !e.IsDir() && strings.HasSuffix(name, ".py") && name != "setup.py":
					sc.localImports[strings.TrimSuffix(name, ".py")] = true
				}
			}
		}
		for _, f := range projectFiles[:2] {
			if rel := path.Join(dir, f); d.isFile(rel) {
				if q := d.project(rel); q != nil {
					if q.name != "" {
						sc.provided[q.name] = true
					}
					for _, dn := range q.declared {
						sc.provided[dn.name] = true
					}
					d.localProvides(q, sc, seen)
				}
			}
		}
	}
}

// localDeps returns the folders of the repository's own projects that p
// depends on directly: its path dependencies and the uv workspace members
// it takes from its workspace.
func (d *discovery) localDeps(p *pyProject) []string {
	var dirs []string
	dirs = append(dirs, p.localPaths...)
	if len(p.workspaceDeps) > 0 {
		if w := d.workspaceOf(p); w != nil {
			for _, n := range p.workspaceDeps {
				if m := d.workspaceMember(w, n); m != nil {
					dirs = append(dirs, m.dir)
				}
			}
		}
	}
	return slices.DeleteFunc(dirs, func(dir string) bool { return !d.isDir(dir) })
}

// localProjects returns the folders of the repository's own projects that
// p depends on, transitively, sorted: what an image installs with p's
// dependencies. Folders without a pyproject.toml are left out (nothing
// installs them).
func (d *discovery) localProjects(p *pyProject) []string {
	seen := map[string]bool{p.dir: true}
	var out []string
	var walk func(q *pyProject)
	walk = func(q *pyProject) {
		for _, dir := range d.localDeps(q) {
			if seen[dir] {
				continue
			}
			seen[dir] = true
			rel := path.Join(dir, "pyproject.toml")
			if !d.isFile(rel) {
				continue
			}
			out = append(out, dir)
			if r := d.project(rel); r != nil {
				walk(r)
			}
		}
	}
	walk(p)
	slices.Sort(out)
	return out
}

// projectRoots returns the folders a project's code runs from, where
// Python finds the repository's own modules: the project's folder and its
// src/, and the same of its workspace root.
func (d *discovery) projectRoots(dir string) []string {
	p := d.nearestProject(dir)
	if p == nil {
		return nil
	}
	var out []string
	for _, q := range []*pyProject{p, d.workspaceOf(p)} {
		if q == nil {
			continue
		}
		for _, r := range []string{q.dir, path.Join(q.dir, "src")} {
			if r != "" && d.isDir(r) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// globsMatch reports whether the folder rel matches one of the workspace
// globs (relative to the workspace root).
func globsMatch(globs []string, rel string) bool {
	for _, g := range globs {
		g = strings.TrimSuffix(strings.TrimPrefix(g, "./"), "/")
		if ok, err := path.Match(g, rel); err == nil && ok {
			return true
		}
	}
	return false
}

// lockPackages returns the packages a lock file pins, normalized; nil when
// it cannot be read.
func (d *discovery) lockPackages(rel string) []string {
	if pk, ok := d.locks[rel]; ok {
		return pk
	}
	if d.locks == nil {
		d.locks = map[string][]string{}
	}
	var out []string
	data, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
	switch {
	case err != nil:
	case path.Base(rel) == "Pipfile.lock": // JSON: {"default": {name: ...}, "develop": {...}}
		var pl map[string]json.RawMessage
		if json.Unmarshal(data, &pl) == nil {
			for _, sect := range []string{"default", "develop"} {
				var pkgs map[string]json.RawMessage
				if json.Unmarshal(pl[sect], &pkgs) == nil {
					for _, n := range slices.Sorted(maps.Keys(pkgs)) {
						out = append(out, normalizeDist(n))
					}
				}
			}
		}
	default:
		var lf lockFile
		if toml.Unmarshal(data, &lf) == nil {
			for _, p := range lf.Package {
				out = append(out, normalizeDist(p.Name))
			}
		}
	}
	d.locks[rel] = out
	return out
}

// projectOf describes the project a flow in folder dir is installed with,
// and returns the files whose dependencies apply: the project and its
// workspace root.
func (d *discovery) projectOf(dir string) (*Project, []*pyProject) {
	p := d.nearestProject(dir)
	if p == nil {
		return nil, nil
	}
	out := &Project{File: p.rel, Name: p.name, Tool: p.tool, LocalProjects: d.localProjects(p)}
	projs := []*pyProject{p}
	lockDir := p.dir
	if w := d.workspaceOf(p); w != nil {
		out.Tool = "uv"
		if w != p {
			out.Workspace = w.rel
			projs = append(projs, w)
		}
		lockDir = w.dir
	}
	for _, lock := range []string{"uv.lock", "poetry.lock", "Pipfile.lock"} {
		if rel := path.Join(lockDir, lock); d.isFile(rel) {
			out.Lock = rel
			if lock == "uv.lock" {
				out.Tool = "uv"
			}
			break
		}
	}
	if out.Lock == "" && lockDir != p.dir {
		for _, lock := range []string{"uv.lock", "poetry.lock"} {
			if rel := path.Join(p.dir, lock); d.isFile(rel) {
				out.Lock = rel
				break
			}
		}
	}
	return out, projs
}

// String describes a project for messages.
func (p *Project) String() string {
	if p.Workspace != "" {
		return fmt.Sprintf("%s (workspace %s)", p.File, p.Workspace)
	}
	return p.File
}
