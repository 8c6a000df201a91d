package discover

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const flowImports = `import pandas
import boto3
from prefect_aws import S3Bucket
from prefect import flow

@flow
def main():
    pass
`

// TestPyprojectShapes: dependencies declared in pyproject.toml (PEP 621,
// PEP 735 groups, Poetry, uv workspaces), Pipfile and environment.yml
// cover a flow's imports; extras are understood.
func TestPyprojectShapes(t *testing.T) {
	cases := []struct {
		name     string
		tree     string
		problems []string
		project  *Project
	}{
		{"PEP 621 with extras", `-- NOREQ --
-- pyproject.toml --
[project]
name = "My_Flows"
dependencies = ["pandas>=2", "prefect[aws]>=3; python_version >= '3.10'"]
[project.optional-dependencies]
cloud = ["boto3"]
-- flows/a.py --
` + flowImports, nil, &Project{File: "pyproject.toml", Name: "my-flows", Tool: "pep621"}},
		{"PEP 735 dependency groups and what is missing", `-- NOREQ --
-- pyproject.toml --
[project]
name = "x"
dependencies = ["pandas"]
[dependency-groups]
aws = ["prefect-aws", {include-group = "dev"}]
dev = ["pytest"]
-- flows/a.py --
import paramiko
` + flowImports, []string{"flows/a.py:1:1: MISSING_DEPENDENCY"}, &Project{File: "pyproject.toml", Name: "x", Tool: "pep621"}}, // boto3 comes with prefect-aws
		{"Poetry with groups and a lock", `-- NOREQ --
-- svc/pyproject.toml --
[tool.poetry]
name = "svc"
[tool.poetry.dependencies]
python = "^3.11"
pandas = "^2"
prefect = {version = "^3", extras = ["aws"]}
[tool.poetry.group.dev.dependencies]
pytest = "*"
-- svc/poetry.lock --
[[package]]
name = "boto3"
version = "1.0"
-- svc/flows/a.py --
` + flowImports, nil, &Project{File: "svc/pyproject.toml", Name: "svc", Tool: "poetry", Lock: "svc/poetry.lock"}},
		{"uv workspace member", `-- NOREQ --
-- pyproject.toml --
[project]
name = "root"
dependencies = ["pandas", "prefect-aws"]
[tool.uv.workspace]
members = ["pipelines/*"]
exclude = ["pipelines/old"]
-- uv.lock --
version = 1
[[package]]
name = "boto3"
-- pipelines/one/pyproject.toml --
[project]
name = "one"
dependencies = ["root"]
-- pipelines/one/flow.py --
` + flowImports + `-- pipelines/old/pyproject.toml --
[project]
name = "old"
-- pipelines/old/flow.py --
` + strings.ReplaceAll(flowImports, "def main", "def old"), []string{"pipelines/old/flow.py:1:1: MISSING_DEPENDENCY", "pipelines/old/flow.py:2:1: MISSING_DEPENDENCY", "pipelines/old/flow.py:3:1: MISSING_DEPENDENCY"},
			&Project{File: "pipelines/one/pyproject.toml", Name: "one", Tool: "uv", Lock: "uv.lock", Workspace: "pyproject.toml"}},
		{"a uv workspace source the root does not depend on installs nothing", `-- NOREQ --
-- pyproject.toml --
[project]
name = "root"
dependencies = ["prefect-aws"]
[tool.uv.workspace]
members = ["packages/*"]
[tool.uv.sources]
lib = { workspace = true }
tools = { path = "tools" }
-- packages/lib/pyproject.toml --
[project]
name = "lib"
dependencies = ["pandas"]
-- tools/pyproject.toml --
[project]
name = "tools"
dependencies = ["boto3"]
-- examples/flow.py --
` + flowImports, []string{"examples/flow.py:1:1: MISSING_DEPENDENCY"},
			&Project{File: "pyproject.toml", Name: "root", Tool: "uv"}},
		{"a tool-only pyproject.toml is no project", `-- NOREQ --
-- flows/pyproject.toml --
[tool.ruff]
line-length = 100
-- Pipfile --
[packages]
pandas = "*"
boto3 = {version = "*"}
prefect-aws = "*"
-- flows/a.py --
` + flowImports, nil, &Project{File: "Pipfile", Tool: "pipenv"}},
		{"conda environment.yml", `-- NOREQ --
-- flows/environment.yml --
name: etl
channels: [conda-forge]
dependencies:
  - python=3.11
  - conda-forge::pandas>=2
  - pip
  - pip:
    - boto3==1.34
    - prefect-aws
-- flows/a.py --
` + flowImports, nil, &Project{File: "flows/environment.yml", Tool: "conda"}},
		{"requirements files and a project together", `-- requirements.txt --
prefect
boto3
-- pyproject.toml --
[project]
name = "x"
dependencies = ["pandas"]
-- flows/a.py --
` + flowImports, []string{"flows/a.py:3:1: MISSING_DEPENDENCY"}, &Project{File: "pyproject.toml", Name: "x", Tool: "pep621"}},
		{"a broken pyproject.toml", `-- NOREQ --
-- pyproject.toml --
[project
name = "x"
-- flows/a.py --
` + flowImports, []string{"flows/a.py:7:1: NO_REQUIREMENTS", "pyproject.toml:1:9: INVALID_REQUIREMENT"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustDiscover(t, writeTree(t, c.tree))
			want := c.problems
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, problemLines(res.Validation.All())); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
				for _, p := range res.Validation.All() {
					t.Log(p.Error())
				}
			}
			var f *FlowMetadata
			for i := range res.Flows {
				if res.Flows[i].Path != "pipelines/old/flow.py" {
					f = &res.Flows[i]
				}
			}
			if diff := cmp.Diff(c.project, f.Project); diff != "" {
				t.Errorf("project (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLocalProjects: the repository's own projects a project depends on
// (path dependencies, uv workspace members) provide their packages and
// what they declare, and a project's modules resolve from its folder and
// src/.
func TestLocalProjects(t *testing.T) {
	res := mustDiscover(t, writeTree(t, `-- NOREQ --
-- common-utils/pyproject.toml --
[tool.poetry]
name = "common-utils"
[tool.poetry.dependencies]
boto3 = "*"
-- common-utils/src/common/__init__.py --
import boto3
-- products/pyproject.toml --
[tool.poetry]
name = "products"
packages = [{include = "shared", from = "src"}]
[tool.poetry.dependencies]
common-utils = {path = "../common-utils", develop = true}
pandas = "*"
-- products/src/shared/__init__.py --
import pandas
-- products/src/etl/flow.py --
import boto3
from common import x
from shared import y
from prefect import flow

@flow
def etl():
    pass
-- ws/pyproject.toml --
[project]
name = "ws"
dependencies = ["mps"]
[tool.uv.sources]
mps = {workspace = true}
[tool.uv.workspace]
members = ["packages/*"]
-- ws/packages/mps/pyproject.toml --
[project]
name = "mps"
dependencies = ["duckdb"]
-- ws/packages/mps/src/mps/__init__.py --
-- ws/flows/a.py --
import mps, duckdb
from prefect import flow

@flow
def a():
    pass
`))
	if diff := cmp.Diff([]string{}, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
		for _, p := range res.Validation.All() {
			t.Log(p.Error())
		}
	}
	if diff := cmp.Diff([]string{"products/src/shared/__init__.py"}, res.Flows[0].LocalModules); diff != "" {
		t.Errorf("local modules (-want +got):\n%s", diff)
	}
}

// TestNoRequirementsNeeded: a flow that imports only prefect, the standard
// library and the repository's own modules needs no requirements file.
func TestNoRequirementsNeeded(t *testing.T) {
	res := mustDiscover(t, writeTree(t, `-- NOREQ --
-- shared/util.py --
import json
import httpx
-- flows/a.py --
import os, yaml
from shared.util import load
from prefect import flow, task

@flow
def main():
    pass
`))
	if diff := cmp.Diff([]string{}, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestDependencyData: the data generated from package metadata.
func TestDependencyData(t *testing.T) {
	for _, d := range []string{"prefect", "pyyaml", "httpx", "pydantic", "python-dateutil"} {
		if !prefectProvides(d) {
			t.Errorf("prefect's closure lacks %s", d)
		}
	}
	if prefectProvides("pandas") {
		t.Error("prefect's closure has pandas")
	}
	for imp, want := range map[string]string{
		"yaml": "pyyaml", "sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "pillow", "bs4": "beautifulsoup4",
		"google.oauth2.service_account": "google-auth", "google.cloud.storage": "google-cloud-storage",
		"dateutil": "python-dateutil", "Levenshtein": "levenshtein", "win32api": "pywin32", "ruamel.yaml": "ruamel-yaml",
		"pydantic_ai": "pydantic-ai-slim", "dbt": "dbt-core", "discord": "discord-py", "decouple": "python-decouple",
	} {
		if got := normalizeDist(suggestedDist(imp)); got != want {
			t.Errorf("suggestedDist(%s) = %s, want %s", imp, got, want)
		}
	}
	if importName("ruamel.yaml.comments") != "ruamel.yaml.comments" || importName("pandas.io") != "pandas" {
		t.Error("importName does not know ruamel for a namespace package")
	}
	if got := extraDists("prefect", "aws"); len(got) != 1 || got[0] != "prefect-aws" {
		t.Errorf("prefect[aws] adds %v", got)
	}
}
