package generator

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

// GenerateDeploymentConfig merges everything that applies to one flow in
// one environment with one deployment type, in this order, later layers
// winning: the type's defaults, the environment, flow_templates.yaml, the
// flow's entry in the configuration, and its override for the
// environment.
func (m *ConfigurationManager) GenerateDeploymentConfig(f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string) (*model.DeploymentConfig, []diag.ValidationError) {
	g := newMerger(m, f, e, typ)
	g.d = &model.DeploymentConfig{
		FlowName:       f.Name,
		Environment:    e.Name,
		DeploymentType: typ,
		Entrypoint:     f.Entrypoint,
		WorkPoolType:   WorkPoolTypes[typ],
		CodeDir:        codeDir(e, typ),
		Git:            gitSource(e, typ),
		PrefectAPIURL:  e.PrefectAPIURL,
		UIURL:          uiURL(e),
		Signature:      signatureParams(f),
		Description:    f.Description,
		Version:        f.Version,
	}
	g.name()
	g.workPool()
	g.settings()
	g.tags()
	g.parameters()
	g.schedules()
	g.requiredParameters()
	g.jobVariables()
	return g.d, g.probs
}

// merger merges one deployment and collects the problems met.
type merger struct {
	m      *ConfigurationManager
	c      *schema.Config
	f      *discover.FlowMetadata
	e      *schema.EnvironmentConfig
	typ    string
	lookup func(string) (any, bool)
	fc     *schema.FlowConfig
	// flowPath is the flow's entry in the configuration; base its
	// settings and ov their override for the environment (either nil).
	flowPath []string
	base, ov *schema.Settings
	tmpl     *schema.Template
	d        *model.DeploymentConfig
	probs    []diag.ValidationError
}

func newMerger(m *ConfigurationManager, f *discover.FlowMetadata, e *schema.EnvironmentConfig, typ string) *merger {
	g := &merger{m: m, c: m.Config, f: f, e: e, typ: typ, lookup: placeholders(f, e, typ), fc: m.flowConfig(f)}
	if g.fc != nil {
		g.flowPath = []string{"flows", g.fc.Key}
		g.base = &g.fc.Settings
		g.ov = g.fc.Environments[e.Name]
	}
	if g.c.Templates != nil {
		g.tmpl = g.c.Templates.ByType[typ]
	}
	return g
}

// expand fills in the placeholders of v; an unknown one is reported at
// where.
func (g *merger) expand(v any, where func() diag.ValidationError) any {
	out, err := expandAll(v, g.lookup)
	if err != nil {
		p := where()
		p.Message = err.Error()
		g.probs = append(g.probs, p)
		return v
	}
	return out
}

// inTemplate positions a problem at a key of this type's template.
func (g *merger) inTemplate(key string) func() diag.ValidationError {
	return func() diag.ValidationError {
		return g.c.TemplateProblem(diag.ConfigUnknownPlaceholder, []string{g.typ + "_deployment", key}, "")
	}
}

// inConfig positions a problem at a path of the configuration.
func (g *merger) inConfig(path []string) func() diag.ValidationError {
	return func() diag.ValidationError { return g.c.Problem(diag.ConfigUnknownPlaceholder, path, "") }
}

// envPath is the path of the flow's override for the environment.
func (g *merger) envPath() []string {
	return append(slices.Clone(g.flowPath), "environments", g.e.Name)
}

// pick returns a string setting of the flow, the environment's override
// first.
func (g *merger) pick(get func(s *schema.Settings) string) string {
	for _, s := range []*schema.Settings{g.ov, g.base} {
		if s != nil && get(s) != "" {
			return get(s)
		}
	}
	return ""
}

func (g *merger) name() {
	d := g.d
	tmpl, path := g.c.Naming.Deployment, []string{"naming", "deployment"}
	if g.ov != nil && g.ov.DeploymentName != "" {
		tmpl, path = g.ov.DeploymentName, append(g.envPath(), "deployment_name")
	} else if g.base != nil && g.base.DeploymentName != "" {
		tmpl, path = g.base.DeploymentName, append(slices.Clone(g.flowPath), "deployment_name")
	}
	name, err := schema.Expand(tmpl, g.lookup)
	d.DeploymentName = fmt.Sprint(name)
	if err != nil { // an unknown placeholder, reported by the configuration's checks
		d.DeploymentName = tmpl
	}
	d.FullName = d.FlowName + "/" + d.DeploymentName
	if err == nil && !schema.ValidName(d.DeploymentName) {
		g.probs = append(g.probs, g.c.Problem(diag.ConfigInvalidName, path,
			fmt.Sprintf("deployment name %q of flow %q contains / %% & > < or is empty", d.DeploymentName, g.f.Name)))
	}
}

func (g *merger) workPool() {
	d := g.d
	if pool := g.e.WorkPools[g.typ]; pool != nil {
		d.WorkPool, d.WorkQueue = pool.Name, pool.WorkQueue
	}
	if g.tmpl != nil && g.tmpl.WorkPool != "" {
		d.WorkPool = fmt.Sprint(g.expand(g.tmpl.WorkPool, g.inTemplate("work_pool")))
	}
	if g.tmpl != nil && g.tmpl.WorkQueue != "" {
		d.WorkQueue = fmt.Sprint(g.expand(g.tmpl.WorkQueue, g.inTemplate("work_queue")))
	}
	if s := g.pick(func(s *schema.Settings) string { return s.WorkPool }); s != "" {
		d.WorkPool = s
	}
	if s := g.pick(func(s *schema.Settings) string { return s.WorkQueue }); s != "" {
		d.WorkQueue = s
	}
	if d.WorkPool == "" {
		path := []string{"environments", g.e.Name, "work_pools"}
		if g.fc != nil {
			path = append(slices.Clone(g.flowPath), "types")
		}
		g.probs = append(g.probs, g.c.Problem(diag.ConfigNoWorkPool, path,
			fmt.Sprintf("flow %q has deployment type %s in environment %q, which has no %s work pool", g.f.Name, g.typ, g.e.Name, g.typ)))
	}
}

// settings merges the description, version, paused, concurrency and
// schema enforcement.
func (g *merger) settings() {
	d := g.d
	if g.tmpl != nil && g.tmpl.Description != "" {
		d.Description = fmt.Sprint(g.expand(g.tmpl.Description, g.inTemplate("description")))
	}
	if d.Description == "" {
		// Prefect stores the string "None" for a deployment without a
		// description on its first deploy, and null on the next: always
		// give one.
		d.Description = fmt.Sprintf("Flow %s from %s.", g.f.Name, g.f.Entrypoint)
	}
	d.EnforceParameterSchema = true
	for _, s := range []*schema.Settings{g.base, g.ov} {
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
}

func (g *merger) tags() {
	tags := slices.Clone(g.e.Tags)
	if g.tmpl != nil {
		for _, t := range g.tmpl.Tags {
			tags = append(tags, fmt.Sprint(g.expand(t, g.inTemplate("tags"))))
		}
	}
	for _, s := range []*schema.Settings{g.base, g.ov} {
		if s != nil {
			tags = append(tags, s.Tags...)
		}
	}
	tags = append(tags, model.ManagedTag)
	if g.c.Project != "" {
		tags = append(tags, model.ProjectTag(g.c.Project))
	}
	tags = append(tags, model.EnvTag(g.e.Name), model.TypeTag(g.typ))
	g.d.Tags = uniqueStrings(tags)
}

// parameters merges the environment's defaults, the template's and the
// flow's parameters, each checked against the flow's signature.
func (g *merger) parameters() {
	sig := signatureOf(g.f)
	params := map[string]any{}
	defaults := maps.Clone(g.e.DefaultParameters)
	if g.tmpl != nil && g.tmpl.Parameters != nil {
		tp := g.expand(g.tmpl.Parameters, g.inTemplate("parameters"))
		if tm, ok := tp.(map[string]any); ok {
			if s, isStr := g.tmpl.Parameters.(string); isStr && strings.Contains(s, "environment.default_parameters") {
				defaults = deepMerge(defaults, tm)
			} else {
				g.probs = append(g.probs, g.m.applyParams(params, tm, sig, g.f, func(k string) []string {
					return []string{g.typ + "_deployment", "parameters", k}
				}, true)...)
			}
		}
	}
	g.probs = append(g.probs, g.m.applyDefaults(params, defaults, sig, g.f, g.e)...)
	for _, sp := range []struct {
		s    *schema.Settings
		path []string
	}{{g.base, g.flowPath}, {g.ov, g.envPath()}} {
		if sp.s == nil {
			continue
		}
		g.probs = append(g.probs, g.m.applyParams(params, sp.s.Parameters, sig, g.f, func(k string) []string {
			return append(slices.Clone(sp.path), "parameters", k)
		}, false)...)
	}
	g.d.Parameters = params
}

// requiredParameters checks that every required parameter has a value: a
// schedule's run without one fails. A deployment without schedules may
// leave it to whoever starts a run.
func (g *merger) requiredParameters() {
	pos := diag.Pos{File: g.f.Path, Line: g.f.Line, Column: g.f.Column}
	var missing []string
	for _, p := range signatureOf(g.f).params {
		if _, ok := g.d.Parameters[p.Name]; !p.Required || ok {
			continue
		}
		missing = append(missing, p.Name)
		for _, s := range g.d.Schedules {
			if _, ok := s.Parameters[p.Name]; !ok {
				g.probs = append(g.probs, diag.New(diag.ConfigMissingParameter, pos,
					fmt.Sprintf("flow %q requires parameter %s, which has no value in environment %q: the runs of schedule %s would fail", g.f.Name, p.Name, g.e.Name, s.Slug)))
			}
		}
	}
	// An unscheduled flow whose configuration gives none of its parameters
	// is started by hand, with them: nothing to say (the guide marks them
	// required). One that gives some and misses others was likely meant
	// to give them all.
	if len(missing) == 0 || len(g.d.Schedules) > 0 || !g.configuresParameters() {
		return
	}
	them := "it"
	if len(missing) > 1 {
		them = "them"
	}
	g.probs = append(g.probs, diag.New(diag.ConfigRuntimeParameter, pos,
		fmt.Sprintf("flow %q requires %s, which the configuration does not give in environment %q (it gives other parameters); its %s deployment has no schedule, so each run must be started with %s (prefect deployment run --param %s=...)",
			g.f.Name, wordList("parameter", missing), g.e.Name, g.typ, them, missing[0])))
}

// configuresParameters reports whether the flow's entry, or its override
// for the environment, gives parameters.
func (g *merger) configuresParameters() bool {
	for _, s := range []*schema.Settings{g.base, g.ov} {
		if s != nil && len(s.Parameters) > 0 {
			return true
		}
	}
	return false
}

// wordList is "parameter a", or "parameters a, b and c".
func wordList(noun string, items []string) string {
	if len(items) == 1 {
		return noun + " " + items[0]
	}
	return noun + "s " + strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// schedules takes the environment's override's schedules, else the
// flow's, checks their parameters and gives each a slug.
func (g *merger) schedules() {
	var scheds []model.Schedule
	schedPath := g.flowPath
	if g.ov != nil && g.ov.Schedules != nil {
		scheds = g.ov.Schedules
		schedPath = g.envPath()
	} else if g.base != nil {
		scheds = g.base.Schedules
	}
	sig := signatureOf(g.f)
	g.d.Schedules = []model.Schedule{}
	for i, s := range scheds {
		s.Parameters = maps.Clone(s.Parameters)
		if len(s.Parameters) > 0 {
			checked := map[string]any{}
			g.probs = append(g.probs, g.m.applyParams(checked, s.Parameters, sig, g.f, func(k string) []string {
				return append(slices.Clone(schedPath), "schedules", strconv.Itoa(i), "parameters", k)
			}, false)...)
			s.Parameters = checked
		}
		if s.Slug == "" {
			s.Slug = fmt.Sprintf("%s-%s-%d", g.e.Name, g.typ, i+1)
		}
		g.d.Schedules = append(g.d.Schedules, s)
	}
}

// jobVariables merges the job variables: the type's base, the
// environment's work pool, the template, the flow and its override; then
// the image, with the environment's registry.
func (g *merger) jobVariables() {
	d, e, typ := g.d, g.e, g.typ
	pool := e.WorkPools[typ]
	jv := g.m.baseJobVariables(d, g.f, e, typ, pool)
	if pool != nil && pool.JobVariables != nil {
		jv = deepMerge(jv, g.expand(pool.JobVariables, g.inConfig([]string{"environments", e.Name, "work_pools", typ, "job_variables"})).(map[string]any))
	}
	if g.tmpl != nil && g.tmpl.JobVariables != nil {
		jv = deepMerge(jv, g.expand(g.tmpl.JobVariables, g.inTemplate("job_variables")).(map[string]any))
	}
	for _, sp := range []struct {
		s    *schema.Settings
		path []string
	}{{g.base, g.flowPath}, {g.ov, g.envPath()}} {
		if sp.s != nil && sp.s.JobVariables != nil {
			jv = deepMerge(jv, g.expand(sp.s.JobVariables, g.inConfig(append(slices.Clone(sp.path), "job_variables"))).(map[string]any))
		}
	}
	if img, ok := jv["image"].(string); ok && typ != schema.TypePython {
		d.Image = withRegistry(img, e.DockerRegistry)
		jv["image"] = d.Image
		if msg := schema.CheckImage(d.Image); msg != "" && schema.CheckRegistry(e.DockerRegistry) == "" {
			g.probs = append(g.probs, g.imageProblem(msg))
		}
		if strings.HasSuffix(d.Image, ":latest") {
			g.probs = append(g.probs, g.m.latestProblem(typ, g.fc))
		}
	}
	if typ != schema.TypePython {
		d.Registry = e.DockerRegistry
		d.Dockerfile = g.f.DockerfilePath
		if d.Dockerfile == "" {
			d.Dockerfile = path.Join(g.f.Folder, "Dockerfile")
		}
	}
	d.JobVariables = jv
	g.checkJobEnv()
	g.checkJobVariables()
}

// checkJobVariables checks every job variable against the base job
// template of the pool type, and Kubernetes memory quantities.
func (g *merger) checkJobVariables() {
	for _, k := range slices.Sorted(maps.Keys(g.d.JobVariables)) {
		if msg := schema.CheckJobVariable(g.d.WorkPoolType, k, g.d.JobVariables[k]); msg != "" {
			g.probs = append(g.probs, g.jobVarProblem(diag.ConfigJobVariable, []string{k}, msg))
		}
	}
	if g.typ != schema.TypeKubernetes {
		return
	}
	if mem := g.e.ResourceLimits.Memory; kubernetesMillis(mem) {
		g.probs = append(g.probs, g.c.Problem(diag.ConfigInvalidQuantity, []string{"environments", g.e.Name, "resource_limits", "memory"},
			fmt.Sprintf("memory %q means %s millibytes to Kubernetes; write %sMi or %sM", mem, strings.TrimSuffix(mem, "m"), strings.TrimSuffix(mem, "m"), strings.TrimSuffix(mem, "m"))))
	}
}

// imageProblem positions a bad image reference: the layer whose
// job_variables.image sets it, else images.name.
func (g *merger) imageProblem(msg string) diag.ValidationError {
	for _, s := range []*schema.Settings{g.ov, g.base} {
		if s != nil && hasPath(s.JobVariables, []string{"image"}) {
			return g.jobVarProblem(diag.ConfigInvalidName, []string{"image"}, msg)
		}
	}
	if g.tmpl != nil && hasPath(g.tmpl.JobVariables, []string{"image"}) ||
		g.e.WorkPools[g.typ] != nil && hasPath(g.e.WorkPools[g.typ].JobVariables, []string{"image"}) {
		return g.jobVarProblem(diag.ConfigInvalidName, []string{"image"}, msg)
	}
	if g.c.Written([]string{"images", "name"}) {
		return g.c.Problem(diag.ConfigInvalidName, []string{"images", "name"}, msg)
	}
	// The default name comes from the flow's folder.
	return diag.New(diag.ConfigInvalidName, diag.Pos{File: g.f.Path, Line: g.f.Line, Column: g.f.Column}, msg+"; set images.name")
}

// kubernetesMillis reports whether a memory quantity is in Kubernetes'
// millibytes (512m), which Docker reads as megabytes.
func kubernetesMillis(q string) bool {
	n, ok := strings.CutSuffix(q, "m")
	if !ok || n == "" {
		return false
	}
	_, err := strconv.ParseFloat(n, 64)
	return err == nil
}

// checkJobEnv warns about job env variables that undo what makes a run
// work: PREFECT_API_URL, and a PYTHONPATH that is not the code's folder.
func (g *merger) checkJobEnv() {
	env, _ := g.d.JobVariables["env"].(map[string]any)
	if _, ok := env["PREFECT_API_URL"]; ok {
		g.probs = append(g.probs, g.jobEnvProblem(diag.ConfigJobAPIURL, "PREFECT_API_URL",
			"job_variables.env.PREFECT_API_URL is set: runs report to the URL it holds, not to the server their worker serves"))
	}
	if p, ok := env["PYTHONPATH"].(string); ok && p != g.d.CodeDir {
		g.probs = append(g.probs, g.jobEnvProblem(diag.ConfigJobPythonPath, "PYTHONPATH",
			fmt.Sprintf("job_variables.env.PYTHONPATH is %q, but the code of %s deployments is in %q", p, g.typ, g.d.CodeDir)))
	}
}

// jobEnvProblem positions a problem at the layer of the configuration
// that sets job env variable key, the one that wins.
func (g *merger) jobEnvProblem(code, key, msg string) diag.ValidationError {
	return g.jobVarProblem(code, []string{"env", key}, msg)
}

// jobVarProblem positions a problem at the layer of the configuration
// that sets the job variable at path (under job_variables), the one that
// wins; a variable no layer sets is the environment's.
func (g *merger) jobVarProblem(code string, path []string, msg string) diag.ValidationError {
	has := func(jv map[string]any) bool { return hasPath(jv, path) }
	at := func(base ...string) []string { return append(base, append([]string{"job_variables"}, path...)...) }
	switch {
	case g.ov != nil && has(g.ov.JobVariables):
		return g.c.Problem(code, at(g.envPath()...), msg)
	case g.base != nil && has(g.base.JobVariables):
		return g.c.Problem(code, at(slices.Clone(g.flowPath)...), msg)
	case g.tmpl != nil && has(g.tmpl.JobVariables):
		return g.c.TemplateProblem(code, at(g.typ+"_deployment"), msg)
	case g.e.WorkPools[g.typ] != nil && has(g.e.WorkPools[g.typ].JobVariables):
		return g.c.Problem(code, at("environments", g.e.Name, "work_pools", g.typ), msg)
	case len(path) == 2 && path[0] == "env":
		return g.c.Problem(code, []string{"environments", g.e.Name, "env", path[1]}, msg)
	}
	return g.c.Problem(code, []string{"environments", g.e.Name}, msg)
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
	env := map[string]any{"PYTHONPATH": d.CodeDir}
	if e.EnvFiles {
		vars := m.envFiles[envFileOf(f, e.Name)]
		for _, k := range vars.keys {
			env[k] = vars.values[k]
		}
	}
	for k, v := range e.Env {
		env[k] = v
	}
	jv := map[string]any{"env": env}
	switch typ {
	case schema.TypePython:
		if d.Git == nil {
			jv["working_dir"] = d.CodeDir
		}
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

// codeDir is where a deployment's run starts: the folder process workers
// run in (or "." in the clone of process.git), or the images' code_dir.
func codeDir(e *schema.EnvironmentConfig, typ string) string {
	if typ != schema.TypePython {
		return e.CodeDir
	}
	if e.Process.Git != nil {
		return "."
	}
	return e.Process.CodeDir
}

// gitSource is the repository process workers clone, nil for none.
func gitSource(e *schema.EnvironmentConfig, typ string) *model.Git {
	if typ != schema.TypePython || e.Process.Git == nil {
		return nil
	}
	return &model.Git{Repository: e.Process.Git.Repository, Credentials: e.Process.Git.Credentials}
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
	name, err := schema.Expand(img.Name, placeholders(f, e, typ))
	if err != nil { // an unknown placeholder, reported by the configuration's checks
		name = img.Name
	}
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

// hasPath reports whether a map holds a value at path.
func hasPath(m map[string]any, path []string) bool {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = mm[k]; !ok {
			return false
		}
	}
	return true
}
