package discover

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flowLines renders flows as "name entrypoint" plus the reason a flow is
// not deployable.
func flowLines(res *Result) []string {
	var out []string
	for _, f := range res.Flows {
		s := f.Name + " " + f.Entrypoint
		if !f.Deployable {
			s += " [" + f.NotDeployableReason + "]"
		}
		out = append(out, s)
	}
	return out
}

type constructCase struct {
	name     string
	tree     string
	flows    []string // flowLines
	problems []string // problemLines
}

func runConstructCases(t *testing.T, cases []constructCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustDiscover(t, writeTree(t, c.tree))
			if diff := cmp.Diff(c.flows, flowLines(res)); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
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
		})
	}
}

// TestFlowNames: names Python computes before anything runs are the
// names Prefect gives.
func TestFlowNames(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"placeholder-free f-string", `-- f.py --
from prefect import flow

@flow(name=f"Bond Reporting Data Scripts")
def main():
    pass

@flow(name=F'{{braces}} and \t tab')
def other():
    pass
`, []string{"Bond Reporting Data Scripts f.py:main", "{braces} and \t tab f.py:other"}, nil},
		{"module constants", `-- f.py --
from prefect import flow

PREFIX = "etl"
FLOW_NAME: str = "Knack Services: " + "Artbox"
NAME = "first"
NAME = "second"

@flow(name=FLOW_NAME)
def a():
    pass

@flow(name=NAME)
def b():
    pass

@flow(name=f"{PREFIX}-daily")
def c():
    pass

@flow(name=PREFIX + "-" + NAME + f"-{PREFIX}")
def d():
    pass

NAME = "third"
`, []string{"Knack Services: Artbox f.py:a", "second f.py:b", "etl-daily f.py:c", "etl-second-etl f.py:d"}, nil},
		{"what cannot be known", `-- f.py --
import os
from prefect import flow

DYNAMIC = os.environ["NAME"]
LATER = "x"

@flow(name=DYNAMIC)
def a():
    pass

@flow(name=f"{LATER:>10}")
def b():
    pass

@flow(name=UNDEFINED_YET)
def c():
    pass

UNDEFINED_YET = "y"
`, []string{"a f.py:a", "b f.py:b", "c f.py:c"}, []string{
			"f.py:7:12: NON_LITERAL_FLOW_NAME", "f.py:11:12: NON_LITERAL_FLOW_NAME", "f.py:15:12: NON_LITERAL_FLOW_NAME"}},
		{"constants imported from repository modules", `-- requirements.txt --
prefect
third-party
-- flows/__init__.py --
-- flows/names.py --
BASE = "reports"
DAILY = BASE + "-daily"
-- flows/pkg/__init__.py --
from ..names import DAILY as EXPORTED
-- flows/a.py --
from prefect import flow
from flows.names import DAILY
from .names import BASE
from flows.pkg import EXPORTED
from third_party import NAME

@flow(name=DAILY)
def a():
    pass

@flow(name=f"{BASE}-weekly")
def b():
    pass

@flow(name=EXPORTED + "-copy")
def c():
    pass

@flow(name=NAME)
def d():
    pass
`, []string{"reports-daily flows/a.py:a", "reports-weekly flows/a.py:b", "reports-daily-copy flows/a.py:c", "d flows/a.py:d"},
			[]string{"flows/a.py:19:12: NON_LITERAL_FLOW_NAME"}},
		{"duplicate check on resolved names", `-- a.py --
from prefect import flow
NAME = "main"

@flow(name=NAME)
def one():
    pass
-- b.py --
from prefect import flow

@flow(name=f"main")
def two():
    pass
`, []string{"main a.py:one", "main b.py:two"}, []string{"b.py:4:1: DUPLICATE_FLOW_NAME"}},
		{"invalid resolved name", `-- a.py --
from prefect import flow
NAME = "in/out"

@flow(name=NAME)
def one():
    pass
`, []string{"in/out a.py:one"}, []string{"a.py:4:12: INVALID_FLOW_NAME"}},
	})
}

// TestCallFormFlows: module-level flows made by a call, deployed by the
// variable's entrypoint.
func TestCallFormFlows(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"flow(fn) and flow(fn, name=...)", `-- f.py --
import prefect
from prefect import flow, Flow

def plain_function(x: int = 1):
    """Doc."""
    return x

async def fetch():
    pass

call_form = flow(plain_function, name="called", retries=2)
call_form_default = flow(plain_function)
by_hand = prefect.flow(name="by hand")(plain_function)
klass = Flow(fetch)
not_a_def = flow(lambda: None)
`, []string{"called f.py:call_form", "plain-function f.py:call_form_default", "by hand f.py:by_hand", "fetch f.py:klass"}, nil},
		{"with_options", `-- f.py --
from prefect import flow

@flow(retries=1)
def plain_flow(day: str):
    pass

renamed = plain_flow.with_options(name="renamed-copy", retries=3)
same_name = plain_flow.with_options(retries=5)
chained = renamed.with_options(name="chained")
`, []string{"plain-flow f.py:plain_flow", "renamed-copy f.py:renamed", "plain-flow f.py:same_name", "chained f.py:chained"}, nil},
		{"with_options and flow(fn) of another module", `-- requirements.txt --
prefect
prefect-dbt-flow
-- flows/__init__.py --
-- flows/base.py --
from prefect import flow

@flow(name="base")
def etl(day: str = "today"):
    pass

def helper(n: int):
    pass
-- flows/variants.py --
from prefect import flow
from flows.base import etl, helper
from prefect_dbt_flow import library_flow

daily = etl.with_options(name="etl-daily")
wrapped = flow(helper, name="wrapped")
lib = library_flow.with_options(name="x")
`, []string{"base flows/base.py:etl", "etl-daily flows/variants.py:daily", "wrapped flows/variants.py:wrapped"},
			[]string{"flows/variants.py:7:1: FLOW_FACTORY"}},
		{"parameters come from the function", `-- f.py --
from prefect import flow

def load(path: str, limit: int = 10):
    pass

loader = flow(load, name="loader")
`, []string{"loader f.py:loader"}, nil},
	})
	root := writeTree(t, "-- f.py --\nfrom prefect import flow\n\ndef load(path: str, limit: int = 10):\n    \"\"\"Load.\"\"\"\n\nloader = flow(load, name=\"loader\", description=\"Loads.\")\n")
	f := mustDiscover(t, root).Flows[0]
	if f.FunctionName != "loader" || f.Line != 6 || f.Column != 1 || len(f.Parameters) != 2 || !f.Parameters[0].Required ||
		f.Description != "Loads." || f.Docstring != "Load." {
		t.Errorf("call-form flow: %+v", f)
	}
}

// TestRedefinitionAndFactories: Python keeps the last binding of a name;
// factories are noted, not deployed.
func TestRedefinitionAndFactories(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"a def redefined is one flow, the last", `-- f.py --
from prefect import flow

@flow(name="first")
def validate():
    pass

@flow(name="second")
def validate():
    pass

@flow
def shadowed():
    pass

def shadowed():
    pass

@flow
def main():
    pass

main = main.with_options(name="renamed")
`, []string{"second f.py:validate", "renamed f.py:main"}, nil},
		{"factories", `-- requirements.txt --
prefect
prefect-dbt
-- lib/__init__.py --
-- lib/factory.py --
from prefect import flow

def dbt_flow(project, **flow_kwargs):
    @flow(**flow_kwargs)
    def dbt_flow():
        pass
    return dbt_flow
-- examples/run.py --
from prefect import flow
from lib.factory import dbt_flow
from prefect_dbt import remote_flow, build_flow
from prefect.deployments import run_deployment

def make_flow(suffix):
    @flow(name=f"made-{suffix}")
    def inner():
        pass
    return inner

@flow
def real():
    pass

made_a = make_flow("a")
my_dbt_flow = dbt_flow(project="x")
remote = remote_flow(x=1)
built = build_flow()
result = real()
deployed = run_deployment("x/y")
`, []string{"inner examples/run.py:inner [factory]", "real examples/run.py:real", "dbt-flow lib/factory.py:dbt_flow [factory]"},
			[]string{"examples/run.py:16:1: FLOW_FACTORY", "examples/run.py:17:1: FLOW_FACTORY", "examples/run.py:18:1: FLOW_FACTORY", "examples/run.py:19:1: FLOW_FACTORY"}},
	})
}

// TestTestsAreQuiet: flows in tests are listed, not deployable, and
// report nothing.
func TestTestsAreQuiet(t *testing.T) {
	runConstructCases(t, []constructCase{
		{"tests", `-- NOREQ --
-- tests/test_flows.py --
import pandas
from prefect import flow

@flow(name=SOMETHING)
def t1():
    pass

def test_it():
    @flow
    def local():
        pass
-- pkg/test_unit.py --
from prefect import flow

@flow(name="dup")
def t2():
    pass
-- pkg/conftest.py --
from prefect import flow
made = make_flow()

@flow(name="dup")
def t3():
    pass
-- pkg/flows.py --
from prefect import flow

@flow(name="dup")
def real():
    pass
`, []string{"dup pkg/conftest.py:t3 [test]", "dup pkg/flows.py:real", "dup pkg/test_unit.py:t2 [test]", "t1 tests/test_flows.py:t1 [test]", "local tests/test_flows.py:local [test]"}, nil},
	})
}

// TestFlowNamesMatchPrefect runs the shapes of corpus/test_prefect_truth.py
// (the names there are Prefect 3.9.1's).
func TestFlowNamesMatchPrefect(t *testing.T) {
	src := `import prefect
from prefect import flow
from prefect import flow as pflow
import prefect as pf

PREFIX = "etl"
NAME = "from-constant"

@flow
def plain_flow():
    pass

@flow(name="literal name")
def literal():
    pass

@flow(name=NAME)
def constant():
    pass

@prefect.flow(name=NAME + "-2")
def dotted_constant():
    pass

@flow(name=f"placeholder-free")
def fstring_plain():
    pass

@flow(name=f"{PREFIX}-daily")
def fstring_constant():
    pass

@pflow
def aliased_flow():
    pass

@pf.flow(name="pf alias")
def module_alias():
    pass

@flow
async def async_flow():
    pass

def plain_function(x: int = 1):
    return x

call_form = flow(plain_function, name="called")
call_form_default = flow(plain_function)
renamed = plain_flow.with_options(name="renamed-copy")
same_object = plain_flow
`
	want := map[string]string{
		"plain_flow": "plain-flow", "literal": "literal name", "constant": "from-constant",
		"dotted_constant": "from-constant-2", "fstring_plain": "placeholder-free", "fstring_constant": "etl-daily",
		"aliased_flow": "aliased-flow", "module_alias": "pf alias", "async_flow": "async-flow",
		"call_form": "called", "call_form_default": "plain-function", "renamed": "renamed-copy",
	}
	res := mustDiscover(t, writeTree(t, "-- flows/shapes.py --\n"+src))
	got := map[string]string{}
	for _, f := range res.Flows {
		got[strings.TrimPrefix(f.Entrypoint, "flows/shapes.py:")] = f.Name
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-Prefect +prefectgen):\n%s", diff)
	}
}
