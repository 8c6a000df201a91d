package generator

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

// WorkPoolTypes maps deployment types to Prefect work pool types.
var WorkPoolTypes = map[string]string{schema.TypePython: "process", schema.TypeDocker: "docker", schema.TypeKubernetes: "kubernetes"}

// ConfigurationManager merges the configuration with the flows.
type ConfigurationManager struct {
	Config *schema.Config
	Flows  []discover.FlowMetadata
}

// LoadEnvironmentConfig returns the named environment.
func (m *ConfigurationManager) LoadEnvironmentConfig(env string) (*schema.EnvironmentConfig, error) {
	e, ok := m.Config.Environments[env]
	if !ok {
		names := m.EnvironmentNames()
		msg := fmt.Sprintf("no environment %q", env)
		if s := schema.Nearest(env, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, fmt.Errorf("%s (environments: %s)", msg, strings.Join(names, ", "))
	}
	return e, nil
}

// EnvironmentNames returns the configured environments, sorted.
func (m *ConfigurationManager) EnvironmentNames() []string {
	return slices.Sorted(maps.Keys(m.Config.Environments))
}

// FolderName is what {flow.name} means in the seed's templates: the
// flow's folder under flows/ (its top folder there), else its own folder.
func FolderName(f *discover.FlowMetadata) string {
	parts := strings.Split(f.Folder, "/")
	for i, p := range parts {
		if p == "flows" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	if f.Folder == "" {
		return strings.TrimSuffix(path.Base(f.Path), ".py")
	}
	return path.Base(f.Folder)
}

// flowConfig returns the flows: entry of a flow, by Prefect name or
// folder name.
func (m *ConfigurationManager) flowConfig(f *discover.FlowMetadata) *schema.FlowConfig {
	if fc, ok := m.Config.Flows[f.Name]; ok {
		return fc
	}
	if fc, ok := m.Config.Flows[FolderName(f)]; ok {
		return fc
	}
	return nil
}

// Types returns the deployment types of a flow in an environment: those
// listed for the flow, else every type the environment has a work pool for.
func (m *ConfigurationManager) Types(f *discover.FlowMetadata, env *schema.EnvironmentConfig) []string {
	fc := m.flowConfig(f)
	if fc != nil {
		if ov := fc.Environments[env.Name]; ov != nil && ov.Types != nil {
			return orderTypes(ov.Types)
		}
		if fc.Types != nil {
			return orderTypes(fc.Types)
		}
	}
	var out []string
	for _, t := range schema.Types {
		if _, ok := env.WorkPools[t]; ok {
			out = append(out, t)
		}
	}
	return out
}

func orderTypes(ts []string) []string {
	var out []string
	for _, t := range schema.Types {
		if slices.Contains(ts, t) {
			out = append(out, t)
		}
	}
	return out
}

// Plan returns every deployment of one environment, sorted by flow and
// deployment name, with the problems found while merging.
func (m *ConfigurationManager) Plan(env string) ([]model.DeploymentConfig, []diag.ValidationError, error) {
	e, err := m.LoadEnvironmentConfig(env)
	if err != nil {
		return nil, nil, err
	}
	var out []model.DeploymentConfig
	var probs []diag.ValidationError
	for i := range m.Flows {
		f := &m.Flows[i]
		for _, t := range m.Types(f, e) {
			d, ps := m.GenerateDeploymentConfig(f, e, t)
			probs = append(probs, ps...)
			if d != nil {
				out = append(out, *d)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].FlowName != out[j].FlowName {
			return out[i].FlowName < out[j].FlowName
		}
		return out[i].DeploymentName < out[j].DeploymentName
	})
	return out, probs, nil
}

// placeholders returns the values of the {placeholders} for one deployment.
func placeholders(f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string) func(string) (any, bool) {
	return func(name string) (any, bool) {
		switch name {
		case "environment", "environment.name":
			return e.Name, true
		case "environment.prefect_api_url":
			return e.PrefectAPIURL, true
		case "environment.ui_url":
			return uiURL(e), true
		case "environment.default_parameters":
			return maps.Clone(e.DefaultParameters), true
		case "environment.resource_limits.memory":
			return e.ResourceLimits.Memory, true
		case "environment.resource_limits.cpu":
			return e.ResourceLimits.CPU, true
		case "environment.docker_registry":
			return e.DockerRegistry, true
		case "environment.image_pull_policy":
			return e.ImagePullPolicy, true
		case "environment.code_dir":
			return e.CodeDir, true
		case "type":
			return typ, true
		case "flow.name":
			return FolderName(f), true
		case "flow.flow_name":
			return f.Name, true
		case "flow.function":
			return f.FunctionName, true
		case "flow.folder":
			return f.Folder, true
		case "flow.entrypoint":
			return f.Entrypoint, true
		case "flow.module_path":
			return f.ModulePath, true
		}
		if t, ok := strings.CutPrefix(name, "environment.work_pools."); ok {
			if wp, ok := e.WorkPools[t]; ok {
				return wp.Name, true
			}
			return "", true
		}
		return nil, false
	}
}

// uiURL is the environment's UI: ui_url, else the API URL without /api.
func uiURL(e *schema.EnvironmentConfig) string {
	if e.UIURL != "" {
		return strings.TrimSuffix(e.UIURL, "/")
	}
	return strings.TrimSuffix(strings.TrimSuffix(e.PrefectAPIURL, "/"), "/api")
}

// expandAll fills in placeholders in every string of v.
func expandAll(v any, lookup func(string) (any, bool)) (any, error) {
	switch x := v.(type) {
	case string:
		return schema.Expand(x, lookup)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			ev, err := expandAll(val, lookup)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			ev, err := expandAll(val, lookup)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}

// deepMerge merges src into dst: maps merge key by key, anything else is
// replaced. dst is modified and returned.
func deepMerge(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = deepMerge(maps.Clone(dm), sm)
				continue
			}
			dst[k] = deepMerge(nil, sm)
			continue
		}
		dst[k] = v
	}
	return dst
}

// signature describes what parameters a flow accepts.
type signature struct {
	names  []string
	varKW  string // the **kwargs name, "" when none
	params []discover.Parameter
}

// annotation returns the annotation text of a parameter.
func (s signature) annotation(name string) string {
	for _, p := range s.params {
		if p.Name == name {
			return p.Annotation
		}
	}
	return ""
}

var optionalAnn = regexp.MustCompile(`^(?:Optional\[\s*(\w+)\s*\]|(\w+)\s*\|\s*None|None\s*\|\s*(\w+))$`)

// typeMismatch reports whether a configured value cannot be the
// parameter's simple annotation (str, int, float, bool, optionally
// Optional), as Prefect's parameter schema would refuse it; want names the
// type. Other annotations are not checked.
func typeMismatch(ann string, v any) (want string, bad bool) {
	ann = strings.TrimSpace(ann)
	nullable := false
	if m := optionalAnn.FindStringSubmatch(ann); m != nil {
		ann, nullable = m[1]+m[2]+m[3], true
	}
	if v == nil {
		return "not optional", !nullable && slices.Contains([]string{"str", "int", "float", "bool"}, ann)
	}
	switch ann {
	case "str":
		_, ok := v.(string)
		return "a str", !ok
	case "bool":
		_, ok := v.(bool)
		return "a bool", !ok
	case "int":
		n, ok := v.(json.Number)
		if !ok {
			return "an int", true
		}
		_, err := n.Int64()
		return "an int", err != nil
	case "float":
		_, ok := v.(json.Number)
		return "a float", !ok
	}
	return "", false
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the bool %v", x)
	case json.Number:
		return "the number " + x.String()
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

// nest sets a parameter the flow takes only through its **kwargs: under
// the **kwargs name, the one way Prefect passes it.
func (s signature) nest(dst map[string]any, k string, v any) {
	kw, _ := dst[s.varKW].(map[string]any)
	kw = maps.Clone(kw)
	if kw == nil {
		kw = map[string]any{}
	}
	kw[k] = v
	dst[s.varKW] = kw
}

// signatureParams is a flow's signature as a deployment records it.
func signatureParams(f *discover.FlowMetadata) []model.Parameter {
	out := []model.Parameter{}
	for _, p := range f.Parameters {
		out = append(out, model.Parameter{Name: p.Name, Required: p.Required})
	}
	return out
}

func signatureOf(f *discover.FlowMetadata) signature {
	var s signature
	for _, p := range f.Parameters {
		switch p.Kind {
		case "var_keyword":
			s.varKW = p.Name
		case "var_positional", "positional_only":
		default:
			s.names = append(s.names, p.Name)
		}
	}
	s.params = f.Parameters
	return s
}

// GenerateDeploymentConfig merges everything that applies to one flow in
// one environment with one deployment type.
func (m *ConfigurationManager) GenerateDeploymentConfig(f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string) (*model.DeploymentConfig, []diag.ValidationError) {
	c := m.Config
	var probs []diag.ValidationError
	lookup := placeholders(f, e, typ)
	fc := m.flowConfig(f)
	var flowPath []string
	var base, ov *schema.Settings
	if fc != nil {
		flowPath = []string{"flows", fc.Key}
		base = &fc.Settings
		ov = fc.Environments[e.Name]
	}
	var tmpl *schema.Template
	if c.Templates != nil {
		tmpl = c.Templates.ByType[typ]
	}
	expand := func(v any, where func() diag.ValidationError) any {
		out, err := expandAll(v, lookup)
		if err != nil {
			p := where()
			p.Message = err.Error()
			probs = append(probs, p)
			return v
		}
		return out
	}
	// Where an unknown placeholder met while expanding is reported: a key
	// of this type's template, or a path of the configuration.
	inTemplate := func(key string) func() diag.ValidationError {
		return func() diag.ValidationError {
			return c.TemplateProblem(diag.ConfigUnknownPlaceholder, []string{typ + "_deployment", key}, "")
		}
	}
	inConfig := func(path []string) func() diag.ValidationError {
		return func() diag.ValidationError { return c.Problem(diag.ConfigUnknownPlaceholder, path, "") }
	}
	pick := func(get func(s *schema.Settings) string) string {
		if ov != nil && get(ov) != "" {
			return get(ov)
		}
		if base != nil && get(base) != "" {
			return get(base)
		}
		return ""
	}

	d := &model.DeploymentConfig{
		FlowName:       f.Name,
		Environment:    e.Name,
		DeploymentType: typ,
		Entrypoint:     f.Entrypoint,
		WorkPoolType:   WorkPoolTypes[typ],
		CodeDir:        e.CodeDir,
		PrefectAPIURL:  e.PrefectAPIURL,
		UIURL:          uiURL(e),
		Signature:      signatureParams(f),
		Description:    f.Description,
		Version:        f.Version,
	}
	name, nameErr := schema.Expand(c.Naming.Deployment, lookup)
	d.DeploymentName = fmt.Sprint(name)
	if nameErr != nil { // an unknown placeholder, reported by the configuration's checks
		d.DeploymentName = c.Naming.Deployment
	}
	d.FullName = d.FlowName + "/" + d.DeploymentName
	if nameErr == nil && !schema.ValidName(d.DeploymentName) {
		probs = append(probs, c.Problem(diag.ConfigInvalidName, []string{"naming", "deployment"},
			fmt.Sprintf("deployment name %q of flow %q contains / %% & > < or is empty", d.DeploymentName, f.Name)))
	}

	// Work pool and queue.
	pool := e.WorkPools[typ]
	if pool != nil {
		d.WorkPool, d.WorkQueue = pool.Name, pool.WorkQueue
	}
	if tmpl != nil && tmpl.WorkPool != "" {
		d.WorkPool = fmt.Sprint(expand(tmpl.WorkPool, inTemplate("work_pool")))
	}
	if tmpl != nil && tmpl.WorkQueue != "" {
		d.WorkQueue = fmt.Sprint(expand(tmpl.WorkQueue, inTemplate("work_queue")))
	}
	if s := pick(func(s *schema.Settings) string { return s.WorkPool }); s != "" {
		d.WorkPool = s
	}
	if s := pick(func(s *schema.Settings) string { return s.WorkQueue }); s != "" {
		d.WorkQueue = s
	}
	if d.WorkPool == "" {
		path := []string{"environments", e.Name, "work_pools"}
		if fc != nil {
			path = append(slices.Clone(flowPath), "types")
		}
		probs = append(probs, c.Problem(diag.ConfigNoWorkPool, path,
			fmt.Sprintf("flow %q has deployment type %s in environment %q, which has no %s work pool", f.Name, typ, e.Name, typ)))
	}

	// Description, version, paused, concurrency, schema enforcement.
	if tmpl != nil && tmpl.Description != "" {
		d.Description = fmt.Sprint(expand(tmpl.Description, inTemplate("description")))
	}
	d.EnforceParameterSchema = true
	for _, s := range []*schema.Settings{base, ov} {
		if s == nil {
			continue
		}
		if s.Description != nil {
			d.Description = *s.Description
		}
		if s.Version != nil {
			d.Version = *s.Version
		}
		if s.Paused != nil {
			d.Paused = *s.Paused
		}
		if s.ConcurrencyLimit != nil {
			v := *s.ConcurrencyLimit
			d.ConcurrencyLimit = &v
		}
		if s.EnforceParameterSchema != nil {
			d.EnforceParameterSchema = *s.EnforceParameterSchema
		}
	}

	// Tags.
	tags := slices.Clone(e.Tags)
	if tmpl != nil {
		for _, t := range tmpl.Tags {
			tags = append(tags, fmt.Sprint(expand(t, inTemplate("tags"))))
		}
	}
	for _, s := range []*schema.Settings{base, ov} {
		if s != nil {
			tags = append(tags, s.Tags...)
		}
	}
	tags = append(tags, model.ManagedTag, "env:"+e.Name, "type:"+typ)
	d.Tags = uniqueStrings(tags)

	// Parameters.
	sig := signatureOf(f)
	params := map[string]any{}
	defaults := maps.Clone(e.DefaultParameters)
	if tmpl != nil && tmpl.Parameters != nil {
		tp := expand(tmpl.Parameters, inTemplate("parameters"))
		if tm, ok := tp.(map[string]any); ok {
			if s, isStr := tmpl.Parameters.(string); isStr && strings.Contains(s, "environment.default_parameters") {
				defaults = deepMerge(defaults, tm)
			} else {
				probs = append(probs, m.applyParams(params, tm, sig, f, func(k string) []string {
					return []string{typ + "_deployment", "parameters", k}
				}, true)...)
			}
		}
	}
	probs = append(probs, m.applyDefaults(params, defaults, sig, f, e)...)
	for _, sp := range []struct {
		s    *schema.Settings
		path []string
	}{{base, flowPath}, {ov, append(slices.Clone(flowPath), "environments", e.Name)}} {
		if sp.s == nil {
			continue
		}
		probs = append(probs, m.applyParams(params, sp.s.Parameters, sig, f, func(k string) []string {
			return append(slices.Clone(sp.path), "parameters", k)
		}, false)...)
	}
	d.Parameters = params
	for _, p := range sig.params {
		if !p.Required {
			continue
		}
		if _, ok := params[p.Name]; !ok {
			probs = append(probs, diag.New(diag.ConfigMissingParameter, diag.Pos{File: f.Path, Line: f.Line, Column: f.Column},
				fmt.Sprintf("flow %q requires parameter %s, which has no value in environment %q", f.Name, p.Name, e.Name)))
		}
	}

	// Schedules.
	var scheds []model.Schedule
	schedPath := flowPath
	if ov != nil && ov.Schedules != nil {
		scheds = ov.Schedules
		schedPath = append(slices.Clone(flowPath), "environments", e.Name)
	} else if base != nil {
		scheds = base.Schedules
	}
	d.Schedules = []model.Schedule{}
	for i, s := range scheds {
		s.Parameters = maps.Clone(s.Parameters)
		if len(s.Parameters) > 0 {
			checked := map[string]any{}
			probs = append(probs, m.applyParams(checked, s.Parameters, sig, f, func(k string) []string {
				return append(slices.Clone(schedPath), "schedules", strconv.Itoa(i), "parameters", k)
			}, false)...)
			s.Parameters = checked
		}
		if s.Slug == "" {
			s.Slug = fmt.Sprintf("%s-%s-%d", e.Name, typ, i+1)
		}
		d.Schedules = append(d.Schedules, s)
	}

	// Job variables.
	jv := m.baseJobVariables(d, f, e, typ, pool)
	if pool != nil && pool.JobVariables != nil {
		jv = deepMerge(jv, expand(pool.JobVariables, inConfig([]string{"environments", e.Name, "work_pools", typ, "job_variables"})).(map[string]any))
	}
	if tmpl != nil && tmpl.JobVariables != nil {
		jv = deepMerge(jv, expand(tmpl.JobVariables, inTemplate("job_variables")).(map[string]any))
	}
	for _, sp := range []struct {
		s    *schema.Settings
		path []string
	}{{base, flowPath}, {ov, append(slices.Clone(flowPath), "environments", e.Name)}} {
		if sp.s != nil && sp.s.JobVariables != nil {
			jv = deepMerge(jv, expand(sp.s.JobVariables, inConfig(append(slices.Clone(sp.path), "job_variables"))).(map[string]any))
		}
	}
	if img, ok := jv["image"].(string); ok && typ != schema.TypePython {
		d.Image = withRegistry(img, e.DockerRegistry)
		jv["image"] = d.Image
		if strings.HasSuffix(d.Image, ":latest") {
			probs = append(probs, m.latestProblem(typ, fc))
		}
	}
	if typ != schema.TypePython {
		d.Registry = e.DockerRegistry
		d.Dockerfile = f.DockerfilePath
		if d.Dockerfile == "" {
			d.Dockerfile = path.Join(f.Folder, "Dockerfile")
		}
	}
	d.JobVariables = jv
	return d, probs
}

func (m *ConfigurationManager) latestProblem(typ string, fc *schema.FlowConfig) diag.ValidationError {
	c := m.Config
	if c.Templates != nil {
		if t := c.Templates.ByType[typ]; t != nil {
			if img, ok := t.JobVariables["image"].(string); ok && strings.HasSuffix(img, ":latest") {
				return c.TemplateProblem(diag.ConfigLatestTag, []string{typ + "_deployment", "job_variables", "image"}, fmt.Sprintf("image %q is tagged latest", img))
			}
		}
	}
	return c.Problem(diag.ConfigLatestTag, []string{"images"}, "images are tagged latest")
}

// withRegistry prefixes an image with the environment's registry, unless
// it already names one.
func withRegistry(image, registry string) string {
	if registry == "" {
		return image
	}
	first, _, hasSlash := strings.Cut(image, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return image
	}
	return strings.TrimSuffix(registry, "/") + "/" + image
}

// baseJobVariables are a deployment's job variables before the
// configuration's own: the code's location and, for images, the image,
// its pull policy and the resource limits.
func (m *ConfigurationManager) baseJobVariables(d *model.DeploymentConfig, f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string, pool *schema.WorkPoolConfig) map[string]any {
	env := map[string]any{"PYTHONPATH": e.CodeDir}
	for k, v := range e.Env {
		env[k] = v
	}
	jv := map[string]any{"env": env}
	switch typ {
	case schema.TypePython:
		jv["working_dir"] = e.CodeDir
	case schema.TypeDocker, schema.TypeKubernetes:
		jv["image"] = m.imageRef(f, e, typ)
		jv["image_pull_policy"] = e.ImagePullPolicy
	}
	switch typ {
	case schema.TypeDocker:
		if b, ok := schema.MemoryBytes(e.ResourceLimits.Memory); ok && e.ResourceLimits.Memory != "" {
			jv["mem_limit"] = dockerMemory(b)
		}
	case schema.TypeKubernetes:
		if pool != nil && pool.Namespace != "" {
			jv["namespace"] = pool.Namespace
		}
		if mem := e.ResourceLimits.Memory; mem != "" {
			jv["memory_request"], jv["memory_limit"] = mem, mem
		}
		if cpu := e.ResourceLimits.CPU; cpu != "" {
			jv["cpu_request"], jv["cpu_limit"] = cpu, cpu
		}
	}
	return jv
}

// dockerMemory writes bytes as Docker reads a memory limit.
func dockerMemory(b int64) string {
	switch {
	case b%(1<<30) == 0:
		return fmt.Sprintf("%dg", b>>30)
	case b%(1<<20) == 0:
		return fmt.Sprintf("%dm", b>>20)
	case b%(1<<10) == 0:
		return fmt.Sprintf("%dk", b>>10)
	}
	return fmt.Sprintf("%db", b)
}

// imageRef is the image of a flow: the configured name and tag.
func (m *ConfigurationManager) imageRef(f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string) string {
	img := m.Config.Images
	name, _ := schema.Expand(img.Name, placeholders(f, e, typ))
	var tag string
	switch img.TagStrategy {
	case "fixed":
		tag = img.Tag
	case "flow-version":
		tag = f.Version
		if tag == "" {
			tag = "{{ $" + model.ImageTagVariable + " }}"
		}
	default:
		tag = "{{ $" + model.ImageTagVariable + " }}"
	}
	return fmt.Sprint(name) + ":" + tag
}

// applyParams sets configured parameters, checking each against the
// flow's signature. Names the flow does not take go under its **kwargs
// (Prefect passes only that way), or are errors when it has none.
func (m *ConfigurationManager) applyParams(dst, src map[string]any, sig signature, f *discover.FlowMetadata, path func(string) []string, template bool) []diag.ValidationError {
	var probs []diag.ValidationError
	for _, k := range slices.Sorted(maps.Keys(src)) {
		v := src[k]
		switch {
		case slices.Contains(sig.names, k):
			dst[k] = v
			if want, ok := typeMismatch(sig.annotation(k), v); ok {
				msg := fmt.Sprintf("parameter %s of flow %q is %s, so %s will be refused", k, f.Name, want, describeValue(v))
				if template {
					probs = append(probs, m.Config.TemplateProblem(diag.ConfigParameterType, path(k), msg))
				} else {
					probs = append(probs, m.Config.Problem(diag.ConfigParameterType, path(k), msg))
				}
			}
		case sig.varKW != "":
			sig.nest(dst, k, v)
		default:
			msg := fmt.Sprintf("flow %q has no parameter %s", f.Name, k)
			if s := schema.Nearest(k, sig.names); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			} else if len(sig.names) > 0 {
				msg += fmt.Sprintf(" (it takes %s)", strings.Join(sig.names, ", "))
			} else {
				msg += " (it takes none)"
			}
			if template {
				probs = append(probs, m.Config.TemplateProblem(diag.ConfigUnknownParameter, path(k), msg))
			} else {
				probs = append(probs, m.Config.KeyProblem(diag.ConfigUnknownParameter, path(k), msg))
			}
		}
	}
	return probs
}

// applyDefaults sets an environment's default parameters that the flow
// takes; the others are not applied, and noted.
func (m *ConfigurationManager) applyDefaults(dst, defaults map[string]any, sig signature, f *discover.FlowMetadata, e *schema.EnvironmentConfig) []diag.ValidationError {
	var probs []diag.ValidationError
	for _, k := range slices.Sorted(maps.Keys(defaults)) {
		v := defaults[k]
		switch {
		case slices.Contains(sig.names, k):
			dst[k] = v
		case sig.varKW != "":
			sig.nest(dst, k, v)
		default:
			probs = append(probs, m.Config.KeyProblem(diag.ConfigParameterNotApplied, []string{"environments", e.Name, "default_parameters", k},
				fmt.Sprintf("default parameter %s is not applied to flow %q, which does not take it", k, f.Name)))
		}
	}
	return probs
}

func uniqueStrings(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ValidateConfiguration runs the checks that need both the configuration
// and the flows, for every environment.
func (m *ConfigurationManager) ValidateConfiguration() []diag.ValidationError {
	c := m.Config
	var probs []diag.ValidationError
	var names []string
	for i := range m.Flows {
		names = append(names, m.Flows[i].Name, FolderName(&m.Flows[i]))
	}
	for _, key := range slices.Sorted(maps.Keys(c.Flows)) {
		if !slices.Contains(names, key) {
			msg := fmt.Sprintf("flows: %q names no discovered flow", key)
			if s := schema.Nearest(key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			probs = append(probs, c.KeyProblem(diag.ConfigUnknownFlow, []string{"flows", key}, msg))
		}
	}
	seen := map[string]bool{}
	for _, env := range m.EnvironmentNames() {
		deps, ps, err := m.Plan(env)
		if err != nil {
			continue
		}
		byName := map[string]model.DeploymentConfig{}
		for _, d := range deps {
			// Two flows with one name are reported as DUPLICATE_FLOW_NAME.
			if prev, dup := byName[d.FullName]; dup && prev.Entrypoint == d.Entrypoint {
				ps = append(ps, c.Problem(diag.ConfigInvalidName, []string{"naming", "deployment"},
					fmt.Sprintf("the %s and %s deployments of flow %q are both named %s; put {type} in naming.deployment", prev.DeploymentType, d.DeploymentType, d.FlowName, d.DeploymentName)))
			}
			byName[d.FullName] = d
		}
		if len(deps) == 0 && len(m.Flows) > 0 {
			ps = append(ps, c.KeyProblem(diag.ConfigTypeWithoutPool, []string{"environments", env}, fmt.Sprintf("environment %q gets no deployments: it has no work pools", env)))
		}
		for _, p := range ps {
			k := p.Error()
			if !seen[k] {
				seen[k] = true
				probs = append(probs, p)
			}
		}
	}
	return probs
}
