package discover

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"prefectgen/diag"
)

// Options controls a discovery run.
type Options struct {
	// Root is the repository root; every reported path is relative to it.
	Root string
	// FlowsDir, relative to Root, limits the scan to one folder.
	FlowsDir string
	// Workers is the number of parsing goroutines; 0 means GOMAXPROCS.
	Workers int
}

// Result is what a discovery run found.
type Result struct {
	// Flows are sorted by path, then line.
	Flows      []FlowMetadata        `json:"flows"`
	Validation diag.ValidationResult `json:"validation"`
	Stats      Stats                 `json:"stats"`

	ignores map[string]map[int][]string // inline ignores: file -> line -> codes
}

// Ignored reports whether an inline ignore comment on the line of a
// problem positioned in a Python file, # prefectgen: ignore[CODE] (or
// ignore[CODE1,CODE2]), names its code. Discover leaves out the problems
// it silences itself; checks run on the flows afterwards call Ignored.
func (r *Result) Ignored(p diag.ValidationError) bool { return inlineIgnored(r.ignores[p.FilePath], p) }

// Stats counts the work done.
type Stats struct {
	FilesSeen   int `json:"files_seen"`   // Python files found by the walk
	FilesParsed int `json:"files_parsed"` // files parsed (the others cannot define a flow)
}

// Deployable returns the flows that can be deployed.
func (r *Result) Deployable() []FlowMetadata {
	var fs []FlowMetadata
	for _, f := range r.Flows {
		if f.Deployable {
			fs = append(fs, f)
		}
	}
	return fs
}

// mayDefineFlow is the byte pre-filter: a file that never says "prefect"
// cannot import Prefect's flow decorator, and every way to make a flow
// (flow, prefect.flow, Flow(fn), from prefect import flow as f, a factory
// such as dbt_flow(...)) spells flow or Flow, so a file without both
// cannot define one.
func mayDefineFlow(src []byte) bool {
	return bytes.Contains(src, []byte("prefect")) && (bytes.Contains(src, []byte("flow")) || bytes.Contains(src, []byte("Flow")))
}

// Discover scans the repository at opts.Root. The error is for a root that
// cannot be scanned at all; problems with the repository's files are in
// the result's Validation.
func Discover(opts Options) (*Result, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(root)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("repository %s: %w", opts.Root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", opts.Root)
	}
	scope := ""
	if opts.FlowsDir != "" {
		scope = filepath.ToSlash(filepath.Clean(opts.FlowsDir))
		if filepath.IsAbs(opts.FlowsDir) {
			if scope, err = filepath.Rel(root, opts.FlowsDir); err != nil {
				return nil, err
			}
			scope = filepath.ToSlash(scope)
		}
		if scope == "." {
			scope = ""
		}
		if scope == ".." || strings.HasPrefix(scope, "../") {
			return nil, fmt.Errorf("--flows-dir %s is outside the repository %s", opts.FlowsDir, opts.Root)
		}
		if fi, err := os.Stat(filepath.Join(root, scope)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--flows-dir %s is not a folder of %s", opts.FlowsDir, opts.Root)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	d := &discovery{root: root, files: map[string]*parsedFile{}, exists: map[string]bool{}, reqs: map[string]*reqFile{}}
	res := &Result{}
	d.res = res
	d.scan(scope, workers, res)
	d.prefetch(workers)
	d.finish(res)
	return res, nil
}

type discovery struct {
	root  string
	mu    sync.Mutex
	files map[string]*parsedFile // parsed files by rel path

	exists map[string]bool     // stat cache, by rel path
	reqs   map[string]*reqFile // requirements files by rel path
	res    *Result
	pp     *pyParser // for files the scan did not parse
	dirs   map[string][]os.DirEntry
	third  map[string][]thirdParty
	local  map[string][]string // localFiles by flow file

	projects map[string]*pyProject // project files by rel path
	locks    map[string][]string   // lock files' packages by rel path
	scopes   map[string]*depScope  // dependency scopes by key
	search   map[string][]string   // searchDirs by folder
	// modules maps a top-level module name to the repository's files that
	// would be that module were their folder on the path (name.py,
	// name/__init__.py), sorted.
	modules map[string][]string
	// reqsSeen are the repository's requirements.txt files, in walk order.
	reqsSeen []string
}

type job struct{ rel, abs string }

// scan walks the tree and parses, in parallel, the files that may define
// a flow.
func (d *discovery) scan(scope string, workers int, res *Result) {
	jobs := make(chan job, 256)
	var wg sync.WaitGroup
	var problems []diag.ValidationError
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pp *pyParser
			defer func() {
				if pp != nil {
					pp.Close()
				}
			}()
			for j := range jobs {
				src, prob, ok := readSource(j)
				if !ok {
					d.mu.Lock()
					problems = append(problems, prob)
					d.mu.Unlock()
					continue
				}
				if !mayDefineFlow(src) {
					continue
				}
				if pp == nil {
					pp = newPyParser()
				}
				pf := pp.parse(j.rel, src)
				d.mu.Lock()
				d.files[j.rel] = &pf
				res.Stats.FilesParsed++
				d.mu.Unlock()
			}
		}()
	}
	d.modules = map[string][]string{}
	want := func(name string) bool { return strings.HasSuffix(name, ".py") || name == "requirements.txt" }
	w := &walker{root: d.root, scope: scope, noteSkipped: true, want: want, emit: func(rel, abs string) {
		if path.Base(rel) == "requirements.txt" {
			d.reqsSeen = append(d.reqsSeen, rel)
			return
		}
		res.Stats.FilesSeen++
		d.noteModule(rel)
		jobs <- job{rel, abs}
	}}
	w.walk()
	close(jobs)
	wg.Wait()
	for _, p := range append(w.problems, problems...) {
		res.Validation.Add(p)
	}
}

// prefetch parses, in parallel, the repository modules that files with
// flows import (transitively), which the pre-filter skipped: finish needs
// their imports.
func (d *discovery) prefetch(workers int) {
	var frontier []string
	for rel, pf := range d.files {
		if len(pf.flows) > 0 {
			frontier = append(frontier, rel)
		}
	}
	sort.Strings(frontier)
	seen := map[string]bool{}
	for len(frontier) > 0 {
		var need []string
		queued := map[string]bool{}
		for _, f := range frontier {
			if seen[f] {
				continue
			}
			seen[f] = true
			pf := d.files[f]
			if pf == nil {
				continue
			}
			for _, imp := range pf.imports {
				for _, lf := range d.resolveLocal(f, imp, d.searchDirs(f)) {
					if _, parsed := d.files[lf]; !parsed && !queued[lf] {
						queued[lf] = true
						need = append(need, lf)
					}
				}
			}
		}
		d.parseAll(need, workers)
		frontier = need
	}
}

// parseAll parses files for their imports only, in parallel.
func (d *discovery) parseAll(rels []string, workers int) {
	if len(rels) == 0 {
		return
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range min(workers, len(rels)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pp := newPyParser()
			defer pp.Close()
			for rel := range jobs {
				pf := d.parseImports(pp, rel)
				d.mu.Lock()
				d.files[rel] = pf
				d.mu.Unlock()
			}
		}()
	}
	for _, rel := range rels {
		jobs <- rel
	}
	close(jobs)
	wg.Wait()
}

// readSource reads a Python file; ok is false when it cannot be scanned,
// with the problem to report.
func readSource(j job) (src []byte, prob diag.ValidationError, ok bool) {
	src, err := os.ReadFile(j.abs)
	if err != nil {
		return nil, unreadable(j.rel, err), false
	}
	src = trimBOM(src)
	if !utf8.Valid(src) {
		line, col := firstInvalid(src)
		return nil, diag.New(diag.NotUTF8, diag.Pos{File: j.rel, Line: line, Column: col}, "file is not valid UTF-8; not scanned"), false
	}
	return src, diag.ValidationError{}, true
}

// parseImports parses a file for its imports only: a file the scan
// skipped, which a flow imports. One that cannot be read or is not UTF-8
// has no imports (the walk reports it).
func (d *discovery) parseImports(pp *pyParser, rel string) *parsedFile {
	src, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
	if src = trimBOM(src); err != nil || !utf8.Valid(src) {
		return &parsedFile{rel: rel}
	}
	pf := pp.parse(rel, src)
	pf.flows, pf.problems, pf.calls = nil, nil, nil
	return &pf
}

// firstInvalid returns the line and column of the first byte that is not
// UTF-8.
func firstInvalid(src []byte) (int, int) {
	line, col := 1, 1
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += n
		}
		src = src[n:]
	}
	return line, col
}

// finish resolves what each flow needs and runs the checks that span files.
func (d *discovery) finish(res *Result) {
	d.res = res
	defer func() {
		if d.pp != nil {
			d.pp.Close()
		}
	}()
	rels := make([]string, 0, len(d.files))
	for rel := range d.files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	syntaxBroken := map[string]bool{}
	for _, rel := range rels {
		pf := d.files[rel]
		for _, p := range pf.problems {
			res.Validation.Add(p)
			if p.Code == diag.SyntaxError {
				syntaxBroken[rel] = true
			}
		}
		res.Flows = append(res.Flows, pf.flows...)
	}
	for _, rel := range rels {
		res.Flows = append(res.Flows, d.resolveCalls(rel, d.files[rel].calls)...)
	}
	d.resolveNames(res.Flows)
	d.linkSubflows(res.Flows)
	slices.SortStableFunc(res.Flows, func(a, b FlowMetadata) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	flowErrs := make([][]diag.ValidationError, len(res.Flows))
	acc := &findings{missing: map[missingKey]*missingGroup{}, noReq: map[string][]int{}, noReqOf: map[int][]string{}}
	for i := range res.Flows {
		f := &res.Flows[i]
		projs := d.complete(f)
		flowErrs[i] = d.checkFlow(i, projs, acc)
		if syntaxBroken[f.Path] {
			flowErrs[i] = append(flowErrs[i], diag.ValidationError{Code: diag.SyntaxError, Message: f.Path + " has syntax errors; Prefect cannot import it"})
		}
	}
	d.report(acc, flowErrs)
	d.duplicates(flowErrs)
	for i := range res.Flows {
		f := &res.Flows[i]
		f.ValidationErrors = []string{}
		for _, p := range flowErrs[i] {
			if !d.ignored(p) {
				f.ValidationErrors = append(f.ValidationErrors, p.Code+": "+p.Message)
			}
		}
		slices.Sort(f.ValidationErrors)
		f.ValidationErrors = slices.Compact(f.ValidationErrors)
		f.IsValid = len(f.ValidationErrors) == 0
	}
	if len(res.Flows) == 0 {
		res.Validation.Add(diag.New(diag.NoFlows, diag.Pos{File: "", Line: 0, Column: 0}, "no Prefect flows found"))
	}
	if res.Flows == nil {
		res.Flows = []FlowMetadata{}
	}
	res.Validation.Errors = slices.DeleteFunc(res.Validation.Errors, d.ignored)
	res.Validation.Warnings = slices.DeleteFunc(res.Validation.Warnings, d.ignored)
	res.ignores = map[string]map[int][]string{}
	for rel, pf := range d.files {
		if len(pf.ignores) > 0 {
			res.ignores[rel] = pf.ignores
		}
	}
	res.Validation.Finish()
}

// complete fills in a flow's module path, entrypoint and the files that
// belong to it, and returns the project files whose dependencies apply.
func (d *discovery) complete(f *FlowMetadata) []*pyProject {
	f.Folder = path.Dir(f.Path)
	if f.Folder == "." {
		f.Folder = ""
	}
	mod := strings.TrimSuffix(f.Path, ".py")
	mod = strings.TrimSuffix(mod, "/__init__")
	f.ModulePath = strings.ReplaceAll(mod, "/", ".")
	f.Entrypoint = f.Path + ":" + f.FunctionName
	f.DockerfilePath = d.nearest(f.Folder, func(dir string) []string { return d.present(dir, "Dockerfile") })
	f.EnvFiles = d.envFiles(f.Folder)
	f.RequirementsFiles, f.Dependencies = d.requirements(f.Folder)
	var projs []*pyProject
	f.Project, projs = d.projectOf(f.Folder)
	for _, p := range projs {
		f.Dependencies = append(f.Dependencies, p.main...)
	}
	f.Dependencies = dedupe(f.Dependencies)
	f.LocalModules, f.Imports = d.closure(f.Path)
	return projs
}

// present returns the named files that exist in folder dir.
func (d *discovery) present(dir string, names ...string) []string {
	var out []string
	for _, n := range names {
		rel := path.Join(dir, n)
		if d.isFile(rel) {
			out = append(out, rel)
		}
	}
	return out
}

func (d *discovery) isFile(rel string) bool {
	if v, ok := d.exists[rel]; ok {
		return v
	}
	fi, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(rel)))
	v := err == nil && fi.Mode().IsRegular()
	d.exists[rel] = v
	return v
}

func (d *discovery) isDir(rel string) bool {
	key := rel + "/"
	if v, ok := d.exists[key]; ok {
		return v
	}
	fi, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(rel)))
	v := err == nil && fi.IsDir()
	d.exists[key] = v
	return v
}

// nearest returns the first non-empty result of find for dir and each
// folder above it up to the root.
func (d *discovery) nearest(dir string, find func(dir string) []string) string {
	for {
		if got := find(dir); len(got) > 0 {
			return got[0]
		}
		if dir == "" {
			return ""
		}
		dir = parentDir(dir)
	}
}

func parentDir(dir string) string {
	p := path.Dir(dir)
	if p == "." {
		return ""
	}
	return p
}

// listDir returns the entries of a folder, read once.
func (d *discovery) listDir(dir string) []os.DirEntry {
	if d.dirs == nil {
		d.dirs = map[string][]os.DirEntry{}
	}
	if es, ok := d.dirs[dir]; ok {
		return es
	}
	es, _ := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(dir)))
	d.dirs[dir] = es
	return es
}

// envFiles returns the .env.* files of the nearest folder that has any.
func (d *discovery) envFiles(dir string) []string {
	for {
		var out []string
		for _, e := range d.listDir(dir) {
			if strings.HasPrefix(e.Name(), ".env.") && !e.IsDir() {
				out = append(out, path.Join(dir, e.Name()))
			}
		}
		if len(out) > 0 || dir == "" {
			if out == nil {
				out = []string{}
			}
			return out
		}
		dir = parentDir(dir)
	}
}
