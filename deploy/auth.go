package deploy

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"

	"prefectgen/redact"
)

// Credentials are how prefectgen, and the prefect processes it runs,
// authenticate to a Prefect API, as Prefect reads them.
type Credentials struct {
	// APIKey is Prefect Cloud's (PREFECT_API_KEY): a Bearer token.
	APIKey string
	// AuthString is a self-hosted server's (PREFECT_API_AUTH_STRING,
	// user:password), sent as HTTP Basic; it wins over APIKey, as in
	// Prefect.
	AuthString string
}

// header is the Authorization header, "" for none.
func (c Credentials) header() string {
	switch {
	case c.AuthString != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.AuthString))
	case c.APIKey != "":
		return "Bearer " + c.APIKey
	}
	return ""
}

// env is what the prefect processes need to authenticate the same way.
func (c Credentials) env() []string {
	var out []string
	if c.APIKey != "" {
		out = append(out, "PREFECT_API_KEY="+c.APIKey)
	}
	if c.AuthString != "" {
		out = append(out, "PREFECT_API_AUTH_STRING="+c.AuthString)
	}
	return out
}

// Secrets are the values never to print.
func (c Credentials) Secrets() redact.Secrets {
	var out redact.Secrets
	for _, s := range []string{c.APIKey, c.AuthString} {
		if s != "" {
			out = append(out, s)
			if b := base64.StdEncoding.EncodeToString([]byte(s)); b != s {
				out = append(out, b)
			}
		}
	}
	return out
}

// Settings are what Prefect's own settings say about the API: the
// credentials and PREFECT_API_URL, from the environment, else the active
// profile.
type Settings struct {
	Credentials
	// APIURL is PREFECT_API_URL; prefectgen never switches to it, it warns
	// when it differs from the target.
	APIURL string
	// Sources name where each came from, for messages.
	APIURLSource, CredentialsSource string
}

// profileKeys are the settings prefectgen reads from a profile.
var profileKeys = []string{"PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"}

// ReadSettings reads Prefect's settings of the API from the environment
// (getenv) and the active profile: PREFECT_PROFILE, else the active key of
// profiles.toml in PREFECT_HOME (default ~/.prefect). The environment wins,
// setting by setting, as in Prefect. A missing profiles file is no error.
func ReadSettings(getenv func(string) string) (Settings, error) {
	values, sources := map[string]string{}, map[string]string{}
	profile, err := activeProfile(getenv)
	if err != nil {
		return Settings{}, err
	}
	for k, v := range profile.values {
		if v != "" {
			values[k], sources[k] = v, "profile "+profile.name
		}
	}
	for _, k := range profileKeys {
		if v := getenv(k); v != "" {
			values[k], sources[k] = v, "the environment"
		}
	}
	s := Settings{Credentials: Credentials{APIKey: values["PREFECT_API_KEY"], AuthString: values["PREFECT_API_AUTH_STRING"]},
		APIURL: values["PREFECT_API_URL"], APIURLSource: sources["PREFECT_API_URL"]}
	s.CredentialsSource = sources["PREFECT_API_AUTH_STRING"]
	if s.CredentialsSource == "" {
		s.CredentialsSource = sources["PREFECT_API_KEY"]
	}
	return s, nil
}

type profile struct {
	name   string
	values map[string]string
}

// activeProfile reads the active profile's API settings.
func activeProfile(getenv func(string) string) (profile, error) {
	home := getenv("PREFECT_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return profile{}, nil
		}
		home = filepath.Join(h, ".prefect")
	}
	path := filepath.Join(home, "profiles.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		return profile{}, nil // no profiles: Prefect's defaults
	}
	var file struct {
		Active   string                    `toml:"active"`
		Profiles map[string]map[string]any `toml:"profiles"`
	}
	if err := toml.Unmarshal(data, &file); err != nil {
		return profile{}, fmt.Errorf("reading Prefect's profiles %s: %w", path, err)
	}
	name := getenv("PREFECT_PROFILE")
	if name == "" {
		name = file.Active
	}
	p := profile{name: name, values: map[string]string{}}
	for _, k := range profileKeys {
		if v, ok := file.Profiles[name][k].(string); ok {
			p.values[k] = v
		}
	}
	return p, nil
}
