package discover

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSubflows: a flow that another deployable flow calls knows its
// callers, however the call names it.
func TestSubflows(t *testing.T) {
	root := writeTree(t, `-- flows/__init__.py --
-- flows/parent/workflow.py --
from prefect import flow, task
from flows.children import by_import, renamed as alias
import flows.children as kids
from flows import children
from ..shared import relative_child
from .local import sibling

@task
def helper():
    return 1


@flow
def parent():
    helper()
    local_child()
    by_import()
    alias.with_options(name="x")()
    kids.by_module.submit()
    children.by_package()
    relative_child()
    sibling()
    print(len([]))


@flow
def local_child():
    pass


@flow
def lonely():
    local_child.fn()
-- flows/parent/__init__.py --
-- flows/parent/local.py --
from prefect import flow

@flow
def sibling():
    pass
-- flows/children.py --
from prefect import flow

@flow
def by_import(): pass

@flow(name="renamed-flow")
def renamed(): pass

@flow
def by_module(): pass

@flow
def by_package(): pass

@flow
def never_called(): pass
-- flows/shared.py --
from prefect import flow

@flow
def relative_child(): pass
-- tests/test_parent.py --
from prefect import flow
from flows.children import never_called

@flow
def test_flow():
    never_called()
`)
	res := mustDiscover(t, root)
	var got []string
	for _, f := range res.Flows {
		got = append(got, f.Name+" <- "+strings.Join(f.CalledBy, ","))
	}
	want := []string{
		"by-import <- parent",
		"renamed-flow <- parent",
		"by-module <- parent",
		"by-package <- parent",
		"never-called <- ",
		"sibling <- parent",
		"parent <- ",
		"local-child <- lonely,parent",
		"lonely <- ",
		"relative-child <- parent",
		"test-flow <- ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("callers (-want +got):\n%s", diff)
	}
}
