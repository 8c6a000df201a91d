package diag

import "slices"

// Problem codes. They are stable: scripts, ignores and documentation refer
// to them. Each constant is its code in CamelCase.
const (
	SyntaxError                = "SYNTAX_ERROR"
	NotUTF8                    = "NOT_UTF8"
	UnreadableFile             = "UNREADABLE_FILE"
	SymlinkLoop                = "SYMLINK_LOOP"
	NoFlows                    = "NO_FLOWS"
	DuplicateFlowName          = "DUPLICATE_FLOW_NAME"
	InvalidFlowName            = "INVALID_FLOW_NAME"
	NonLiteralFlowName         = "NON_LITERAL_FLOW_NAME"
	NonLiteralFlowOption       = "NON_LITERAL_FLOW_OPTION"
	NestedFlow                 = "NESTED_FLOW"
	InstanceMethodFlow         = "INSTANCE_METHOD_FLOW"
	MissingDependency          = "MISSING_DEPENDENCY"
	LocalModuleNotOnPath       = "LOCAL_MODULE_NOT_ON_PATH"
	NoRequirements             = "NO_REQUIREMENTS"
	ConflictingPins            = "CONFLICTING_PINS"
	InvalidRequirement         = "INVALID_REQUIREMENT"
	MissingRequirementsInclude = "MISSING_REQUIREMENTS_INCLUDE"
	FlowFactory                = "FLOW_FACTORY"
	SkippedFolder              = "SKIPPED_FOLDER"
	ConfigSyntax               = "CONFIG_SYNTAX"
	ConfigNotUTF8              = "CONFIG_NOT_UTF8"
	ConfigUnknownKey           = "CONFIG_UNKNOWN_KEY"
	ConfigInvalidValue         = "CONFIG_INVALID_VALUE"
	ConfigScheduleKind         = "CONFIG_SCHEDULE_KIND"
	ConfigInvalidCron          = "CONFIG_INVALID_CRON"
	ConfigInvalidRRule         = "CONFIG_INVALID_RRULE"
	ConfigInvalidTimezone      = "CONFIG_INVALID_TIMEZONE"
	ConfigInvalidAnchorDate    = "CONFIG_INVALID_ANCHOR_DATE"
	ConfigInvalidURL           = "CONFIG_INVALID_URL"
	ConfigInvalidQuantity      = "CONFIG_INVALID_QUANTITY"
	ConfigInvalidName          = "CONFIG_INVALID_NAME"
	ConfigSecretValue          = "CONFIG_SECRET_VALUE"
	ConfigEnvFile              = "CONFIG_ENV_FILE"
	ConfigUnknownPlaceholder   = "CONFIG_UNKNOWN_PLACEHOLDER"
	ConfigDuplicateSlug        = "CONFIG_DUPLICATE_SLUG"
	ConfigSharedDeployment     = "CONFIG_SHARED_DEPLOYMENT"
	ConfigLatestTag            = "CONFIG_LATEST_TAG"
	ConfigUnknownEnvironment   = "CONFIG_UNKNOWN_ENVIRONMENT"
	ConfigUnknownFlow          = "CONFIG_UNKNOWN_FLOW"
	ConfigFlowNotDeployed      = "CONFIG_FLOW_NOT_DEPLOYED"
	ConfigUnknownParameter     = "CONFIG_UNKNOWN_PARAMETER"
	ConfigParameterNotApplied  = "CONFIG_PARAMETER_NOT_APPLIED"
	ConfigParameterType        = "CONFIG_PARAMETER_TYPE"
	ConfigMissingParameter     = "CONFIG_MISSING_PARAMETER"
	ConfigRuntimeParameter     = "CONFIG_RUNTIME_PARAMETER"
	ConfigNoWorkPool           = "CONFIG_NO_WORK_POOL"
	ConfigTypeWithoutPool      = "CONFIG_TYPE_WITHOUT_POOL"
	ConfigJobAPIURL            = "CONFIG_JOB_API_URL"
	ConfigJobPythonPath        = "CONFIG_JOB_PYTHONPATH"
	ConfigJobVariable          = "CONFIG_JOB_VARIABLE"
	DockerfileSyntax           = "DOCKERFILE_SYNTAX"
	DockerfileNoFrom           = "DOCKERFILE_NO_FROM"
	DockerfileRunsAsRoot       = "DOCKERFILE_RUNS_AS_ROOT"
	DockerfileWorkdir          = "DOCKERFILE_WORKDIR"
	DockerfileCopiesEnvFile    = "DOCKERFILE_COPIES_ENV_FILE"
	DockerfileOverridesCommand = "DOCKERFILE_OVERRIDES_COMMAND"
	DockerfileLatestBase       = "DOCKERFILE_LATEST_BASE"
	DockerfileIgnoredPath      = "DOCKERFILE_IGNORED_PATH"
	DockerignoreAllowsEnvFile  = "DOCKERIGNORE_ALLOWS_ENV_FILE"
	PrefectYAMLNameClash       = "PREFECT_YAML_NAME_CLASH"
	PrefectYAMLNotAdopted      = "PREFECT_YAML_NOT_ADOPTED"
	TemplateError              = "TEMPLATE_ERROR"
)

// CodeInfo documents one problem code.
type CodeInfo struct {
	Code        string
	Severity    Severity
	Meaning     string
	Remediation string
}

// codes is every problem code, in documentation order: flows and their
// dependencies, configuration, then generation.
var codes = []CodeInfo{
	{SyntaxError, Error,
		"A Python file does not parse. Flows elsewhere in the file and in other files are still found.",
		"Fix the syntax at the reported position; `python -m py_compile FILE` shows the same error."},
	{NotUTF8, Warning,
		"A Python file is not valid UTF-8, so it was not scanned.",
		"Save the file as UTF-8 (Python 3's default source encoding)."},
	{UnreadableFile, Warning,
		"A file or folder could not be read, so it was not scanned.",
		"Fix its permissions, or list it in .gitignore or .prefectignore."},
	{SymlinkLoop, Warning,
		"A symbolic link leads back into a folder already being scanned; it was not followed.",
		"Remove the link, or list it in .gitignore or .prefectignore."},
	{NoFlows, Warning,
		"No Prefect flow was found.",
		"Decorate a function with @flow from prefect, or point --flows-dir at the folder that holds the flows."},
	{DuplicateFlowName, Error,
		"Two flows have the same Prefect name; Prefect would merge their deployments under one flow.",
		"Give one of them a distinct name with @flow(name=\"...\")."},
	{InvalidFlowName, Error,
		"A flow name contains a character Prefect rejects (/ % & > <) or is empty.",
		"Choose a name without / % & > < (letters, digits, '-' and '_' are safe)."},
	{NonLiteralFlowName, Error,
		"A flow's name= is not a string prefectgen can compute without running the code: a literal, an f-string of constants, a module constant, or a constant imported from a repository module.",
		"Write the name as a string literal or a module constant: @flow(name=\"my-flow\")."},
	{NonLiteralFlowOption, Warning,
		"A flow's description= or version= is not a literal; it cannot be shown or generated.",
		"Use a plain string literal, or set description/version in deployment_config.yaml."},
	{NestedFlow, Warning,
		"A flow is defined inside a function, or under if __name__ == \"__main__\"; Prefect cannot load it from an entrypoint, so it is not deployed.",
		"Move the flow to module level (or into a class) if it should be deployed."},
	{InstanceMethodFlow, Warning,
		"A flow is an instance method; Prefect cannot call it from an entrypoint without an instance.",
		"Make it a @staticmethod or @classmethod, or a module-level function."},
	{MissingDependency, Error,
		"A flow imports a third-party module that neither its requirements files nor its project (pyproject.toml, its uv workspace and lock file) declare, nor Prefect's own dependencies provide; the deployment would fail with ModuleNotFoundError. Reported once per distribution and set of dependency files, at its first import.",
		"Add the distribution to the file the message names (requirements.txt or pyproject.toml), or remove the import."},
	{LocalModuleNotOnPath, Error,
		"A flow imports a module that no declared distribution provides but that the repository has as a file or package in another folder, which is not on the flow's import path (the repository root, the flow's folder and its project's folders); the deployment would fail with ModuleNotFoundError unless the code puts that folder on sys.path itself. Reported once per module and set of dependency files, at its first import.",
		"Import the module by its path from the repository root (from scripts.push import etl_chunk_utils), or move or copy it beside the flow; it is not a distribution to add to the requirements."},
	{NoRequirements, Warning,
		"A flow imports third-party modules, but no requirements.txt, pyproject.toml project, Pipfile or environment.yml in its folder or any folder above it declares dependencies. Reported once per folder; a requirements.txt elsewhere in the repository that declares some of the imports is named (it is not installed with these flows).",
		"Add a requirements.txt next to the flows (or a pyproject.toml) listing what they import."},
	{ConflictingPins, Error,
		"Two requirements files that are installed into one flow's environment pin the same distribution to different versions; pip would refuse to install them.",
		"Pin the distribution to one version in every file, or pin it in one place only."},
	{InvalidRequirement, Warning,
		"A line of a requirements file, a dependency in a pyproject.toml, or a pyproject.toml itself could not be understood.",
		"Write it as a PEP 508 requirement such as `name==1.2.3`, or an option pip knows; a pyproject.toml that does not parse as TOML needs its syntax fixed at the reported line."},
	{MissingRequirementsInclude, Error,
		"A requirements file includes (-r or -c) a file that does not exist.",
		"Fix the path; it is relative to the including file."},
	{FlowFactory, Note,
		"A module-level assignment calls a function that may make a flow (a factory such as x = make_flow(...), or with_options of a flow from a library); Prefect could deploy it as file.py:x, but its name and parameters cannot be known without running the code, so prefectgen does not deploy it.",
		"To deploy it, define the flow with @flow at module level, or as x = flow(fn, name=\"...\") with a def of the same file; if it is not meant to be deployed, nothing to do (or add # prefectgen: ignore[FLOW_FACTORY] on the line)."},
	{SkippedFolder, Note,
		"A folder named build or dist, which usually holds build output, was not scanned, but git does not ignore it and it holds Python files that may define flows.",
		"If it is build output, list it in .gitignore; if it holds flows to deploy, add !PATH/ to .prefectignore (PATH being the reported folder) and prefectgen scans it."},
	{ConfigSyntax, Error,
		"A configuration file is not valid YAML.",
		"Fix the YAML at the reported position (indentation, a missing colon, an unclosed quote)."},
	{ConfigNotUTF8, Error,
		"A configuration file is not valid UTF-8.",
		"Save the file as UTF-8."},
	{ConfigUnknownKey, Error,
		"A key the schema does not know; Prefect would silently drop it, prefectgen refuses it.",
		"Fix the spelling (the message suggests the nearest known key) or remove it; `prefectgen schema` lists every key."},
	{ConfigInvalidValue, Error,
		"A value of the wrong type or outside its allowed set.",
		"Use a value of the type the message names; `prefectgen schema` shows the allowed values."},
	{ConfigScheduleKind, Error,
		"A schedule sets none, or more than one, of cron, interval and rrule.",
		"Give each schedule exactly one of cron, interval (seconds) or rrule."},
	{ConfigInvalidCron, Error,
		"A cron expression Prefect would reject.",
		"Write five fields (minute hour day-of-month month day-of-week), such as \"0 6 * * MON-FRI\"."},
	{ConfigInvalidRRule, Error,
		"An RFC 5545 recurrence rule Prefect would reject.",
		"Start with FREQ=..., such as \"FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9\"."},
	{ConfigInvalidTimezone, Error,
		"A time zone that is not in the IANA database.",
		"Use an IANA name such as \"Europe/Amsterdam\" or \"UTC\"."},
	{ConfigInvalidAnchorDate, Error,
		"An interval's anchor_date that is not an ISO 8601 date-time.",
		"Write it as \"2026-01-01T00:00:00\"."},
	{ConfigInvalidURL, Error,
		"A URL that is not an absolute http or https URL.",
		"Write it as http(s)://host:port/api."},
	{ConfigInvalidQuantity, Error,
		"A memory or cpu quantity that Docker and Kubernetes would not read.",
		"Write memory as 512Mi, 1Gi or 1G (512m is megabytes to Docker but millibytes to Kubernetes), and cpu as 0.5, 2 or 500m."},
	{ConfigInvalidName, Error,
		"A name with a character Prefect rejects (/ % & > <), or empty.",
		"Use letters, digits, '-', '_' and '.'."},
	{ConfigSecretValue, Error,
		"A parameter or environment variable looks like a secret (by its name, or a URL with a password) and has a literal value; it would be stored in plain text in prefect.yaml and on the server.",
		"Keep the secret out of the deployment: store it in a Prefect Secret block and read it in the flow (Secret.load(\"NAME\").get()), or set it in the workers' environment or the work pool's base job template. A {{ prefect.blocks.secret.NAME }} placeholder in job variables does not help: prefect deploy resolves it and the server stores the value in plain text."},
	{ConfigEnvFile, Error,
		"A line of a flow's .env.<environment> file, read because the environment sets env_files, is not KEY=VALUE.",
		"Write one KEY=VALUE a line (export, quotes and # comments are allowed), or set env_files: false."},
	{ConfigUnknownPlaceholder, Error,
		"A {placeholder} in the configuration that prefectgen does not know.",
		"Use one of {environment}, {environment.FIELD}, {type}, {flow.name}, {flow.flow_name}, {flow.function}, {flow.folder}, {flow.entrypoint}; Prefect's own {{ ... }} templates are kept as they are."},
	{ConfigDuplicateSlug, Error,
		"Two schedules of one deployment share a slug.",
		"Give every schedule of a flow a distinct slug."},
	{ConfigSharedDeployment, Error,
		"Two environments on one Prefect server give a flow's deployment the same name: each deploy replaces the other environment's deployment.",
		"Put {environment} in naming.deployment, or give the environments their own prefect_api_url."},
	{ConfigLatestTag, Warning,
		"An image tagged latest: a redeploy does not pin what runs.",
		"Use tag_strategy git-sha (the default) or a fixed version tag."},
	{ConfigUnknownEnvironment, Error,
		"A flow overrides an environment that is not defined.",
		"Define the environment under environments:, or fix the name (the message suggests the nearest)."},
	{ConfigUnknownFlow, Error,
		"An entry of flows: names no discovered flow.",
		"Use the flow's Prefect name or its folder name (the message suggests the nearest); `prefectgen discover` lists them."},
	{ConfigFlowNotDeployed, Warning,
		"An entry of flows: configures a flow that gets no deployments: a subflow (another flow calls it), or one deploy: leaves out.",
		"Set flows.<flow>.deploy: true to deploy it as well, or remove the entry."},
	{ConfigUnknownParameter, Error,
		"A configured parameter that the flow's signature does not accept; the run would fail.",
		"Fix the name (the message suggests the nearest), or add the parameter to the flow (or **kwargs)."},
	{ConfigParameterNotApplied, Note,
		"An environment's default parameter that a flow does not accept is not applied to it.",
		"Nothing to do, unless the flow should take that parameter."},
	{ConfigParameterType, Error,
		"A configured parameter's value is not of the flow's annotated type (str, int, float, bool); Prefect would refuse the deployment.",
		"Write the value with the annotated type, such as 100 rather than \"100\", or change the annotation."},
	{ConfigMissingParameter, Error,
		"A required flow parameter (no default) has no value for a scheduled deployment: the schedule's runs would fail.",
		"Give it a default in the flow, a value under flows.<flow>.parameters, or one in the schedule's parameters."},
	{ConfigRuntimeParameter, Warning,
		"The configuration gives some of a flow's parameters but not a required one, and the deployment has no schedule: whoever starts a run must give it. (A flow whose configuration gives no parameters is taken to be started by hand, and is not reported.)",
		"Configure a value under flows.<flow>.parameters, or nothing, if runs are started with the parameter (prefect deployment run --param, or from the UI)."},
	{ConfigNoWorkPool, Error,
		"A deployment type is enabled for a flow, but the environment has no work pool for it.",
		"Add environments.<env>.work_pools.<type>, or remove the type from flows.<flow>.types."},
	{ConfigTypeWithoutPool, Warning,
		"No deployment type has a work pool in an environment, so it gets no deployments.",
		"Add work_pools to the environment."},
	{ConfigJobAPIURL, Warning,
		"The job variables set PREFECT_API_URL: runs report to the URL it holds, not to the server their worker serves (prefectgen deploy --api-url does not change it).",
		"Remove PREFECT_API_URL from job_variables.env: a worker gives the runs it starts its own API URL. Keep it only when runs must report to another server than their worker's."},
	{ConfigJobPythonPath, Warning,
		"The job variables set PYTHONPATH to another folder than the one the run's code is in.",
		"Remove PYTHONPATH from job_variables.env: prefectgen sets it to where the code is (process.code_dir for python deployments, code_dir in images)."},
	{ConfigJobVariable, Error,
		"A job variable the work pool type's base job template does not have, or a value of the wrong type: the worker would ignore it, or the server refuse the deployment.",
		"Use a variable of the pool type (the message suggests the nearest); prefect work-pool get-default-base-job-template --type TYPE lists them."},
	{DockerfileSyntax, Error,
		"A hand-written Dockerfile that Docker cannot parse.",
		"Fix the instruction at the reported line."},
	{DockerfileNoFrom, Error,
		"A hand-written Dockerfile with no FROM.",
		"Start the build stage with FROM, such as a pinned prefecthq/prefect image."},
	{DockerfileRunsAsRoot, Warning,
		"A hand-written Dockerfile whose flows run as root.",
		"Add a USER with an unprivileged user at the end of the final stage."},
	{DockerfileWorkdir, Warning,
		"The WORKDIR of a hand-written Dockerfile is not the environment's code_dir, where the deployment's pull step and PYTHONPATH point.",
		"Set WORKDIR to code_dir, or set code_dir to the image's WORKDIR."},
	{DockerfileCopiesEnvFile, Error,
		"A hand-written Dockerfile copies .env files into the image; their secrets would ship with it.",
		"Do not COPY .env files; pass settings as job variables or Prefect Secret blocks."},
	{DockerfileOverridesCommand, Warning,
		"A hand-written Dockerfile sets CMD or ENTRYPOINT; Prefect's workers supply the command and the base image's entrypoint must stay.",
		"Remove CMD and ENTRYPOINT from the final stage."},
	{DockerfileLatestBase, Warning,
		"A Dockerfile's base image is not pinned to a version.",
		"Pin the base image, such as prefecthq/prefect:3.9.1-python3.11."},
	{DockerfileIgnoredPath, Error,
		"A hand-written Dockerfile copies, or changes with chown or chmod, a path that .dockerignore keeps out of the build context: the build fails, or the image lacks it.",
		"Let the path into the context in .dockerignore (to keep a folder but not its files, write folder/* rather than folder/), or stop using it in the Dockerfile."},
	{DockerignoreAllowsEnvFile, Error,
		"A hand-written .dockerignore lets a flow's .env file into the build context: a COPY of the flow's folder would ship its settings and secrets in the image.",
		"Add **/.env and **/.env.* to .dockerignore; pass settings to runs with env_files or job variables instead."},
	{PrefectYAMLNameClash, Error,
		"A hand-written deployment in prefect.yaml has the name of one prefectgen generates for the same flow.",
		"Rename the hand-written deployment, or remove it and configure it in deployment_config.yaml."},
	{PrefectYAMLNotAdopted, Warning,
		"prefectgen init adopted the deployments of a hand-written prefect.yaml into deployment_config.yaml, but not this deployment, key or step: prefectgen cannot express it.",
		"Configure what it did by hand (a trigger with 'prefect automation', an image with the docker type), or leave it in prefect.yaml, which prefectgen keeps outside its markers."},
	{TemplateError, Error,
		"A template override does not parse, or fails to render; nothing is generated.",
		"Fix the template at the reported line; `prefectgen help generate` lists the templates and their hooks."},
}

// lowerable are the errors a configuration may lower or turn off: what
// the flows' environment provides, which prefectgen can only estimate, and
// a value that merely looks like a secret. Every other error means the
// configuration cannot be read or the generated files would be wrong.
var lowerable = []string{MissingDependency, LocalModuleNotOnPath, ConflictingPins, ConfigSecretValue}

// Adjustable reports whether the configuration's problems: may change the
// severity of code: any warning or note, and the lowerable errors.
func Adjustable(code string) bool {
	c, ok := Lookup(code)
	return ok && (c.Severity != Error || slices.Contains(lowerable, code))
}

// Lowerable returns the errors a configuration may lower or turn off.
func Lowerable() []string { return slices.Clone(lowerable) }

// Codes returns every problem code, in documentation order.
func Codes() []CodeInfo { return slices.Clone(codes) }

// Lookup returns the documentation of a code.
func Lookup(code string) (CodeInfo, bool) {
	i := slices.IndexFunc(codes, func(c CodeInfo) bool { return c.Code == code })
	if i < 0 {
		return CodeInfo{}, false
	}
	return codes[i], true
}
