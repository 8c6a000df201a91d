package generator

import (
	"strings"
	"testing"
)

// TestCheckHandWrittenKept refuses a merge that changes what the user
// wrote, and accepts one that only adds prefectgen's entries.
func TestCheckHandWrittenKept(t *testing.T) {
	before := "name: hand\ndeployments:\n- name: by-hand\n  description: |+\n    kept\n\n\npull: []\n"
	ok := before + "" // unchanged
	added := strings.Replace(before, "pull: []", "- name: gen\n  tags: [\"managed-by:prefectgen\"]\npull: []", 1)
	for _, good := range []string{ok, added} {
		if err := checkHandWrittenKept([]byte(before), []byte(good)); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{
		strings.Replace(before, "\n\n\npull", "\n# >>> prefectgen\npull", 1), // the |+ value loses its blank lines
		strings.Replace(before, "name: hand", "name: other", 1),
		strings.Replace(before, "- name: by-hand", "- name: renamed", 1),
	} {
		if err := checkHandWrittenKept([]byte(before), []byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
