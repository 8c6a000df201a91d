package discover

import (
	"bufio"
	"bytes"
	_ "embed"
	"maps"
	"slices"
	"strings"
	"sync"
)

// The dependency data comes from real package metadata, never from a
// hand-kept list: depdata/generate.py writes these files from the pinned
// Prefect virtualenv and the wheels of the distributions listed in
// depdata/distributions.txt.

//go:embed depdata/prefect-closure.txt
var prefectClosureTxt []byte

//go:embed depdata/import-map.txt
var importMapTxt []byte

//go:embed depdata/extras.txt
var extrasTxt []byte

//go:embed depdata/requires.txt
var requiresTxt []byte

// depData is the parsed dependency data.
type depData struct {
	// prefect holds the distributions the pinned prefect installs,
	// normalized: provided to every flow.
	prefect map[string]bool
	// imports maps an import key (yaml, google.cloud.storage) to the
	// distributions that install it, as named by their metadata.
	imports map[string][]string
	// namespaces are the top-level names the data knows only as the start
	// of longer keys (ruamel: ruamel.yaml): namespace packages.
	namespaces map[string]bool
	// extras maps a distribution and one of its extras to the
	// distributions the extra adds, normalized.
	extras map[[2]string][]string
	// requires maps a distribution to those it requires unconditionally,
	// normalized, each with the extras the requirement names (dask[distributed]).
	requires map[string][]string
}

var (
	depOnce sync.Once
	deps    depData
)

// dependencyData parses the embedded data once.
func dependencyData() *depData {
	depOnce.Do(func() {
		deps = depData{prefect: map[string]bool{}, imports: map[string][]string{}, extras: map[[2]string][]string{}, namespaces: map[string]bool{}, requires: map[string][]string{}}
		dataLines(prefectClosureTxt, func(f []string) { deps.prefect[normalizeDist(f[0])] = true })
		dataLines(importMapTxt, func(f []string) {
			if len(f) >= 2 {
				deps.imports[f[0]] = f[1:]
			}
		})
		for k := range deps.imports {
			if top, _, ok := strings.Cut(k, "."); ok {
				if _, known := deps.imports[top]; !known {
					deps.namespaces[top] = true
				}
			}
		}
		dataLines(extrasTxt, func(f []string) {
			if len(f) == 3 {
				k := [2]string{f[0], f[1]}
				deps.extras[k] = append(deps.extras[k], f[2])
			}
		})
		dataLines(requiresTxt, func(f []string) {
			if len(f) >= 2 {
				deps.requires[f[0]] = f[1:]
			}
		})
	})
	return &deps
}

// dataLines calls fn with the fields of each line that is not a comment.
func dataLines(data []byte, fn func(fields []string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fn(strings.Fields(line))
	}
}

// dataNamespace reports whether the metadata knows a top-level name only
// as a namespace package.
func dataNamespace(top string) bool { return dependencyData().namespaces[top] }

// prefectProvides reports whether the pinned prefect's own dependencies
// include the distribution.
func prefectProvides(dist string) bool { return dependencyData().prefect[dist] }

// knownDists returns the distributions the metadata says install the
// import: those of the longest key that is a prefix of it.
func knownDists(imp string) []string {
	m := dependencyData().imports
	for k := imp; ; {
		if ds, ok := m[k]; ok {
			return ds
		}
		i := strings.LastIndex(k, ".")
		if i < 0 {
			return nil
		}
		k = k[:i]
	}
}

// extraDists returns the distributions that dist[extra] adds.
func extraDists(dist, extra string) []string {
	return dependencyData().extras[[2]string{dist, extra}]
}

// withRequirements adds to provided (normalized distributions) what they
// require, transitively, as far as the data knows it: pandas brings numpy.
// The extras a requirement names bring what they add (dask[distributed]).
func withRequirements(provided map[string]bool) {
	data := dependencyData()
	queue := slices.Sorted(maps.Keys(provided))
	add := func(n string) {
		if !provided[n] {
			provided[n] = true
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		d := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, r := range data.requires[d] {
			name, extras, _ := strings.Cut(r, "[")
			add(name)
			if extras != "" {
				for _, e := range strings.Split(strings.TrimSuffix(extras, "]"), ",") {
					for _, x := range data.extras[[2]string{name, e}] {
						add(normalizeDist(x))
					}
				}
			}
		}
	}
}

// candidateDists returns the normalized distributions that may provide the
// import (as returned by importName): those the metadata names, then the
// distributions named like the import (google.cloud.storage:
// google-cloud-storage, google-cloud, google).
func candidateDists(imp string) []string {
	var c []string
	for _, d := range knownDists(imp) {
		c = append(c, normalizeDist(d))
	}
	parts := strings.Split(imp, ".")
	for n := len(parts); n >= 1; n-- {
		c = append(c, normalizeDist(strings.Join(parts[:n], "-")))
	}
	return c
}

// suggestedDist names the distribution to add for an import: the
// shortest name among those the metadata knows, else the import's name.
func suggestedDist(imp string) string {
	if ds := knownDists(imp); len(ds) > 0 {
		return slices.MinFunc(ds, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
	}
	return normalizeDist(strings.ReplaceAll(imp, ".", "-"))
}
