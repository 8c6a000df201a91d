package discover

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"prefectgen/diag"
)

// skipDirs are folders that never hold a repository's own flows.
var skipDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, "__pycache__": true, "node_modules": true,
	"site-packages": true, "build": true, "dist": true, ".tox": true, ".nox": true,
	".mypy_cache": true, ".pytest_cache": true, ".ruff_cache": true, ".cache": true,
	".eggs": true, ".ipynb_checkpoints": true, ".hypothesis": true, ".venv": true,
}

// outputDirs are the skipped folders that may also be a repository's own
// source (flows/build/): one that no ignore rule covers, and that holds
// Python files that may define flows, is reported; an ignore file that
// un-ignores it (!build/ in .prefectignore) has it scanned.
var outputDirs = map[string]bool{"build": true, "dist": true}

// isTemplatePath reports whether a file or folder name is a template
// placeholder (cookiecutter's {{ cookiecutter.name }}, Jinja's {% ... %}):
// what is under it is not Python until rendered.
func isTemplatePath(name string) bool {
	return strings.Contains(name, "{{") || strings.Contains(name, "{%")
}

// ignoreFiles are read in every folder, in this order.
var ignoreFiles = []string{".gitignore", ".prefectignore"}

type dirID struct{ dev, ino uint64 }

// walker lists the Python files of a repository.
type walker struct {
	root     string // absolute
	scope    string // --flows-dir relative to root, "" for all
	emit     func(rel, abs string)
	want     func(name string) bool // which files to emit; nil means *.py
	problems []diag.ValidationError
	// noteSkipped reports the build and dist folders skipped although no
	// ignore rule covers them.
	noteSkipped bool
	visited     map[dirID]string
	pending     []pendingLink
}

// pendingLink is a symbolic link to a folder, followed after every real
// folder has been walked so that flows are reported under their real path.
type pendingLink struct {
	abs, rel string
	rules    ignoreRules
}

func statID(fi fs.FileInfo) (dirID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return dirID{}, false
	}
	return dirID{uint64(st.Dev), uint64(st.Ino)}, true
}

// inScope reports whether folder rel is on the way to, or inside, the scope.
func (w *walker) inScope(rel string) bool {
	return w.scope == "" || rel == "" || rel == w.scope ||
		strings.HasPrefix(w.scope, rel+"/") || strings.HasPrefix(rel, w.scope+"/")
}

func (w *walker) fileInScope(rel string) bool {
	return w.scope == "" || strings.HasPrefix(rel, w.scope+"/")
}

func (w *walker) walk() {
	w.visited = map[dirID]string{}
	fi, err := os.Stat(w.root)
	if err == nil {
		if id, ok := statID(fi); ok {
			w.visited[id] = ""
		}
	}
	w.dir(w.root, "", gitExclude(w.root))
	for len(w.pending) > 0 {
		l := w.pending[0]
		w.pending = w.pending[1:]
		if w.symlinkDirOK(l.abs, l.rel) {
			w.dir(l.abs, l.rel, l.rules)
		}
	}
}

func (w *walker) unreadable(rel string, err error) {
	w.problems = append(w.problems, unreadable(rel, err))
}

// unreadable is the problem of a file or folder that cannot be read. The
// message leaves out the absolute path, which the position already names.
func unreadable(rel string, err error) diag.ValidationError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return diag.New(diag.UnreadableFile, diag.Pos{File: rel, Line: 0, Column: 0}, "cannot read: "+err.Error())
}

// dir walks folder abs (rel from the root) with the ignore rules in force
// above it.
func (w *walker) dir(abs, rel string, rules ignoreRules) {
	entries, err := os.ReadDir(abs)
	if err != nil {
		w.unreadable(relOrDot(rel), err)
		return
	}
	if rel != "" && slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.Name() == "pyvenv.cfg" }) {
		return // a virtualenv
	}
	for _, name := range ignoreFiles {
		if data, err := os.ReadFile(filepath.Join(abs, name)); err == nil {
			rules = append(slices.Clip(rules), parseIgnore(rel, data)...)
		}
	}
	for _, e := range entries {
		name := e.Name()
		crel := path.Join(rel, name)
		cabs := filepath.Join(abs, name)
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(cabs)
			if err != nil {
				if strings.HasSuffix(name, ".py") {
					w.unreadable(crel, err)
				}
				continue
			}
			isDir = fi.IsDir()
			if isDir {
				if !skipDirs[name] && !isTemplatePath(name) && w.inScope(crel) && !rules.ignored(crel, true) {
					w.pending = append(w.pending, pendingLink{cabs, crel, rules})
				}
				continue
			} else if !fi.Mode().IsRegular() {
				continue
			}
		} else if !isDir && !e.Type().IsRegular() {
			continue
		}
		if isDir {
			if isTemplatePath(name) || !w.inScope(crel) {
				continue
			}
			if outputDirs[name] {
				switch ignored, negated := rules.decide(crel, true); {
				case ignored:
					continue
				case !negated:
					if w.noteSkipped {
						w.reportOutputDir(cabs, crel)
					}
					continue
				}
			} else if skipDirs[name] || strings.HasSuffix(name, ".egg-info") || rules.ignored(crel, true) {
				continue
			}
			if fi, err := e.Info(); err == nil {
				if id, ok := statID(fi); ok {
					if _, seen := w.visited[id]; seen {
						continue
					}
					w.visited[id] = crel
				}
			}
			w.dir(cabs, crel, rules)
			continue
		}
		want := w.want
		if want == nil {
			want = func(n string) bool { return strings.HasSuffix(n, ".py") }
		}
		if want(name) && !isTemplatePath(name) && w.fileInScope(crel) && !rules.ignored(crel, false) {
			w.emit(crel, cabs)
		}
	}
}

// reportOutputDir notes a build or dist folder that is skipped although
// no ignore rule covers it, when it holds Python files that may define
// flows.
func (w *walker) reportOutputDir(abs, rel string) {
	var found []string
	_ = filepath.WalkDir(abs, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.IsDir() {
			if p != abs && (skipDirs[e.Name()] || isTemplatePath(e.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(e.Name(), ".py") || !e.Type().IsRegular() {
			return nil
		}
		if src, err := os.ReadFile(p); err == nil && mayDefineFlow(src) {
			if r, err := filepath.Rel(w.root, p); err == nil {
				found = append(found, filepath.ToSlash(r))
			}
		}
		return nil
	})
	if len(found) == 0 {
		return
	}
	slices.Sort(found)
	what := found[0]
	if len(found) > 1 {
		what = fmt.Sprintf("%s and %d more", found[0], len(found)-1)
	}
	w.problems = append(w.problems, diag.New(diag.SkippedFolder, diag.Pos{File: rel, Line: 0, Column: 0},
		fmt.Sprintf("%s is not scanned: a folder named %s usually holds build output, but no ignore file covers it and it holds Python files that may define flows (%s)", rel, path.Base(rel), what)))
}

// gitExclude returns the rules of the repository's .git/info/exclude,
// which git applies like a .gitignore at the root; for a worktree (a .git
// file), those of the main repository.
func gitExclude(root string) ignoreRules {
	gitDir := filepath.Join(root, ".git")
	fi, err := os.Stat(gitDir)
	if err != nil {
		return nil
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(gitDir)
		if err != nil {
			return nil
		}
		dir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
		if !ok {
			return nil
		}
		gitDir = strings.TrimSpace(dir)
		if !filepath.IsAbs(gitDir) {
			gitDir = filepath.Join(root, gitDir)
		}
		if common, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
			c := strings.TrimSpace(string(common))
			if !filepath.IsAbs(c) {
				c = filepath.Join(gitDir, c)
			}
			gitDir = c
		}
	}
	data, err := os.ReadFile(filepath.Join(gitDir, "info", "exclude"))
	if err != nil {
		return nil
	}
	return parseIgnore("", data)
}

// symlinkDirOK decides whether to follow a link to a folder: not when it
// leads outside the repository, back into a folder that holds it (a loop,
// reported), or to a folder already walked.
func (w *walker) symlinkDirOK(cabs, crel string) bool {
	real, err := filepath.EvalSymlinks(cabs)
	if err != nil {
		w.unreadable(crel, err)
		return false
	}
	rootReal, err := filepath.EvalSymlinks(w.root)
	if err != nil {
		return false
	}
	if real != rootReal && !strings.HasPrefix(real, rootReal+string(filepath.Separator)) {
		return false
	}
	fi, err := os.Stat(cabs)
	if err != nil {
		return false
	}
	id, ok := statID(fi)
	if !ok {
		return false
	}
	if prev, seen := w.visited[id]; seen {
		if prev == "" || strings.HasPrefix(crel, prev+"/") {
			w.problems = append(w.problems, diag.New(diag.SymlinkLoop, diag.Pos{File: crel, Line: 0, Column: 0},
				"symbolic link leads back to "+relOrDot(prev)+", which holds it; not followed"))
		}
		return false
	}
	w.visited[id] = crel
	return true
}

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// WalkFiles lists the files of a repository whose base name want accepts,
// with the rules discovery walks by (.gitignore, .prefectignore, skipped
// folders), sorted by path relative to root.
func WalkFiles(root string, want func(name string) bool) ([]string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	var out []string
	w := &walker{root: abs, want: want, emit: func(rel, _ string) { out = append(out, rel) }}
	w.walk()
	slices.Sort(out)
	return out, nil
}
