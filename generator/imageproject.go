package generator

import (
	"path"
	"slices"
	"strings"

	"prefectgen/generator/discover"
)

// The tools the generated Dockerfiles install a Python project's
// dependencies with, pinned so that an image built today and one built
// next year install the same way. uv matches the uv of the base images
// scripts/docker-images.sh builds.
const (
	UVVersion           = "0.13.9"
	PoetryVersion       = "2.5.1"
	PoetryExportVersion = "1.10.1"
)

// imageProject is how an image installs the dependencies of the flows'
// Python project (Dockerfile.tmpl renders it).
type imageProject struct {
	// Install is "uv" (from uv.lock, with uv export --frozen), "poetry"
	// (from poetry.lock, with poetry export), "poetry-lock" (a Poetry
	// project without poetry.lock: poetry lock at build time, then poetry
	// export) or "pyproject" (the dependencies pyproject.toml declares,
	// resolved at build time by uv).
	Install string
	// Files are copied before the install, root first: the workspace
	// root's pyproject.toml, the project's, and the lock file.
	Files []string
	// Dir is the folder of the lock file (the project's without one), ""
	// for the repository root.
	Dir string
	// Package is the uv workspace member to install, "" for the
	// project at Dir itself.
	Package string
	// File is the project's pyproject.toml.
	File string
	// Local are the folders of the repository's projects it depends on
	// (uv workspace members, path dependencies): copied before the
	// install, which installs them.
	Local []string
	// UV, Poetry and PoetryExport are the pinned versions of the tools.
	UV, Poetry, PoetryExport string
}

// projectInstall tells how an image installs the dependencies of the
// project p: from its uv.lock or poetry.lock, else from what its
// pyproject.toml declares (locked by Poetry at build time for a Poetry
// project: uv cannot read [tool.poetry], and a project without [project]
// and [build-system] fails to build for it); nil when p is nil or not a
// pyproject.toml (a Pipfile or a conda environment: not installed).
func projectInstall(p *discover.Project) *imageProject {
	if p == nil || path.Base(p.File) != "pyproject.toml" {
		return nil
	}
	ip := &imageProject{File: p.File, Dir: dirOf(p.File), Local: p.LocalProjects, UV: UVVersion, Poetry: PoetryVersion, PoetryExport: PoetryExportVersion}
	switch path.Base(p.Lock) {
	case "uv.lock":
		ip.Install = "uv"
		ip.Dir = dirOf(p.Lock)
		if ip.Dir != dirOf(p.File) {
			ip.Package = p.Name
		}
	case "poetry.lock":
		ip.Install = "poetry"
		ip.Dir = dirOf(p.Lock)
	default:
		ip.Install = "pyproject"
		if p.Tool == "poetry" {
			ip.Install = "poetry-lock"
		}
		ip.Files = []string{p.File}
		return ip
	}
	var files []string
	if p.Workspace != "" && ip.Install == "uv" && dirOf(p.Workspace) == ip.Dir {
		files = append(files, p.Workspace)
	}
	files = append(files, p.File, p.Lock)
	sortRootFirst(files)
	ip.Files = files
	return ip
}

// dirOf is the folder of a repository file, "" at the root.
func dirOf(rel string) string {
	d := path.Dir(rel)
	if d == "." {
		return ""
	}
	return d
}

// sortRootFirst orders paths by depth, keeping the order of equal depths.
func sortRootFirst(paths []string) {
	slices.SortStableFunc(paths, func(a, b string) int {
		return strings.Count(a, "/") - strings.Count(b, "/")
	})
}
