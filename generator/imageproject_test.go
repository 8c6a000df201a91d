package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"prefectgen/generator/discover"
)

func TestProjectInstall(t *testing.T) {
	pins := func(ip imageProject) *imageProject {
		ip.UV, ip.Poetry, ip.PoetryExport = UVVersion, PoetryVersion, PoetryExportVersion
		return &ip
	}
	for _, c := range []struct {
		name string
		p    *discover.Project
		want *imageProject
	}{
		{"none", nil, nil},
		{"pipfile", &discover.Project{File: "Pipfile", Tool: "pipenv", Lock: "Pipfile.lock"}, nil},
		{"conda", &discover.Project{File: "flows/environment.yml", Tool: "conda"}, nil},
		{"uv at the root", &discover.Project{File: "pyproject.toml", Name: "app", Tool: "uv", Lock: "uv.lock"},
			pins(imageProject{Install: "uv", Files: []string{"pyproject.toml", "uv.lock"}, File: "pyproject.toml"})},
		{"uv workspace member", &discover.Project{File: "packages/etl/pyproject.toml", Name: "etl", Tool: "uv",
			Lock: "uv.lock", Workspace: "pyproject.toml", LocalProjects: []string{"packages/common"}},
			pins(imageProject{Install: "uv", Files: []string{"pyproject.toml", "uv.lock", "packages/etl/pyproject.toml"},
				Package: "etl", File: "packages/etl/pyproject.toml", Local: []string{"packages/common"}})},
		{"uv workspace in a folder", &discover.Project{File: "py/svc/a/pyproject.toml", Name: "a", Tool: "uv",
			Lock: "py/uv.lock", Workspace: "py/pyproject.toml"},
			pins(imageProject{Install: "uv", Files: []string{"py/pyproject.toml", "py/uv.lock", "py/svc/a/pyproject.toml"},
				Dir: "py", Package: "a", File: "py/svc/a/pyproject.toml"})},
		{"member with its own lock", &discover.Project{File: "packages/etl/pyproject.toml", Name: "etl", Tool: "uv",
			Lock: "packages/etl/uv.lock", Workspace: "pyproject.toml"},
			pins(imageProject{Install: "uv", Files: []string{"packages/etl/pyproject.toml", "packages/etl/uv.lock"},
				Dir: "packages/etl", File: "packages/etl/pyproject.toml"})},
		{"poetry", &discover.Project{File: "svc/pyproject.toml", Name: "svc", Tool: "poetry", Lock: "svc/poetry.lock"},
			pins(imageProject{Install: "poetry", Files: []string{"svc/pyproject.toml", "svc/poetry.lock"}, Dir: "svc", File: "svc/pyproject.toml"})},
		{"pep621 with poetry.lock", &discover.Project{File: "pyproject.toml", Name: "x", Tool: "pep621", Lock: "poetry.lock"},
			pins(imageProject{Install: "poetry", Files: []string{"pyproject.toml", "poetry.lock"}, File: "pyproject.toml"})},
		{"no lock", &discover.Project{File: "svc/pyproject.toml", Name: "svc", Tool: "pep621"},
			pins(imageProject{Install: "pyproject", Files: []string{"svc/pyproject.toml"}, Dir: "svc", File: "svc/pyproject.toml"})},
		{"poetry without a lock", &discover.Project{File: "svc/pyproject.toml", Name: "svc", Tool: "poetry"},
			pins(imageProject{Install: "poetry-lock", Files: []string{"svc/pyproject.toml"}, Dir: "svc", File: "svc/pyproject.toml"})},
		{"poetry without a lock at the root", &discover.Project{File: "pyproject.toml", Name: "x", Tool: "poetry", LocalProjects: []string{"libs/common"}},
			pins(imageProject{Install: "poetry-lock", Files: []string{"pyproject.toml"}, File: "pyproject.toml", Local: []string{"libs/common"}})},
		{"uv workspace member with tool.poetry, no lock", &discover.Project{File: "a/pyproject.toml", Name: "a", Tool: "uv", Workspace: "pyproject.toml"},
			pins(imageProject{Install: "pyproject", Files: []string{"a/pyproject.toml"}, Dir: "a", File: "a/pyproject.toml"})},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, projectInstall(c.p), cmp.AllowUnexported(imageProject{})); diff != "" {
				t.Errorf("projectInstall (-want +got):\n%s", diff)
			}
		})
	}
}
