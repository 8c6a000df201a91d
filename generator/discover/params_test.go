package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParametersAndMetadata(t *testing.T) {
	root := writeTree(t, `-- flows/etl/workflow.py --
"""Module doc."""
from typing import Optional
from prefect import flow

@flow(name="etl: \"daily\" $run", description='Load rows.', version="1.2", retries=3,
      retry_delay_seconds=[1, 2.5], timeout_seconds=-1, log_prints=True, tags={"a": None}, persist_result=cfg())
async def etl(a, b: int, /, c: Optional[list[str]] = None, *args: str, d: bool = True, e, **kw: dict) -> None:
	"""
	Load the rows.

	    Indented detail.
	"""
	pass

@flow
def plain(*, only_kw="x\ty", path: "str" = r"C:\new"):
    'Single-quoted docstring.'
`)
	res := mustDiscover(t, root)
	if len(res.Flows) != 2 {
		t.Fatalf("got %d flows, want 2", len(res.Flows))
	}
	etl := res.Flows[0]
	wantParams := []Parameter{
		{Name: "a", Kind: "positional_only", Required: true},
		{Name: "b", Annotation: "int", Kind: "positional_only", Required: true},
		{Name: "c", Annotation: "Optional[list[str]]", Default: "None", Kind: "positional_or_keyword"},
		{Name: "args", Annotation: "str", Kind: "var_positional"},
		{Name: "d", Annotation: "bool", Default: "True", Kind: "keyword_only"},
		{Name: "e", Kind: "keyword_only", Required: true},
		{Name: "kw", Annotation: "dict", Kind: "var_keyword"},
	}
	if diff := cmp.Diff(wantParams, etl.Parameters); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	checks := []struct{ what, got, want string }{
		{"name", etl.Name, `etl: "daily" $run`},
		{"function", etl.FunctionName, "etl"},
		{"module", etl.ModulePath, "flows.etl.workflow"},
		{"entrypoint", etl.Entrypoint, "flows/etl/workflow.py:etl"},
		{"folder", etl.Folder, "flows/etl"},
		{"description", etl.Description, "Load rows."},
		{"version", etl.Version, "1.2"},
		{"docstring", etl.Docstring, "Load the rows.\n\n    Indented detail."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !etl.Async || etl.Line != 7 || etl.Column != 1 {
		t.Errorf("async=%v line=%d col=%d, want true 7 1", etl.Async, etl.Line, etl.Column)
	}
	wantArgs := map[string]Argument{
		"name":                {Text: `"etl: \"daily\" $run"`, Value: `etl: "daily" $run`, Literal: true},
		"description":         {Text: "'Load rows.'", Value: "Load rows.", Literal: true},
		"version":             {Text: `"1.2"`, Value: "1.2", Literal: true},
		"retries":             {Text: "3", Value: int64(3), Literal: true},
		"retry_delay_seconds": {Text: "[1, 2.5]", Value: []any{int64(1), 2.5}, Literal: true},
		"timeout_seconds":     {Text: "-1", Value: int64(-1), Literal: true},
		"log_prints":          {Text: "True", Value: true, Literal: true},
		"tags":                {Text: `{"a": None}`, Value: map[string]any{"a": nil}, Literal: true},
		"persist_result":      {Text: "cfg()", Literal: false},
	}
	if diff := cmp.Diff(wantArgs, etl.Decorator); diff != "" {
		t.Errorf("decorator (-want +got):\n%s", diff)
	}
	plain := res.Flows[1]
	wantPlain := []Parameter{
		{Name: "only_kw", Default: `"x\ty"`, Kind: "keyword_only"},
		{Name: "path", Annotation: `"str"`, Default: `r"C:\new"`, Kind: "keyword_only"},
	}
	if diff := cmp.Diff(wantPlain, plain.Parameters); diff != "" {
		t.Errorf("plain parameters (-want +got):\n%s", diff)
	}
	if plain.Description != "Single-quoted docstring." || plain.Name != "plain" {
		t.Errorf("plain: name %q description %q", plain.Name, plain.Description)
	}
}

func TestDecodeString(t *testing.T) {
	cases := []struct {
		src, want string
		ok        bool
	}{
		{`"a"`, "a", true},
		{`'a\'b'`, "a'b", true},
		{`"\x41\u00e9\U0001F600\n\t\\"`, "Aé😀\n\t\\", true},
		{`"\101"`, "A", true},
		{`r"\n"`, `\n`, true},
		{`R'''x'''`, "x", true},
		{`"""a
b"""`, "a\nb", true},
		{`u"ü"`, "ü", true},
		{`f"x{y}"`, "", false},
		{`b"x"`, "", false},
		{`t"x"`, "", false},
		{`"\q"`, `\q`, true},
		{`"\N{SNOWMAN}"`, "", false},
		{`r"\N{SNOWMAN}"`, `\N{SNOWMAN}`, true},
		{`"`, "", false},
		{`"\x4"`, `\x4`, true},
	}
	for _, c := range cases {
		got, ok := decodeString(c.src)
		if got != c.want || ok != c.ok {
			t.Errorf("decodeString(%s) = %q, %v; want %q, %v", c.src, got, ok, c.want, c.ok)
		}
	}
}
