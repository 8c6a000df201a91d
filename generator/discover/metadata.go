package discover

import "prefectgen/diag"

// FlowMetadata describes one Prefect flow found in the source.
type FlowMetadata struct {
	// Name is the Prefect flow name: the literal name= of the decorator, or
	// the function name with "_" replaced by "-".
	Name string `json:"name"`
	// FunctionName is the name of the decorated function; for a method it
	// is Class.method.
	FunctionName string `json:"function_name"`
	// Path is the file's path relative to the repository root, with "/".
	Path string `json:"path"`
	// Line and Column locate the def (or async def) keyword, 1-based.
	Line   int `json:"line"`
	Column int `json:"column"`
	// ModulePath is the dotted module path, such as flows.rpa1.workflow.
	ModulePath string `json:"module_path"`
	// Entrypoint is what prefect.yaml names: path:function.
	Entrypoint string `json:"entrypoint"`
	Async      bool   `json:"async"`
	// Deployable is false for flows Prefect cannot load from an
	// entrypoint, such as flows defined inside a function, and for flows
	// in tests.
	Deployable bool `json:"deployable"`
	// NotDeployableReason says why a flow is not deployable: "nested"
	// (defined inside a function), "factory" (defined inside a function
	// that returns it), "main" (under if __name__ == "__main__"),
	// "instance_method", or "test" (in a tests/ or test/ folder, a
	// test_*.py or *_test.py file, or conftest.py); "" when it is.
	NotDeployableReason string      `json:"not_deployable_reason"`
	Parameters          []Parameter `json:"parameters"`
	// Decorator holds the keyword arguments of the @flow(...) call.
	Decorator map[string]Argument `json:"decorator"`
	// Description is the decorator's literal description, else the docstring.
	Description string `json:"description"`
	Version     string `json:"version"`
	Docstring   string `json:"docstring"`
	// Imports are the third-party top-level modules the flow's file and the
	// repository modules it imports (transitively) import, sorted.
	Imports []string `json:"imports"`
	// LocalModules are the repository files the flow's file imports,
	// transitively, sorted; they must be shipped with the flow.
	LocalModules []string `json:"local_modules"`
	// RequirementsFiles are the requirements files that end up in the
	// flow's environment: requirements.txt in the flow's folder and every
	// folder above it within the repository, and the files they include.
	RequirementsFiles []string `json:"requirements_files"`
	// Project is the Python project the flow is installed with (the
	// nearest pyproject.toml above it that declares a project, or a Pipfile
	// or conda environment.yml), with its lock file and uv workspace; nil
	// when there is none.
	Project *Project `json:"project"`
	// Dependencies are the requirement lines of the requirements files,
	// normalized, then the main dependencies of the project and of its
	// workspace root, as written.
	Dependencies []string `json:"dependencies"`
	// DockerfilePath is the nearest Dockerfile upward within the
	// repository, or "".
	DockerfilePath string `json:"dockerfile_path"`
	// EnvFiles are the .env.* files of the nearest folder upward that has any.
	EnvFiles []string `json:"env_files"`
	// CalledBy are the names of the repository's other deployable flows
	// that call this one in their body: it is their subflow. Sorted.
	CalledBy []string `json:"called_by"`
	// Folder is the flow's folder relative to the repository root.
	Folder           string   `json:"folder"`
	IsValid          bool     `json:"is_valid"`
	ValidationErrors []string `json:"validation_errors"`

	problems []diag.ValidationError // found while parsing

	at          uint      // byte offset of the def, or of the assignment of a call-form flow
	nameExpr    strExpr   // a name= that reads other modules' constants, resolved once every file is parsed
	nameUnknown string    // why name= cannot be known without running the code
	namePos     diag.Pos  // where name= is
	origin      string    // path:line of the def the flow runs: copies made with with_options share it
	code        uint64    // hash of the def's source: files copied with their flows share it
	calls       []callRef // the calls in the def's body, resolved once every file is parsed
}

// Parameter is one parameter of a flow function.
type Parameter struct {
	Name string `json:"name"`
	// Annotation and Default are the source text, "" when absent.
	Annotation string `json:"annotation"`
	Default    string `json:"default"`
	// Kind is positional_only, positional_or_keyword, var_positional,
	// keyword_only or var_keyword, as in Python's inspect.Parameter.
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
}

// Argument is one keyword argument of a decorator.
type Argument struct {
	// Text is the argument's source text.
	Text string `json:"text"`
	// Value is the decoded value when the text is a Python literal
	// (string, number, bool, None, or a list, tuple or dict of them).
	Value   any  `json:"value"`
	Literal bool `json:"literal"`
}
