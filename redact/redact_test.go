package redact

import "testing"

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"x postgres://app:p%40ss@db/app y":            "x postgres://app:***@db/app y",
		"https://user:pw@prefect.example.com/api":     "https://user:***@prefect.example.com/api",
		"https://prefect.example.com/api":             "https://prefect.example.com/api",
		"PREFECT_API_AUTH_STRING=admin:s3cr3t at end": "PREFECT_API_AUTH_STRING=admin:*** at end",
	} {
		if got := (Secrets{"s3cr3t"}).String(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
