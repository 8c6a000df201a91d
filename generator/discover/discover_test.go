package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecoratorForms checks which decorated functions are flows, and with
// which name and entrypoint, one decorator form per case.
func TestDecoratorForms(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // name entrypoint deployable
	}{
		{"bare", "from prefect import flow\n\n@flow\ndef my_flow():\n    pass\n",
			[]string{"my-flow f.py:my_flow true"}},
		{"call with name", "from prefect import flow\n\n@flow(name='etl daily', retries=2)\ndef main():\n    pass\n",
			[]string{"etl daily f.py:main true"}},
		{"call without name", "from prefect import flow\n\n@flow(log_prints=True)\ndef load_all_rows():\n    pass\n",
			[]string{"load-all-rows f.py:load_all_rows true"}},
		{"prefect.flow", "import prefect\n\n@prefect.flow\ndef a_b():\n    pass\n",
			[]string{"a-b f.py:a_b true"}},
		{"prefect.flow call", "import prefect\n\n@prefect.flow(name=\"x\")\ndef a():\n    pass\n",
			[]string{"x f.py:a true"}},
		{"alias", "from prefect import flow as prefect_flow\n\n@prefect_flow\ndef a():\n    pass\n",
			[]string{"a f.py:a true"}},
		{"alias call", "from prefect import task, flow as pf_flow\n\n@pf_flow(name='aliased')\ndef a():\n    pass\n",
			[]string{"aliased f.py:a true"}},
		{"module alias", "import prefect as pf\n\n@pf.flow(name='m')\ndef a():\n    pass\n",
			[]string{"m f.py:a true"}},
		{"prefect.flows", "from prefect.flows import flow\n\n@flow\ndef a():\n    pass\n",
			[]string{"a f.py:a true"}},
		{"prefect.flows module alias", "import prefect.flows as pff\n\n@pff.flow\ndef a():\n    pass\n",
			[]string{"a f.py:a true"}},
		{"import prefect.flows", "import prefect.flows\n\n@prefect.flows.flow\ndef a():\n    pass\n",
			[]string{"a f.py:a true"}},
		{"star import", "from prefect import *\n\n@flow\ndef a():\n    pass\n",
			[]string{"a f.py:a true"}},
		{"async", "from prefect import flow\n\n@flow\nasync def fetch_all():\n    pass\n",
			[]string{"fetch-all f.py:fetch_all true"}},
		{"stacked decorators", "import functools\nfrom prefect import flow\n\n@functools.lru_cache\n@flow(name='s')\n@other\ndef a():\n    pass\n",
			[]string{"s f.py:a true"}},
		{"inside module-level if", "from prefect import flow\nif True:\n    @flow\n    def a():\n        pass\n",
			[]string{"a f.py:a true"}},
		{"under the main guard", "from prefect import flow\n\n@flow\ndef a():\n    pass\n\nif __name__ == '__main__':\n    @flow\n    def b():\n        pass\n    a()\nelse:\n    @flow\n    def c():\n        pass\n",
			[]string{"a f.py:a true", "b f.py:b false", "c f.py:c true"}},
		{"static method", "from prefect import flow\n\nclass Jobs:\n    @staticmethod\n    @flow\n    def nightly(x: int = 1):\n        pass\n",
			[]string{"nightly f.py:Jobs.nightly true"}},
		{"class method", "from prefect import flow\n\nclass Jobs:\n    class Inner:\n        @classmethod\n        @flow\n        def run(cls):\n            pass\n",
			[]string{"run f.py:Jobs.Inner.run true"}},
		{"instance method", "from prefect import flow\n\nclass Jobs:\n    @flow\n    def run(self):\n        pass\n",
			[]string{"run f.py:Jobs.run false"}},
		{"nested", "from prefect import flow\n\ndef outer():\n    @flow\n    def inner():\n        pass\n",
			[]string{"inner f.py:inner false"}},
		{"in a string", "from prefect import flow\nx = '''\n@flow\ndef fake():\n    pass\n'''\n", nil},
		{"in a docstring", "from prefect import flow\n\ndef f():\n    \"\"\"\n    @flow\n    def fake(): pass\n    \"\"\"\n", nil},
		{"in a comment", "from prefect import flow\n# @flow\n# def fake():\n#     pass\n", nil},
		{"hook", "from prefect import flow\n\n@flow\ndef main():\n    pass\n\n@main.on_failure\ndef alert(flow, run, state):\n    pass\n",
			[]string{"main f.py:main true"}},
		{"with_options is not a decorator form", "from prefect import flow\n\n@flow.with_options(name='x')\ndef a():\n    pass\n", nil},
		{"task is not a flow", "from prefect import task\n\n@task\ndef a():\n    pass\n", nil},
		{"controlflow", "import prefect\nfrom controlflow import flow\n\n@flow\ndef a():\n    pass\n", nil},
		{"metaflow", "import prefect\nfrom metaflow import FlowSpec, step, flow\n\nclass F(FlowSpec):\n    @step\n    def start(self):\n        pass\n\n@flow\ndef b():\n    pass\n", nil},
		{"unbound flow name", "import prefect\n\n@flow\ndef a():\n    pass\n", nil},
		{"rebound later wins", "from prefect import flow\nfrom metaflow import flow\n\n@flow\ndef a():\n    pass\n", nil},
		{"class decorated", "from prefect import flow\n\n@flow\nclass A:\n    pass\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, "-- f.py --\n"+c.src)
			res := mustDiscover(t, root)
			var got []string
			for _, f := range res.Flows {
				got = append(got, f.Name+" "+f.Entrypoint+" "+map[bool]string{true: "true", false: "false"}[f.Deployable])
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProblems checks every problem code at its position, one case per code.
func TestProblems(t *testing.T) {
	cases := []struct {
		name string
		tree string
		want []string
	}{
		{"syntax error keeps other flows", `-- flows/a.py --
from prefect import flow

@flow
def before():
    pass

def broken(:
    pass

@flow
def after():
    pass
`, []string{"flows/a.py:7:12: SYNTAX_ERROR"}},
		{"duplicate name", `-- flows/a.py --
from prefect import flow

@flow(name="etl")
def one():
    pass
-- flows/b.py --
from prefect import flow


@flow(name="etl")
def two():
    pass
`, []string{"flows/b.py:5:1: DUPLICATE_FLOW_NAME"}},
		{"derived names collide", `-- a.py --
from prefect import flow

@flow
def load_rows():
    pass

@flow(name="load-rows")
def other():
    pass
`, []string{"a.py:8:1: DUPLICATE_FLOW_NAME"}},
		{"banned characters", `-- a.py --
from prefect import flow

@flow(name="in/out")
def a():
    pass

@flow(name="")
def b():
    pass
`, []string{"a.py:3:12: INVALID_FLOW_NAME", "a.py:7:12: INVALID_FLOW_NAME"}},
		{"non-literal name", `-- a.py --
from prefect import flow
NAME = compute()

@flow(name=NAME)
def a():
    pass

@flow(name=f"{NAME!r}-2")
def b():
    pass

@flow(**OPTS)
def c():
    pass
`, []string{"a.py:4:12: NON_LITERAL_FLOW_NAME", "a.py:8:12: NON_LITERAL_FLOW_NAME", "a.py:12:7: NON_LITERAL_FLOW_NAME"}},
		{"non-literal description", `-- a.py --
from prefect import flow

@flow(description=DESC, version=VERSION)
def a():
    pass
`, []string{"a.py:4:1: NON_LITERAL_FLOW_OPTION", "a.py:4:1: NON_LITERAL_FLOW_OPTION"}},
		{"nested flow", `-- a.py --
from prefect import flow

def runner():
    @flow
    def inner():
        pass
    inner()
`, []string{"a.py:5:5: NESTED_FLOW"}},
		{"instance method", `-- a.py --
from prefect import flow

class C:
    @flow
    def m(self):
        pass
`, []string{"a.py:5:5: INSTANCE_METHOD_FLOW"}},
		{"missing dependency", `-- requirements.txt --
prefect==3.4.0
requests==2.32.3
-- flows/x/workflow.py --
import os
import requests
import pandas
from sklearn import svm
from cv2 import imread
import PIL.Image
from bs4 import BeautifulSoup
from google.cloud import storage
from prefect import flow

@flow
def main():
    pass
`, []string{
			"flows/x/workflow.py:3:1: MISSING_DEPENDENCY",
			"flows/x/workflow.py:4:1: MISSING_DEPENDENCY",
			"flows/x/workflow.py:5:1: MISSING_DEPENDENCY",
			"flows/x/workflow.py:6:1: MISSING_DEPENDENCY",
			"flows/x/workflow.py:7:1: MISSING_DEPENDENCY",
			"flows/x/workflow.py:8:1: MISSING_DEPENDENCY",
		}},
		{"dependencies covered under other names", `-- requirements.txt --
prefect==3.4.0
PyYAML==6.0.2
scikit-learn>=1.5
opencv-python-headless
Pillow
beautifulsoup4==4.12.3
google-cloud-storage
python_dateutil
-- flows/x/workflow.py --
import yaml, sklearn.svm, cv2
from PIL import Image
from bs4 import BeautifulSoup
from google.cloud import storage
from dateutil import parser
from shared.io import read
from . import helpers
from flows.x.helpers import other
from prefect import flow

@flow
def main():
    pass
-- flows/x/helpers.py --
import json
-- flows/__init__.py --
-- flows/x/__init__.py --
-- shared/__init__.py --
-- shared/io.py --
import csv
`, []string{}},
		{"missing dependency in a shared module", `-- requirements.txt --
prefect
-- shared/io.py --
import pandas
-- flows/a/workflow.py --
from prefect import flow
from shared.io import read

@flow
def a():
    pass
-- flows/b/workflow.py --
from prefect import flow
import shared.io

@flow
def b():
    pass
`, []string{"shared/io.py:1:1: MISSING_DEPENDENCY"}},
		{"no requirements", `-- NOREQ --
-- a.py --
import pandas
from prefect import flow

@flow
def a():
    pass
`, []string{"a.py:5:1: NO_REQUIREMENTS"}},
		{"conflicting pins", `-- requirements.txt --
prefect==3.4.0
httpx==0.27.0
-- flows/x/requirements.txt --
-r ../../common.txt
httpx==0.28.1  # newer
-- common.txt --
prefect==3.4.1
-- flows/x/workflow.py --
import httpx
from prefect import flow

@flow
def main():
    pass
`, []string{"requirements.txt:1:1: CONFLICTING_PINS", "requirements.txt:2:1: CONFLICTING_PINS"}},
		{"missing include and bad line", `-- requirements.txt --
prefect
-r missing.txt
!!!
-- a.py --
from prefect import flow

@flow
def a():
    pass
`, []string{"requirements.txt:2:1: MISSING_REQUIREMENTS_INCLUDE", "requirements.txt:3:1: INVALID_REQUIREMENT"}},
		{"not utf-8", "-- a.py --\nfrom prefect import flow\nx = '\xff'\n", []string{".: NO_FLOWS", "a.py:2:6: NOT_UTF8"}},
		{"empty repository", "", []string{".: NO_FLOWS"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustDiscover(t, writeTree(t, c.tree))
			got := problemLines(res.Validation.All())
			want := c.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
				for _, p := range res.Validation.All() {
					t.Log(p.Error())
				}
			}
		})
	}
}

// TestNamespacePackages checks that a folder without __init__.py whose
// path leads to Python code is the repository's own, and that a folder
// that only shares a distribution's name is not.
func TestNamespacePackages(t *testing.T) {
	root := writeTree(t, `-- requirements.txt --
prefect
-- pkg/sub/util.py --
import boto3
-- pandas/settings.yml --
a: 1
-- flows/a.py --
from prefect import flow
from pkg.sub.util import helper
import pandas

@flow
def a():
    pass
`)
	res := mustDiscover(t, root)
	want := []string{"flows/a.py:3:1: MISSING_DEPENDENCY", "pkg/sub/util.py:1:1: MISSING_DEPENDENCY"}
	if diff := cmp.Diff(want, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pkg/sub/util.py"}, res.Flows[0].LocalModules); diff != "" {
		t.Errorf("local modules (-want +got):\n%s", diff)
	}
}
