package generator

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"

	"prefectgen/generator/discover"
)

// Change is how one file differs between what is generated and the disk.
type Change struct {
	Path string
	// Kind is "create", "update" or "remove".
	Kind string
	Old  []byte
	New  []byte
}

// candidateName reports whether a file may be one prefectgen generated.
func candidateName(name string) bool {
	switch name {
	case PrefectFile, MakeFragment, DockerIgnore, DockerfileName, path.Base(DocsFile):
		return true
	}
	return false
}

// Changes compares generated files with the disk: files to create or
// update, and generated files (those with the header) that are no longer
// generated, to remove. Files without the header are never listed for
// removal. The result is sorted by path.
func Changes(root string, files map[string][]byte) ([]Change, error) {
	var out []Change
	for rel, content := range files {
		old, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		switch {
		case os.IsNotExist(err):
			out = append(out, Change{Path: rel, Kind: "create", New: content})
		case err != nil:
			return nil, err
		case !bytes.Equal(old, content):
			out = append(out, Change{Path: rel, Kind: "update", Old: old, New: content})
		}
	}
	existing, err := discover.WalkFiles(root, candidateName)
	if err != nil {
		return nil, err
	}
	for _, rel := range existing {
		if _, ok := files[rel]; ok {
			continue
		}
		if rel == DocsFile[len("docs/"):] || (path.Base(rel) == path.Base(DocsFile) && rel != DocsFile) {
			continue
		}
		old, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || !IsGenerated(old) {
			continue
		}
		out = append(out, Change{Path: rel, Kind: "remove", Old: old})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return slices.Clip(out), nil
}
