package schema

import (
	"net/url"
	"regexp"
	"strings"
)

var secretKey = regexp.MustCompile(`(?i)(passw(or)?d|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|access[_-]?key)`)

// urlWithPassword finds scheme://user:password@ in a value.
var urlWithPassword = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:[^\s/@]+@`)

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
	if m := urlWithPassword.FindString(value); m != "" {
		return key + " holds a URL with a password (" + RedactURL(m) + "...)"
	}
	if key != "" && secretKey.MatchString(key) {
		return key + " looks like a secret but has a literal value"
	}
	return ""
}

// RedactURL replaces the password of a URL's user information with ***,
// so that a URL can be printed.
func RedactURL(s string) string {
	return urlWithPassword.ReplaceAllStringFunc(s, func(m string) string {
		scheme, rest, _ := strings.Cut(m, "://")
		user, _, _ := strings.Cut(rest, ":")
		u, err := url.PathUnescape(user)
		if err != nil {
			u = user
		}
		return scheme + "://" + u + ":***@"
	})
}
