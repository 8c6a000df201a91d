package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"prefectgen/diag"
)

// TestReadmeListsEveryCode: the README's table of problem codes names
// every code prefectgen reports.
func TestReadmeListsEveryCode(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range diag.Codes() {
		if !regexp.MustCompile(`(?m)^\|[^\n]*\b` + c.Code + `\b`).Match(data) {
			t.Errorf("README.md's code table does not list %s", c.Code)
		}
	}
}
