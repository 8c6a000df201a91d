package generator

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/schema"
)

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envFile is a .env file's variables, in the order written.
type envFile struct {
	keys   []string
	values map[string]string
}

// parseEnvFile reads KEY=VALUE lines as docker compose and python-dotenv
// do: blank lines and # comments are skipped, "export " is allowed, a
// value may be quoted ('...' as it is, "..." with \n, \t, \" and \\
// escapes), and an unquoted value ends at " #". A secret-looking variable
// is an error: it would be stored in plain text.
func parseEnvFile(rel string, data []byte) (envFile, []diag.ValidationError) {
	f := envFile{values: map[string]string{}}
	var probs []diag.ValidationError
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		pos := diag.Pos{File: rel, Line: i + 1, Column: 1}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		key, raw, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok || !envKey.MatchString(key) {
			probs = append(probs, diag.New(diag.ConfigEnvFile, pos, fmt.Sprintf("%q is not KEY=VALUE", line)))
			continue
		}
		value, err := envValue(strings.TrimSpace(raw))
		if err != nil {
			probs = append(probs, diag.New(diag.ConfigEnvFile, pos, fmt.Sprintf("%s: %v", key, err)))
			continue
		}
		if why := schema.Secret(key, value); why != "" {
			pos.Column = strings.Index(line, "=") + 2
			probs = append(probs, diag.New(diag.ConfigSecretValue, pos, why))
			continue
		}
		if _, seen := f.values[key]; !seen {
			f.keys = append(f.keys, key)
		}
		f.values[key] = value
	}
	return f, probs
}

// envValue reads the value part of a .env line.
func envValue(raw string) (string, error) {
	switch {
	case strings.HasPrefix(raw, "'"):
		end := strings.Index(raw[1:], "'")
		if end < 0 {
			return "", fmt.Errorf("the quote is not closed")
		}
		return raw[1 : end+1], nil
	case strings.HasPrefix(raw, `"`):
		var b strings.Builder
		for i := 1; i < len(raw); i++ {
			c := raw[i]
			switch {
			case c == '"':
				return b.String(), nil
			case c == '\\' && i+1 < len(raw):
				i++
				switch raw[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(raw[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("the quote is not closed")
	}
	if i := strings.Index(raw, " #"); i >= 0 {
		raw = raw[:i]
	}
	return strings.TrimSpace(raw), nil
}

// envFileOf returns the .env.<environment> file of a flow, "" when it has
// none.
func envFileOf(f *discover.FlowMetadata, env string) string {
	for _, p := range f.EnvFiles {
		if path.Base(p) == ".env."+env {
			return p
		}
	}
	return ""
}

// loadEnvFiles reads the .env.<environment> files of the flows for the
// environments that set env_files.
func loadEnvFiles(root string, cfg *schema.Config, flows []discover.FlowMetadata) (map[string]envFile, []diag.ValidationError) {
	files := map[string]envFile{}
	var probs []diag.ValidationError
	for name, e := range cfg.Environments {
		if !e.EnvFiles {
			continue
		}
		for i := range flows {
			rel := envFileOf(&flows[i], name)
			if _, done := files[rel]; rel == "" || done {
				continue
			}
			data, err := ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				probs = append(probs, diag.New(diag.UnreadableFile, diag.Pos{File: rel}, "cannot read: "+err.Error()))
				files[rel] = envFile{}
				continue
			}
			f, ps := parseEnvFile(rel, data)
			files[rel] = f
			probs = append(probs, ps...)
		}
	}
	return files, probs
}
