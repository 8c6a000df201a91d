package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLocalModuleNotOnPath: an import that names a module file or package
// of the repository in a folder not on the flow's path is reported as the
// repository's own module, not as a distribution to add; a package of one of
// the repository's projects is a distribution (the project) to add.
func TestLocalModuleNotOnPath(t *testing.T) {
	res := mustDiscover(t, writeTree(t, `-- requirements.txt --
prefect
-- scripts/push/etl_chunk_utils.py --
def f():
    pass
-- scripts/push/new.py --
from etl_chunk_utils import f
from prefect import flow

@flow
def new():
    pass
-- scripts/push/antiguos/old.py --
from etl_chunk_utils import f
import paramiko
from prefect import flow

@flow
def old():
    pass
-- lib/helpers/__init__.py --
-- packages/executor/pyproject.toml --
[project]
name = "qcsc-executor"
-- packages/executor/src/qcsc_executor/__init__.py --
-- flows/d.py --
import qcsc_executor
from prefect import flow

@flow
def d():
    pass
-- flows/c.py --
import helpers.io
from prefect import flow

@flow
def c():
    pass
`))
	want := []string{"flows/c.py:1:1: LOCAL_MODULE_NOT_ON_PATH", "flows/d.py:1:1: MISSING_DEPENDENCY", "scripts/push/antiguos/old.py:1:1: LOCAL_MODULE_NOT_ON_PATH", "scripts/push/antiguos/old.py:2:1: MISSING_DEPENDENCY"}
	if diff := cmp.Diff(want, problemLines(res.Validation.Errors)); diff != "" {
		t.Fatalf("errors (-want +got):\n%s", diff)
	}
	for _, p := range res.Validation.Errors {
		t.Log(p.Message)
	}
	if got, want := res.Validation.Errors[2].Message, `import etl_chunk_utils names the repository's own module scripts/push/etl_chunk_utils.py, which is not on the import path of flow "old" (the repository root and scripts/push/antiguos/); import it by its path from the repository root, or move it beside the flow: it is not a distribution to add to requirements.txt`; got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
	var flowErrs []string
	for _, f := range res.Flows {
		flowErrs = append(flowErrs, f.ValidationErrors...)
	}
	if diff := cmp.Diff([]string{
		"LOCAL_MODULE_NOT_ON_PATH: imports helpers, the repository's own module lib/helpers/__init__.py, which is not on its import path",
		"MISSING_DEPENDENCY: imports qcsc_executor, which requirements.txt does not declare",
		"LOCAL_MODULE_NOT_ON_PATH: imports etl_chunk_utils, the repository's own module scripts/push/etl_chunk_utils.py, which is not on its import path",
		"MISSING_DEPENDENCY: imports paramiko, which requirements.txt does not declare",
	}, flowErrs); diff != "" {
		t.Errorf("flow errors (-want +got):\n%s", diff)
	}
}
