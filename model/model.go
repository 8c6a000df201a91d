package model

import (
	"regexp"
	"strings"
)

// ManagedTag marks every deployment prefectgen generates; plan, cleanup and
// status only touch deployments that carry it.
const ManagedTag = "managed-by:prefectgen"

// ImageTagVariable is the environment variable that holds the image tag
// when the tag strategy is git-sha: prefect.yaml refers to it as
// "{{ $PREFECTGEN_IMAGE_TAG }}" and prefectgen deploy sets it.
const ImageTagVariable = "PREFECTGEN_IMAGE_TAG"

// CommitVariable is the environment variable that holds the full commit
// being deployed: a git_clone pull step refers to it as
// "{{ $PREFECTGEN_COMMIT }}" and prefectgen deploy sets it.
const CommitVariable = "PREFECTGEN_COMMIT"

// UIBase is the Prefect UI of an API URL: a Prefect Cloud workspace's
// https://api.prefect.cloud/api/accounts/A/workspaces/W is
// https://app.prefect.cloud/account/A/workspace/W; a server's UI is its
// API URL without /api.
func UIBase(api string) string {
	api = strings.TrimSuffix(api, "/")
	if m := cloudAPI.FindStringSubmatch(api); m != nil {
		host := m[2]
		if h, ok := strings.CutPrefix(host, "api."); ok {
			host = "app." + h
		}
		return m[1] + host + m[3] + "/account/" + m[4] + "/workspace/" + m[5]
	}
	return strings.TrimSuffix(api, "/api")
}

var cloudAPI = regexp.MustCompile(`^(https?://)([^/]+)(.*)/api/accounts/([^/]+)/workspaces/([^/]+)$`)

// ProjectTag is the tag of a project's deployments: what tells one
// repository's deployments from another's on a shared server.
func ProjectTag(project string) string { return "project:" + project }

// ProjectOf returns the project of a deployment's tags, "" for none.
func ProjectOf(tags []string) string {
	for _, t := range tags {
		if p, ok := strings.CutPrefix(t, ProjectTag("")); ok {
			return p
		}
	}
	return ""
}

// EnvTag is the tag of an environment's deployments.
func EnvTag(env string) string { return "env:" + env }

// TypeTag is the tag of a deployment type's deployments.
func TypeTag(typ string) string { return "type:" + typ }

// Schedule is one schedule of a deployment.
type Schedule struct {
	Cron       string         `json:"cron,omitempty"`
	Interval   *float64       `json:"interval,omitempty"`
	RRule      string         `json:"rrule,omitempty"`
	AnchorDate string         `json:"anchor_date,omitempty"`
	Timezone   string         `json:"timezone,omitempty"`
	Active     bool           `json:"active"`
	DayOr      *bool          `json:"day_or,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Slug       string         `json:"slug,omitempty"`
}

// Parameter is one parameter of a flow's signature.
type Parameter struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

// DeploymentConfig is one deployment: a flow in one environment with one
// deployment type, fully merged.
type DeploymentConfig struct {
	FlowName       string `json:"flow_name"`
	DeploymentName string `json:"deployment_name"`
	// FullName is flow/deployment, as Prefect names it.
	FullName       string         `json:"full_name"`
	Environment    string         `json:"environment"`
	DeploymentType string         `json:"deployment_type"`
	Entrypoint     string         `json:"entrypoint"`
	WorkPool       string         `json:"work_pool"`
	WorkPoolType   string         `json:"work_pool_type"`
	WorkQueue      string         `json:"work_queue,omitempty"`
	Schedules      []Schedule     `json:"schedules"`
	Parameters     map[string]any `json:"parameters"`
	JobVariables   map[string]any `json:"job_variables"`
	Tags           []string       `json:"tags"`
	Description    string         `json:"description"`
	Version        string         `json:"version,omitempty"`
	// ConcurrencyLimit is nil for no limit.
	ConcurrencyLimit       *int `json:"concurrency_limit"`
	Paused                 bool `json:"paused"`
	EnforceParameterSchema bool `json:"enforce_parameter_schema"`
	// CodeDir is the folder the run starts in: the pull step's
	// set_working_directory.
	CodeDir string `json:"code_dir"`
	// Git, when set, makes the pull step clone the repository at the
	// deployed commit instead.
	Git *Git `json:"git,omitempty"`
	// Image is the image of docker and kubernetes deployments, "" for
	// python ones; Dockerfile builds it.
	Image      string `json:"image,omitempty"`
	Dockerfile string `json:"dockerfile,omitempty"`
	// Registry is the environment's docker_registry: images are pushed
	// there after they are built.
	Registry      string `json:"registry,omitempty"`
	PrefectAPIURL string `json:"prefect_api_url"`
	UIURL         string `json:"ui_url"`

	// Signature is the flow's parameters, as Prefect's parameter schema
	// of the deployment will list them.
	Signature []Parameter `json:"-"`
}

// Git is a repository a process worker clones on every run.
type Git struct {
	Repository string `json:"repository"`
	// Credentials is a Prefect block reference, resolved on the worker.
	Credentials string `json:"credentials,omitempty"`
}

// PullSteps are the deployment's pull steps, as prefect.yaml and the
// server hold them: a git_clone of the commit being deployed, or a
// set_working_directory of CodeDir.
func (d DeploymentConfig) PullSteps() []any {
	if d.Git != nil {
		clone := map[string]any{"repository": d.Git.Repository, "commit_sha": "{{ $" + CommitVariable + " }}"}
		if d.Git.Credentials != "" {
			clone["credentials"] = d.Git.Credentials
		}
		return []any{map[string]any{"prefect.deployments.steps.git_clone": clone}}
	}
	return []any{map[string]any{"prefect.deployments.steps.set_working_directory": map[string]any{"directory": d.CodeDir}}}
}
