package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"prefectgen/diag"
	"prefectgen/model"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

//go:embed schema.cue
var schemaCUE string

// SchemaSource returns the CUE source of the configuration schema.
func SchemaSource() string { return schemaCUE }

// compiled holds the schema, compiled once. A cue.Context is not safe for
// concurrent use, so every use holds mu.
var compiled = sync.OnceValue(func() *compiledSchema {
	ctx := cuecontext.New()
	v := ctx.CompileString(schemaCUE, cue.Filename("schema.cue"))
	if v.Err() != nil {
		panic(fmt.Sprintf("schema: the embedded schema does not compile: %v", v.Err()))
	}
	return &compiledSchema{ctx: ctx, root: v}
})

type compiledSchema struct {
	mu   sync.Mutex
	ctx  *cue.Context
	root cue.Value
}

// Deployment types.
const (
	TypePython     = "python"
	TypeDocker     = "docker"
	TypeKubernetes = "kubernetes"
)

// Types lists the deployment types in their order.
var Types = []string{TypePython, TypeDocker, TypeKubernetes}

// Config is deployment_config.yaml, validated and with defaults applied.
type Config struct {
	Project      string                        `json:"project"`
	Environments map[string]*EnvironmentConfig `json:"environments"`
	Images       ImagesConfig                  `json:"images"`
	Naming       NamingConfig                  `json:"naming"`
	Flows        map[string]*FlowConfig        `json:"flows"`
	TemplatesDir string                        `json:"templates_dir"`
	FlowsDir     string                        `json:"flows_dir"`
	// Definitions holds YAML anchors; prefectgen does not read it.
	Definitions any                    `json:"definitions"`
	Deploy      DeployConfig           `json:"deploy"`
	Problems    map[string]ProblemRule `json:"problems"`

	// File is the path the configuration was read from, "" for the
	// built-in zero configuration.
	File string `json:"-"`
	// Templates is flow_templates.yaml, nil when there is none.
	Templates *Templates `json:"-"`

	pos          *positions
	templatesPos *positions
}

// EnvironmentConfig is one environment.
type EnvironmentConfig struct {
	Name              string                     `json:"-"`
	PrefectAPIURL     string                     `json:"prefect_api_url"`
	UIURL             string                     `json:"ui_url"`
	WorkPools         map[string]*WorkPoolConfig `json:"work_pools"`
	DefaultParameters map[string]any             `json:"default_parameters"`
	ResourceLimits    ResourceLimits             `json:"resource_limits"`
	DockerRegistry    string                     `json:"docker_registry"`
	ImagePullPolicy   string                     `json:"image_pull_policy"`
	CodeDir           string                     `json:"code_dir"`
	Process           ProcessConfig              `json:"process"`
	Tags              []string                   `json:"tags"`
	Env               map[string]string          `json:"env"`
	EnvFiles          bool                       `json:"env_files"`
}

// ProcessConfig is how process workers find the code.
type ProcessConfig struct {
	CodeDir string     `json:"code_dir"`
	Git     *GitConfig `json:"git"`
}

// GitConfig is a repository process workers clone.
type GitConfig struct {
	Repository  string `json:"repository"`
	Credentials string `json:"credentials"`
}

// WorkPoolConfig is the work pool of one deployment type.
type WorkPoolConfig struct {
	Name         string         `json:"name"`
	WorkQueue    string         `json:"work_queue"`
	Namespace    string         `json:"namespace"`
	JobVariables map[string]any `json:"job_variables"`
}

// UnmarshalJSON accepts a work pool's name alone, as the seed writes it.
func (w *WorkPoolConfig) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*w = WorkPoolConfig{Name: name}
		return nil
	}
	type plain WorkPoolConfig
	return decodeJSON(b, (*plain)(w))
}

// ResourceLimits are the memory and cpu of a deployment's job.
type ResourceLimits struct {
	Memory string `json:"memory"`
	CPU    string `json:"cpu"`
}

// UnmarshalJSON accepts cpu as a number or a string.
func (r *ResourceLimits) UnmarshalJSON(b []byte) error {
	var raw struct {
		Memory string          `json:"memory"`
		CPU    json.RawMessage `json:"cpu"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.Memory = raw.Memory
	r.CPU = strings.Trim(string(raw.CPU), `"`)
	return nil
}

// ImagesConfig tells how flow images are named, tagged and built.
type ImagesConfig struct {
	PythonVersion  string `json:"python_version"`
	PrefectVersion string `json:"prefect_version"`
	Base           string `json:"base"`
	Name           string `json:"name"`
	TagStrategy    string `json:"tag_strategy"`
	Tag            string `json:"tag"`
}

// BaseImage returns the configured base image, or Prefect's image for the
// configured Prefect and Python versions.
func (i ImagesConfig) BaseImage() string {
	if i.Base != "" {
		return i.Base
	}
	return fmt.Sprintf("prefecthq/prefect:%s-python%s", i.PrefectVersion, i.PythonVersion)
}

// NamingConfig holds the naming patterns.
type NamingConfig struct {
	Deployment string `json:"deployment"`
}

// Settings are what a flow, or a flow in one environment, may set.
type Settings struct {
	DeploymentName         string           `json:"deployment_name"`
	Types                  []string         `json:"types"`
	Schedules              []model.Schedule `json:"schedules"`
	Parameters             map[string]any   `json:"parameters"`
	Tags                   []string         `json:"tags"`
	Description            *string          `json:"description"`
	Version                *string          `json:"version"`
	WorkPool               string           `json:"work_pool"`
	WorkQueue              string           `json:"work_queue"`
	JobVariables           map[string]any   `json:"job_variables"`
	ConcurrencyLimit       *int             `json:"concurrency_limit"`
	Paused                 *bool            `json:"paused"`
	EnforceParameterSchema *bool            `json:"enforce_parameter_schema"`
}

// FlowConfig is one entry of flows:.
type FlowConfig struct {
	Settings
	Environments map[string]*Settings `json:"environments"`
	// Deploy is the flow's own choice, nil when it leaves it to deploy:.
	Deploy *bool `json:"deploy"`
	// Key is the entry's key in flows:.
	Key string `json:"-"`
}

// UnmarshalJSON decodes the embedded Settings and the overrides.
func (f *FlowConfig) UnmarshalJSON(b []byte) error {
	if err := decodeJSON(b, &f.Settings); err != nil {
		return err
	}
	var rest struct {
		Environments map[string]*Settings `json:"environments"`
		Deploy       *bool                `json:"deploy"`
	}
	if err := decodeJSON(b, &rest); err != nil {
		return err
	}
	f.Environments, f.Deploy = rest.Environments, rest.Deploy
	return nil
}

// DeployConfig says which flows get deployments.
type DeployConfig struct {
	Include  []string `json:"include"`
	Exclude  []string `json:"exclude"`
	Subflows bool     `json:"subflows"`
}

// ProblemRule changes the severity of one problem code, in every file or
// in those Paths match.
type ProblemRule struct {
	// Severity is "error", "warning", "note" or "off".
	Severity string   `json:"severity"`
	Paths    []string `json:"paths"`
}

// UnmarshalJSON reads a rule written as its severity alone, or in full.
func (r *ProblemRule) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.Severity)
	}
	type plain ProblemRule
	return json.Unmarshal(b, (*plain)(r))
}

// Templates is flow_templates.yaml.
type Templates struct {
	File   string               `json:"-"`
	ByType map[string]*Template `json:"-"`
	Python *Template            `json:"python_deployment"`
	Docker *Template            `json:"docker_deployment"`
	Kuber  *Template            `json:"kubernetes_deployment"`
}

// Template is the deployment template of one type.
type Template struct {
	WorkPool     string         `json:"work_pool"`
	WorkQueue    string         `json:"work_queue"`
	JobVariables map[string]any `json:"job_variables"`
	// Parameters is a map, or a placeholder string.
	Parameters  any      `json:"parameters"`
	Tags        []string `json:"tags"`
	Description string   `json:"description"`
}

// Problem builds a configuration problem with the code's severity and
// remediation, at path of the configuration file.
func (c *Config) Problem(code string, path []string, msg string) diag.ValidationError {
	p := diag.Pos{File: c.File}
	if c.pos != nil {
		p = c.pos.at(path)
	}
	return diag.New(code, p, msg)
}

// Written reports whether the configuration file writes path.
func (c *Config) Written(path []string) bool {
	if c.pos == nil {
		return false
	}
	_, ok := c.pos.keys[joinPath(path...)]
	return ok
}

// KeyProblem is Problem positioned at the key of path.
func (c *Config) KeyProblem(code string, path []string, msg string) diag.ValidationError {
	p := diag.Pos{File: c.File}
	if c.pos != nil {
		p = c.pos.keyAt(path)
	}
	return diag.New(code, p, msg)
}

// TemplateProblem is Problem for flow_templates.yaml.
func (c *Config) TemplateProblem(code string, path []string, msg string) diag.ValidationError {
	file := ""
	if c.Templates != nil {
		file = c.Templates.File
	}
	p := diag.Pos{File: file, Line: 1, Column: 1}
	if c.templatesPos != nil {
		p = c.templatesPos.at(path)
	}
	return diag.New(code, p, msg)
}

// Default returns the zero configuration: one development environment at
// a local server with a process work pool.
func Default() *Config {
	c, probs := load("", nil, "#Config")
	if len(probs) > 0 {
		panic(fmt.Sprintf("schema: the zero configuration does not validate: %v", probs))
	}
	return c
}

// Load validates the content of deployment_config.yaml. file is used in
// the problems; a nil Config comes with at least one error.
func Load(file string, data []byte) (*Config, []diag.ValidationError) {
	return load(file, data, "#Config")
}

func load(file string, data []byte, def string) (*Config, []diag.ValidationError) {
	cfg := &Config{File: file}
	var probs []diag.ValidationError
	val, pos, probs := validate(file, data, def)
	if len(probs) > 0 {
		return nil, probs
	}
	cfg.pos = pos
	if err := decodeJSON(val, cfg); err != nil {
		return nil, []diag.ValidationError{diag.New(diag.ConfigInvalidValue, diag.Pos{File: file, Line: 1, Column: 1}, err.Error())}
	}
	if len(cfg.Environments) == 0 {
		dflt, _, _ := validate("", []byte("environments: {development: {work_pools: {python: default}}}\n"), def)
		var d Config
		if err := json.Unmarshal(dflt, &d); err != nil {
			panic(err)
		}
		cfg.Environments = d.Environments
	}
	for name, e := range cfg.Environments {
		e.Name = name
	}
	for key, f := range cfg.Flows {
		f.Key = key
	}
	probs = append(probs, cfg.check()...)
	diag.Sort(probs)
	return cfg, probs
}

// LoadTemplates validates the content of flow_templates.yaml into cfg.
func (c *Config) LoadTemplates(file string, data []byte) []diag.ValidationError {
	val, pos, probs := validate(file, data, "#Templates")
	if len(probs) > 0 {
		return probs
	}
	t := &Templates{File: file}
	if err := decodeJSON(val, t); err != nil {
		return []diag.ValidationError{diag.New(diag.ConfigInvalidValue, diag.Pos{File: file, Line: 1, Column: 1}, err.Error())}
	}
	t.ByType = map[string]*Template{TypePython: t.Python, TypeDocker: t.Docker, TypeKubernetes: t.Kuber}
	for k, v := range t.ByType {
		if v == nil {
			delete(t.ByType, k)
		}
	}
	c.Templates = t
	c.templatesPos = pos
	probs = c.checkTemplates()
	diag.Sort(probs)
	return probs
}
