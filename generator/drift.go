package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Change is how one file differs between what is generated and the disk.
type Change struct {
	Path string
	// Kind is "create", "update" or "remove".
	Kind string
	Old  []byte
	New  []byte
}

// Changes compares generated files with the disk: files to create or
// update, and generated files (those with the header) of this project
// that are no longer generated, to remove: the fixed files at the root,
// and Dockerfiles under the flows' folder (flowsDir, "" for the root),
// never inside a nested project. Files without the header are never
// listed for removal. The result is sorted by path.
func Changes(root, flowsDir string, files map[string][]byte) ([]Change, error) {
	var out []Change
	for rel, content := range files {
		old, err := ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		switch {
		case os.IsNotExist(err):
			out = append(out, Change{Path: rel, Kind: "create", New: content})
		case err != nil:
			return nil, err
		case !bytes.Equal(old, content):
			out = append(out, Change{Path: rel, Kind: "update", Old: old, New: content})
		}
	}
	existing, err := staleCandidates(root, flowsDir)
	if err != nil {
		return nil, err
	}
	for _, rel := range existing {
		if _, ok := files[rel]; ok {
			continue
		}
		old, err := ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || !IsGenerated(old) {
			continue
		}
		out = append(out, Change{Path: rel, Kind: "remove", Old: old})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return slices.Clip(out), nil
}

// Changes compares the project's generated files with the disk (see
// Changes).
func (p *Project) Changes(files map[string][]byte) ([]Change, error) {
	flowsDir := ""
	if p.Config != nil {
		flowsDir = p.Config.FlowsDir
	}
	return Changes(p.Root, flowsDir, files)
}
