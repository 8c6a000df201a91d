package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"prefectgen/schema"
)

type schemaOpts struct {
	jsonSchema bool
	templates  bool
}

var schemaCmd = &command{
	name:  "schema",
	short: "print the configuration schema (CUE, or JSON Schema for editors)",
	long: `
Schema prints the CUE schema that deployment_config.yaml and
flow_templates.yaml are validated against. With --json-schema it prints a JSON
Schema of deployment_config.yaml (or, with --templates, of
flow_templates.yaml) generated from it, for editors: with the YAML language
server, put this line at the top of the file:

	# yaml-language-server: $schema=deployment_config.schema.json`,
	examples: `
# the configuration's schema, in CUE
prefectgen schema
# a JSON Schema for editors
prefectgen schema --json-schema > deployment_config.schema.json`,
	flags: func(fs *pflag.FlagSet) any {
		o := &schemaOpts{}
		fs.BoolVar(&o.jsonSchema, "json-schema", false, "print a JSON Schema instead of CUE")
		fs.BoolVar(&o.templates, "templates", false, "with --json-schema: the schema of flow_templates.yaml")
		return o
	},
	run: func(_ context.Context, e *env, opts any, _ []string) error {
		o := opts.(*schemaOpts)
		if !o.jsonSchema {
			if o.templates {
				return usagef("--templates goes with --json-schema")
			}
			_, err := fmt.Fprint(e.stdout, schema.SchemaSource())
			return err
		}
		def := "#Config"
		if o.templates {
			def = "#Templates"
		}
		b, err := schema.JSONSchema(def)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	},
}
