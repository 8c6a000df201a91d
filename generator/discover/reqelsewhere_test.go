package discover

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// utf16LE encodes s as UTF-16 little-endian with a byte order mark, as
// PowerShell's redirection writes pip freeze > requirements.txt.
func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestUTF16Requirements: a requirements file in UTF-16 with a byte order
// mark is read, as pip reads it.
func TestUTF16Requirements(t *testing.T) {
	root := writeTree(t, `-- flows/a.py --
import pandas
import boto3
from prefect import flow

@flow
def a():
    pass
`)
	if err := os.WriteFile(filepath.Join(root, "requirements.txt"), utf16LE("# core\r\nprefect>=3\r\npandas==2.2.0\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustDiscover(t, root)
	if diff := cmp.Diff([]string{"flows/a.py:2:1: MISSING_DEPENDENCY"}, problemLines(res.Validation.All())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"prefect>=3", "pandas==2.2.0"}, res.Flows[0].Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
}

// TestNoRequirementsNamesFileElsewhere: when flows have no requirements
// beside or above them but a requirements.txt elsewhere declares what they
// import, NO_REQUIREMENTS says that file is not installed with them; a
// file that declares none of their imports is not named.
func TestNoRequirementsNamesFileElsewhere(t *testing.T) {
	root := writeTree(t, `-- NOREQ --
-- main.py --
import pandas
import loguru
from prefect import flow

@flow
def a():
    pass
-- docs/requirements.txt --
mkdocs
-- other/requirements.txt --
-r missing.txt
!!! not a requirement
`)
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "config", "requirements.txt"), utf16LE("prefect\r\nloguru\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustDiscover(t, root)
	if diff := cmp.Diff([]string{"main.py:6:1: NO_REQUIREMENTS"}, problemLines(res.Validation.All())); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	want := `no requirements.txt or pyproject.toml in . or any folder above it declares what flow "a" imports: loguru, pandas; config/requirements.txt declares some of them but is neither beside nor above the flows, so it is not installed with them: move it, or include it (-r) from a requirements.txt beside or above them`
	if got := res.Validation.All()[0].Message; got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
}
