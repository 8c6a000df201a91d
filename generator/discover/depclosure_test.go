package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequirementsClosure: what a declared distribution requires is
// installed with it (depdata/requires.txt, transitively, through extras
// too), so importing it is no missing dependency; what nothing brings is.
func TestRequirementsClosure(t *testing.T) {
	res := mustDiscover(t, writeTree(t, `-- requirements.txt --
prefect[aws]
pandas
prefect-qiskit
-- flows/a.py --
import numpy
import dateutil
import qiskit
import qiskit_ibm_runtime
import boto3
import paramiko
from prefect import flow

@flow
def a():
    pass
-- kube/pyproject.toml --
[project]
name = "kube"
dependencies = ["prefect"]

[project.optional-dependencies]
dask = ["dask_kubernetes", "prefect-dask"]
-- kube/flows/b.py --
import kubernetes
import distributed
from prefect import flow

@flow
def b():
    pass
`))
	want := []string{"flows/a.py:6:1: MISSING_DEPENDENCY"}
	if diff := cmp.Diff(want, problemLines(res.Validation.Errors)); diff != "" {
		t.Errorf("errors (-want +got):\n%s\n%v", diff, res.Validation.Errors)
	}
}

// TestWithRequirements: the closure follows requires.txt through
// distributions that are not declared themselves.
func TestWithRequirements(t *testing.T) {
	got := map[string]bool{"pandas": true, "qiskit-addon-sqd": true}
	withRequirements(got)
	for _, d := range []string{"numpy", "python-dateutil", "six", "qiskit", "scipy"} {
		if !got[d] {
			t.Errorf("closure of pandas and qiskit-addon-sqd misses %s: %v", d, got)
		}
	}
	if got["pyarrow"] {
		t.Errorf("pandas's extras are not installed with it: %v", got)
	}
}
