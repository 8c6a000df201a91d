package schema

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestJobVariables checks variables against the pinned base job
// templates: names, types, and the placeholders Prefect resolves.
func TestJobVariables(t *testing.T) {
	for typ, want := range map[string][]string{
		"process":    {"command", "env", "labels", "name", "stream_output", "working_dir"},
		"docker":     {"image", "image_pull_policy", "mem_limit", "network_mode", "networks", "volumes"},
		"kubernetes": {"cpu_request", "image", "memory_limit", "namespace", "service_account_name"},
	} {
		names := JobVariableNames(typ)
		for _, n := range want {
			if !slices.Contains(names, n) {
				t.Errorf("%s has no %s: %v", typ, n, names)
			}
		}
	}
	for _, c := range []struct {
		typ, key string
		value    any
		ok       bool
	}{
		{"docker", "image", "x:1", true},
		{"docker", "image", "{{ $IMAGE }}", true},
		{"docker", "auto_remove", true, true},
		{"docker", "auto_remove", "yes", false},
		{"docker", "volumes", []any{"./a:/a"}, true},
		{"docker", "volumes", "./a:/a", false},
		{"docker", "memory_limit", "1g", false},
		{"docker", "registry_credentials", map[string]any{"$ref": map[string]any{"block_document_id": "x"}}, true},
		{"kubernetes", "finished_job_ttl", json.Number("60"), true},
		{"kubernetes", "finished_job_ttl", json.Number("1.5"), false},
		{"kubernetes", "memory_request", json.Number("512"), false},
		{"process", "working_dir", ".", true},
		{"process", "working_dir", nil, true},
		{"ecs", "anything", 1, true},
	} {
		if got := CheckJobVariable(c.typ, c.key, c.value) == ""; got != c.ok {
			t.Errorf("CheckJobVariable(%s, %s, %#v) = %q", c.typ, c.key, c.value, CheckJobVariable(c.typ, c.key, c.value))
		}
	}
}
