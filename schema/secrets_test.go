package schema

import "testing"

func TestSecret(t *testing.T) {
	for _, c := range []struct {
		key, value string
		secret     bool
	}{
		{"api_token", "s3cr3t", true},
		{"DB_PASSWORD", "{{ prefect.blocks.secret.db }}", true},
		{"DB_PASSWORD", "{{ $DB_PASSWORD }}", true},
		{"CONNECTION", "{{ prefect.blocks.secret.conn }}", true},
		{"DATABASE_URL", "postgres://app:pw@db:5432/app", true},
		{"DATABASE_URL", "postgres://app@db:5432/app", false},
		{"DATABASE_URL", "postgres://db:5432/app", false},
		{"source", "s3://bucket/in", false},
		{"api_token", "", false},
		{"target", "https://example.com/a:b@c", false},
		{"REGION", "{{ prefect.variables.region }}", false},
	} {
		if got := Secret(c.key, c.value) != ""; got != c.secret {
			t.Errorf("Secret(%q, %q) = %q", c.key, c.value, Secret(c.key, c.value))
		}
	}
}
