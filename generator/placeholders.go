package generator

import (
	"maps"
	"strings"

	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

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
	return model.UIBase(e.PrefectAPIURL)
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
