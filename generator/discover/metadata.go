package discover

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

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
	// entrypoint, such as flows defined inside a function.
	Deployable bool        `json:"deployable"`
	Parameters []Parameter `json:"parameters"`
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
	// Dependencies are the requirement lines of those files, normalized.
	Dependencies []string `json:"dependencies"`
	// DockerfilePath is the nearest Dockerfile upward within the
	// repository, or "".
	DockerfilePath string `json:"dockerfile_path"`
	// EnvFiles are the .env.* files of the nearest folder upward that has any.
	EnvFiles []string `json:"env_files"`
	// Folder is the flow's folder relative to the repository root.
	Folder           string   `json:"folder"`
	IsValid          bool     `json:"is_valid"`
	ValidationErrors []string `json:"validation_errors"`

	problems []ValidationError // found while parsing
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

// Severity tells errors, which block generation, from warnings.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	// Note is for information that needs no action.
	Note Severity = "note"
)

// ValidationError is one problem found in the repository.
type ValidationError struct {
	Code        string   `json:"code"`
	Severity    Severity `json:"severity"`
	Message     string   `json:"message"`
	FilePath    string   `json:"file"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	Remediation string   `json:"remediation"`
}

// Pos returns the problem's position as path:line:col (path alone when the
// line is unknown).
func (e ValidationError) Pos() string {
	switch {
	case e.FilePath == "":
		return "."
	case e.Line == 0:
		return e.FilePath
	}
	return fmt.Sprintf("%s:%d:%d", e.FilePath, e.Line, e.Column)
}

func (e ValidationError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Pos(), e.Code, e.Message)
}

// Format writes the problem as prefectgen prints it, like a compiler: the
// position, the severity unless it is an error, the code and the message,
// then the remediation on an indented line.
func (e ValidationError) Format() string {
	sev := ""
	if e.Severity != Error && e.Severity != "" {
		sev = string(e.Severity) + ": "
	}
	msg := strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(e.Message)
	s := fmt.Sprintf("%s: %s%s: %s\n", e.Pos(), sev, e.Code, msg)
	if e.Remediation != "" {
		s += "    fix: " + e.Remediation + "\n"
	}
	return s
}

// ValidationResult holds every problem found, errors and warnings apart,
// each sorted by position.
type ValidationResult struct {
	IsValid  bool              `json:"is_valid"`
	Errors   []ValidationError `json:"errors"`
	Warnings []ValidationError `json:"warnings"`
}

// Add records a problem.
func (r *ValidationResult) Add(e ValidationError) {
	if e.Severity == Warning || e.Severity == Note {
		r.Warnings = append(r.Warnings, e)
	} else {
		e.Severity = Error
		r.Errors = append(r.Errors, e)
	}
}

// Merge adds every problem of o.
func (r *ValidationResult) Merge(ps ...ValidationError) {
	for _, p := range ps {
		r.Add(p)
	}
}

// Finish sorts and deduplicates the problems and sets IsValid.
func (r *ValidationResult) Finish() { r.finish() }

// All returns errors and warnings together, sorted by position.
func (r *ValidationResult) All() []ValidationError {
	all := slices.Concat(r.Errors, r.Warnings)
	SortProblems(all)
	return all
}

func (r *ValidationResult) finish() {
	SortProblems(r.Errors)
	SortProblems(r.Warnings)
	r.Errors = slices.Compact(r.Errors)
	r.Warnings = slices.Compact(r.Warnings)
	if r.Errors == nil {
		r.Errors = []ValidationError{}
	}
	if r.Warnings == nil {
		r.Warnings = []ValidationError{}
	}
	r.IsValid = len(r.Errors) == 0
}

// SortProblems sorts problems by file, line, column, then code and
// message, the order prefectgen prints them in.
func SortProblems(ps []ValidationError) {
	slices.SortStableFunc(ps, func(a, b ValidationError) int {
		return cmp.Or(
			cmp.Compare(a.FilePath, b.FilePath),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
