package discover

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeString decodes the source text of one Python string literal
// (prefixes r, u, b, f, t in any case; single, double or triple quotes).
// ok is false for f-strings, t-strings and bytes, whose value is not a
// plain string known without running the code.
func decodeString(src string) (s string, ok bool) {
	i := 0
	raw := false
	for i < len(src) && src[i] != '"' && src[i] != '\'' {
		switch src[i] {
		case 'r', 'R':
			raw = true
		case 'u', 'U':
		default: // f, t, b: not a plain string
			return "", false
		}
		i++
	}
	body := src[i:]
	var q string
	switch {
	case strings.HasPrefix(body, `"""`), strings.HasPrefix(body, `'''`):
		q = body[:3]
	case len(body) >= 2:
		q = body[:1]
	default:
		return "", false
	}
	if len(body) < 2*len(q) || !strings.HasSuffix(body, q) {
		return "", false
	}
	body = body[len(q) : len(body)-len(q)]
	if raw {
		return body, true
	}
	if strings.Contains(body, `\N{`) {
		return "", false // a character by its Unicode name: not decoded here
	}
	return unescape(body), true
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := 2
			switch e {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		default: // unknown escapes, \N{...}: kept as written, as Python does for unknown ones
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

// cleandoc mirrors Python's inspect.cleandoc: tabs expanded, leading
// whitespace of the first line removed, common indentation of the other
// lines removed, and blank lines at both ends dropped.
func cleandoc(doc string) string {
	doc = strings.ReplaceAll(doc, "\r\n", "\n")
	lines := strings.Split(expandTabs(doc), "\n")
	margin := -1
	for _, l := range lines[1:] {
		content := len(strings.TrimLeft(l, " "))
		if content == 0 {
			continue
		}
		if ind := len(l) - content; margin < 0 || ind < margin {
			margin = ind
		}
	}
	lines[0] = strings.TrimLeft(lines[0], " ")
	if margin > 0 {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) >= margin {
				lines[i] = lines[i][margin:]
			} else {
				lines[i] = strings.TrimLeft(lines[i], " ")
			}
		}
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case '\n':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}
