package schema

import (
	"regexp"
	"strings"

	"prefectgen/redact"
)

var secretKey = regexp.MustCompile(`(?i)(passw(or)?d|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|access[_-]?key)`)

// Secret reports why a value written under key looks like a secret in
// plain text, or "" when it does not: a secret-looking key with a literal
// value, or a URL with a password in it. Prefect placeholders ({{ ... }})
// are not literal values.
//
// A Prefect placeholder does not keep a secret out of a deployment:
// prefect deploy resolves {{ prefect.blocks... }}, {{ prefect.variables...
// }} and {{ $VAR }} in parameters and job variables before it sends them,
// and the server stores the values in plain text (Prefect 3.9.1).
func Secret(key, value string) string {
	switch {
	case value == "":
		return ""
	case strings.Contains(value, "{{ prefect.blocks.secret.") || strings.Contains(value, "{{prefect.blocks.secret."):
		return key + " refers to a Secret block, which prefect deploy resolves: the server would store the secret in plain text"
	case key != "" && secretKey.MatchString(key) && strings.Contains(value, "{{"):
		return key + " looks like a secret; prefect deploy resolves its placeholder, so the server would store it in plain text"
	}
	if m := redact.URLPassword(value); m != "" {
		return key + " holds a URL with a password (" + redact.URL(m) + "...)"
	}
	if key != "" && secretKey.MatchString(key) {
		return key + " looks like a secret but has a literal value"
	}
	return ""
}
