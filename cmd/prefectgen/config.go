package main

import (
	"context"
	"encoding/json"
	"fmt"

	"prefectgen/model"

	goyaml "github.com/goccy/go-yaml"
	"github.com/spf13/pflag"
)

type configOpts struct {
	projectFlags
	env  string
	json bool
}

// effective is what config show prints.
type effective struct {
	Environment string                   `json:"environment"`
	APIURL      string                   `json:"prefect_api_url"`
	UIURL       string                   `json:"ui_url"`
	Deployments []model.DeploymentConfig `json:"deployments"`
}

var configCmd = &command{
	name:    "config",
	args:    "show [PATH]",
	short:   "show the effective configuration of every deployment of an environment",
	maxArgs: 2,
	long: `
Config show prints the effective, fully merged configuration of every
deployment (flow x deployment type) of one environment of the repository at
PATH: what prefectgen would generate and deploy. The layers, later ones
winning: the built-in defaults of the deployment type, the environment
(work pool, default parameters, resource limits, registry, code_dir, env),
flow_templates.yaml, the flow's entry in flows:, and that entry's
environments.<env> override.

The output is YAML, or JSON with --json. It exits 1 when the configuration
has errors (they are printed as validate prints them).`,
	examples: `
# the merged deployments of staging, as YAML
prefectgen config show --env staging
# as JSON
prefectgen config show --env staging --json`,
	flags: func(fs *pflag.FlagSet) any {
		o := &configOpts{}
		o.projectFlags.register(fs)
		fs.StringVar(&o.env, "env", "", "the environment (required)")
		fs.BoolVar(&o.json, "json", false, "print JSON instead of YAML")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*configOpts)
		if len(args) == 0 || args[0] != "show" {
			return usagef("config needs a subcommand: config show --env NAME [PATH]")
		}
		if o.env == "" {
			return usagef("config show needs --env NAME")
		}
		root := pathArg(args[1:])
		p, err := o.load(root)
		if err != nil {
			return err
		}
		if !p.Validation.IsValid {
			printProblems(e.stderr, root, p.Validation.Errors)
			return exitError{exitFailure}
		}
		m := p.Manager()
		envCfg, err := m.LoadEnvironmentConfig(o.env)
		if err != nil {
			return err
		}
		deps, _, err := m.Deployments(o.env)
		if err != nil {
			return err
		}
		if deps == nil {
			deps = []model.DeploymentConfig{}
		}
		out := effective{Environment: o.env, APIURL: envCfg.PrefectAPIURL, UIURL: deps0UI(deps, envCfg.PrefectAPIURL), Deployments: deps}
		if o.json {
			return writeJSON(e.stdout, out)
		}
		for i := range out.Deployments {
			d := &out.Deployments[i]
			d.Parameters, _ = plainNumbers(d.Parameters).(map[string]any)
			d.JobVariables, _ = plainNumbers(d.JobVariables).(map[string]any)
			for j := range d.Schedules {
				d.Schedules[j].Parameters, _ = plainNumbers(d.Schedules[j].Parameters).(map[string]any)
			}
		}
		b, err := goyaml.MarshalWithOptions(out, goyaml.UseJSONMarshaler(), goyaml.UseLiteralStyleIfMultiline(true))
		if err != nil {
			return fmt.Errorf("writing YAML: %w", err)
		}
		_, err = e.stdout.Write(b)
		return err
	},
}

// plainNumbers turns the configuration's json.Numbers into int64 or
// float64, which YAML writes as numbers (a json.Number would be a string).
func plainNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainNumbers(e)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}

func deps0UI(deps []model.DeploymentConfig, api string) string {
	if len(deps) > 0 {
		return deps[0].UIURL
	}
	return api
}
