package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ReadFile reads a regular file. Anything else (a FIFO, a device, a
// folder) named like a file prefectgen reads is an error, never a read
// that blocks for ever.
func ReadFile(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("not a regular file")}
	}
	return os.ReadFile(name)
}

// nestedProject reports whether a folder below the root is a project of
// its own, whose generated files are not this project's: it has its own
// configuration or prefect.yaml, or is another git repository (a
// submodule, a vendored checkout).
func nestedProject(dir string) bool {
	for _, n := range append(slices.Clone(ConfigNames), PrefectFile, ".git") {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// skippedDir are folders that never hold a flow's generated Dockerfile.
var skippedDir = []string{".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".cache", "site-packages"}

// staleCandidates lists the files prefectgen may have generated for this
// project: its fixed files at the root, and the Dockerfiles under the
// flows' folder, outside nested projects. .prefectignore does not apply:
// a flow it retired leaves a Dockerfile to remove.
func staleCandidates(root, flowsDir string) ([]string, error) {
	out := []string{PrefectFile, MakeFragment, DockerIgnore, DocsFile, ConfigSchemaFile, TemplatesSchemaFile}
	base := filepath.Join(root, filepath.FromSlash(flowsDir))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == base {
				return fs.SkipDir
			}
			return nil // unreadable: nothing of ours can be found there
		}
		if d.IsDir() {
			if p != base && (slices.Contains(skippedDir, d.Name()) || nestedProject(p)) {
				return fs.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "pyvenv.cfg")); err == nil {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() == DockerfileName && d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err == nil {
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	return out, err
}

// CheckWritable refuses a path that leads outside the repository through
// a symbolic link: generate never writes outside the root.
func CheckWritable(root, rel string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	realRoot, _ = filepath.Abs(realRoot)
	// The nearest part of the path that exists, resolved.
	p := filepath.Join(root, filepath.FromSlash(rel))
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			real, _ = filepath.Abs(real)
			if r, err := filepath.Rel(realRoot, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return fmt.Errorf("%s leads outside the repository (to %s) through a symbolic link; prefectgen does not write there", rel, real)
			}
			return nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}
