package main

import (
	"fmt"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"prefectgen/generator"
)

// diffContext is the number of unchanged lines around each hunk, as in
// diff -u and git diff.
const diffContext = 3

// gitDiff returns a change as git diff prints it: a minimal (Myers) line
// diff in unified format with three lines of context, paths relative to
// the repository under a/ and b/, /dev/null for a created or removed
// file, and "\ No newline at end of file" where a side ends without one.
// git apply applies it at the repository's root. Equal contents give "".
func gitDiff(c generator.Change) (string, error) {
	old, new := string(c.Old), string(c.New)
	edits := udiff.Lines(old, new)
	if len(edits) == 0 {
		return "", nil
	}
	from, to := "a/"+c.Path, "b/"+c.Path
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git %s %s\n", from, to)
	switch c.Kind {
	case "create":
		from = "/dev/null"
		b.WriteString("new file mode 100644\n")
	case "remove":
		to = "/dev/null"
		b.WriteString("deleted file mode 100644\n")
	}
	u, err := udiff.ToUnified(from, to, old, edits, diffContext)
	if err != nil { // the edits were computed from old: never expected
		return "", fmt.Errorf("diffing %s: %w", c.Path, err)
	}
	b.WriteString(u)
	return b.String(), nil
}
