package generator

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/redact"
	"prefectgen/schema"
)

// WorkPoolTypes maps deployment types to Prefect work pool types.
var WorkPoolTypes = map[string]string{schema.TypePython: "process", schema.TypeDocker: "docker", schema.TypeKubernetes: "kubernetes"}

// ConfigurationManager merges the configuration with the flows.
type ConfigurationManager struct {
	Config *schema.Config
	// Flows are the flows that get deployments; Skipped the other flows
	// Prefect could deploy, with the reason.
	Flows   []discover.FlowMetadata
	Skipped []SkippedFlow
	// envFiles are the flows' .env.<environment> files read for the
	// environments that set env_files, by path.
	envFiles map[string]envFile
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
	return flowConfigOf(m.Config, f)
}

// flowConfigAt is the configuration entry of the flow at an entrypoint,
// nil for none.
func (m *ConfigurationManager) flowConfigAt(entrypoint string) *schema.FlowConfig {
	for i := range m.Flows {
		if m.Flows[i].Entrypoint == entrypoint {
			return m.flowConfig(&m.Flows[i])
		}
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

// Deployments returns every deployment of one environment, sorted by flow and
// deployment name, with the problems found while merging.
func (m *ConfigurationManager) Deployments(env string) ([]model.DeploymentConfig, []diag.ValidationError, error) {
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
	skipped := skippedNames(m.Skipped)
	for _, key := range slices.Sorted(maps.Keys(c.Flows)) {
		if slices.Contains(skipped, key) && !slices.Contains(names, key) {
			if c.Flows[key].Deploy == nil {
				for _, sf := range m.Skipped {
					if sf.Name == key || FolderName(&sf.FlowMetadata) == key {
						probs = append(probs, c.KeyProblem(diag.ConfigFlowNotDeployed, []string{"flows", key},
							fmt.Sprintf("flows: %q configures flow %q, which gets no deployments: %s", key, sf.Name, sf.Reason)))
						break
					}
				}
			}
			continue
		}
		if !slices.Contains(names, key) {
			msg := fmt.Sprintf("flows: %q names no discovered flow", key)
			if s := schema.Nearest(key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			probs = append(probs, c.KeyProblem(diag.ConfigUnknownFlow, []string{"flows", key}, msg))
		}
	}
	seen := map[string]bool{}
	// A server holds one deployment per flow and name: two environments
	// on one server must not both deploy it.
	onServer := map[string]string{}
	for _, env := range m.EnvironmentNames() {
		deps, ps, err := m.Deployments(env)
		if err != nil {
			continue
		}
		for _, d := range deps {
			key := strings.TrimRight(d.PrefectAPIURL, "/") + "\x00" + d.FullName
			if other, ok := onServer[key]; ok && other != env {
				path := []string{"naming", "deployment"}
				if fc := m.flowConfigAt(d.Entrypoint); fc != nil && fc.DeploymentName != "" {
					path = []string{"flows", fc.Key, "deployment_name"}
				}
				ps = append(ps, c.Problem(diag.ConfigSharedDeployment, path,
					fmt.Sprintf("environments %s and %s both deploy %s to %s, and each deploy would replace the other's", other, env, d.FullName, redact.URL(d.PrefectAPIURL))))
				continue
			}
			onServer[key] = env
		}
		byName := map[string]model.DeploymentConfig{}
		for _, d := range deps {
			// Two flows with one name are reported as DUPLICATE_FLOW_NAME.
			if prev, dup := byName[d.FullName]; dup && prev.Entrypoint == d.Entrypoint {
				path, key := []string{"naming", "deployment"}, "naming.deployment"
				if fc := m.flowConfigAt(d.Entrypoint); fc != nil && fc.DeploymentName != "" {
					path, key = []string{"flows", fc.Key, "deployment_name"}, "flows."+fc.Key+".deployment_name"
				}
				ps = append(ps, c.Problem(diag.ConfigInvalidName, path,
					fmt.Sprintf("the %s and %s deployments of flow %q are both named %s; put {type} in %s", prev.DeploymentType, d.DeploymentType, d.FlowName, d.DeploymentName, key)))
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
	return append(probs, m.deployedSubflowNames()...)
}

// deployedSubflowNames reports deployed flows that share a name when one
// of them is a subflow: discovery leaves subflows out of
// DUPLICATE_FLOW_NAME, as they get no deployments unless the
// configuration asks (deploy.subflows, deploy.include, flows.NAME.deploy).
func (m *ConfigurationManager) deployedSubflowNames() []diag.ValidationError {
	byName := map[string][]int{}
	for i, f := range m.Flows {
		byName[f.Name] = append(byName[f.Name], i)
	}
	var probs []diag.ValidationError
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		idx := byName[name]
		if len(idx) < 2 || !slices.ContainsFunc(idx, func(i int) bool { return len(m.Flows[i].CalledBy) > 0 }) {
			continue
		}
		var others []string
		for _, i := range idx[1:] {
			if m.Flows[i].Entrypoint != m.Flows[idx[0]].Entrypoint {
				others = append(others, fmt.Sprintf("%s:%d", m.Flows[i].Path, m.Flows[i].Line))
			}
		}
		if len(others) == 0 {
			continue
		}
		at := m.Flows[idx[0]]
		probs = append(probs, diag.New(diag.DuplicateFlowName, diag.Pos{File: at.Path, Line: at.Line, Column: at.Column},
			fmt.Sprintf("flow name %q is also used by %s, and the configuration deploys them all (subflows included); Prefect would merge their deployments", name, strings.Join(others, ", "))))
	}
	return probs
}
