package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update", false, "rewrite the expected output in testdata/script (cmp lines)")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"prefectgen": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script. Each is a txtar
// archive: commands, then the files of a repository and the expected
// output. make golden rewrites the expected files.
func TestScripts(t *testing.T) {
	example, err := filepath.Abs(filepath.Join("..", "..", "examples", "rpa-platform"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: *updateScripts,
		Setup: func(e *testscript.Env) error {
			e.Setenv("EXAMPLE", example)
			e.Setenv("PREFECTGEN_IMAGE_TAG", "0123abcd")
			return nil
		},
	})
}
