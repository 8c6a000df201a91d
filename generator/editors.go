package generator

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"prefectgen/schema"
)

// The JSON Schemas of the configuration files, for editors: the YAML
// language server (VS Code's YAML extension and others) reads the schema a
// file's modeline names, and completes and checks the file with it.
const (
	ConfigSchemaFile    = ".prefectgen/deployment_config.schema.json"
	TemplatesSchemaFile = ".prefectgen/flow_templates.schema.json"
)

// Modeline is the comment that points the YAML language server at a
// schema, relative to the file that holds it.
func Modeline(schemaPath string) string {
	return "# yaml-language-server: $schema=" + schemaPath
}

var modeline = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*yaml-language-server:.*\$schema=(\S+)`)

// jsonHeader is prefectgen's header in a JSON file, which has no comments:
// the first key of the object, on the second line.
var jsonHeader = []byte(`  "$comment": "` + Header + `",`)

// EditorSchema returns the content of the editor schema of
// deployment_config.yaml (def "#Config") or flow_templates.yaml
// ("#Templates"): prefectgen schema --json-schema, marked as generated.
func EditorSchema(def string) ([]byte, error) {
	s, err := schema.JSONSchema(def)
	if err != nil {
		return nil, err
	}
	body, ok := bytes.CutPrefix(s, []byte("{\n"))
	if !ok {
		return nil, fmt.Errorf("the JSON Schema of %s does not start with an object", def)
	}
	return append(append([]byte("{\n"), jsonHeader...), append([]byte("\n"), body...)...), nil
}

// namesSchema reports whether the configuration file file (relative to
// the root) has a modeline naming the schema file target (relative to
// the root). A modeline is relative to the folder of its file.
func namesSchema(file string, data []byte, target string) bool {
	m := modeline.FindSubmatch(data)
	if m == nil || bytes.Contains(m[1], []byte("://")) {
		return false
	}
	file = filepath.ToSlash(file)
	if path.IsAbs(file) || strings.HasPrefix(file, "../") {
		return false // outside the repository
	}
	return path.Join(path.Dir(file), string(m[1])) == target
}

// editorSchemas renders the editor schema of each configuration file whose
// modeline names it (prefectgen init writes one): so it follows prefectgen's
// schema, and a repository whose files name none gets none.
func (g *gen) editorSchemas() error {
	cfg := g.p.Config
	files := []struct{ file, def, target string }{{cfg.File, "#Config", ConfigSchemaFile}}
	if cfg.Templates != nil {
		files = append(files, struct{ file, def, target string }{cfg.Templates.File, "#Templates", TemplatesSchemaFile})
	}
	for _, f := range files {
		if f.file == "" {
			continue
		}
		data, err := g.readFile(f.file)
		if err != nil || !namesSchema(f.file, data, f.target) {
			continue
		}
		content, err := EditorSchema(f.def)
		if err != nil {
			return err
		}
		if err := g.own(f.target, content); err != nil {
			return err
		}
	}
	return nil
}
