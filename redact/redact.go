// Package redact hides credentials in the text prefectgen prints: API keys, auth strings and the passwords of URLs.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// urlWithPassword finds scheme://user:password@ in text.
var urlWithPassword = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:[^\s/@]+@`)

// URLPassword returns the scheme://user:password@ part of a URL in s, ""
// when it has none.
func URLPassword(s string) string { return urlWithPassword.FindString(s) }

// URL replaces the password of every URL's user information in s with
// ***.
func URL(s string) string {
	return urlWithPassword.ReplaceAllStringFunc(s, func(m string) string {
		scheme, rest, _ := strings.Cut(m, "://")
		user, _, _ := strings.Cut(rest, ":")
		if u, err := url.PathUnescape(user); err == nil {
			user = u
		}
		return scheme + "://" + user + ":***@"
	})
}

// Secrets hides known secret values, and URL passwords, in text.
type Secrets []string

// String hides the secrets and URL passwords in s.
func (r Secrets) String(s string) string {
	for _, v := range r {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return URL(s)
}
