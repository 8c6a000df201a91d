package discover

// Problem codes. They are stable: scripts and documentation refer to them.
const (
	CodeSyntax           = "SYNTAX_ERROR"
	CodeNotUTF8          = "NOT_UTF8"
	CodeUnreadable       = "UNREADABLE_FILE"
	CodeSymlinkLoop      = "SYMLINK_LOOP"
	CodeNoFlows          = "NO_FLOWS"
	CodeDuplicateName    = "DUPLICATE_FLOW_NAME"
	CodeInvalidName      = "INVALID_FLOW_NAME"
	CodeNonLiteralName   = "NON_LITERAL_FLOW_NAME"
	CodeNestedFlow       = "NESTED_FLOW"
	CodeMissingDep       = "MISSING_DEPENDENCY"
	CodeNoRequirements   = "NO_REQUIREMENTS"
	CodeConflictingPins  = "CONFLICTING_PINS"
	CodeBadRequirement   = "INVALID_REQUIREMENT"
	CodeMissingInclude   = "MISSING_REQUIREMENTS_INCLUDE"
	CodeInstanceMethod   = "INSTANCE_METHOD_FLOW"
	CodeNonLiteralOption = "NON_LITERAL_FLOW_OPTION"
)

// CodeInfo documents one problem code.
type CodeInfo struct {
	Code        string
	Severity    Severity
	Meaning     string
	Remediation string
}

// Codes lists every problem code discovery reports, in documentation order.
var Codes = []CodeInfo{
	{CodeSyntax, Error, "A Python file does not parse. Flows elsewhere in the file and in other files are still found.", "Fix the syntax at the reported position; `python -m py_compile FILE` shows the same error."},
	{CodeNotUTF8, Warning, "A Python file is not valid UTF-8, so it was not scanned.", "Save the file as UTF-8 (Python 3's default source encoding)."},
	{CodeUnreadable, Warning, "A file or folder could not be read, so it was not scanned.", "Fix its permissions, or list it in .gitignore or .prefectignore."},
	{CodeSymlinkLoop, Warning, "A symbolic link leads back into a folder already being scanned; it was not followed.", "Remove the link, or list it in .gitignore or .prefectignore."},
	{CodeNoFlows, Warning, "No Prefect flow was found.", "Decorate a function with @flow from prefect, or point --flows-dir at the folder that holds the flows."},
	{CodeDuplicateName, Error, "Two flows have the same Prefect name; Prefect would merge their deployments under one flow.", "Give one of them a distinct name with @flow(name=\"...\")."},
	{CodeInvalidName, Error, "A flow name contains a character Prefect rejects (/ % & > <) or is empty.", "Choose a name without / % & > < (letters, digits, '-' and '_' are safe)."},
	{CodeNonLiteralName, Error, "A flow's name= is not a string literal, so its Prefect name cannot be known without running the code.", "Write the name as a plain string literal: @flow(name=\"my-flow\")."},
	{CodeNonLiteralOption, Warning, "A flow's description= or version= is not a literal; it cannot be shown or generated.", "Use a plain string literal, or set description/version in deployment_config.yaml."},
	{CodeNestedFlow, Warning, "A flow is defined inside a function, or under if __name__ == \"__main__\"; Prefect cannot load it from an entrypoint, so it is not deployed.", "Move the flow to module level (or into a class) if it should be deployed."},
	{CodeInstanceMethod, Warning, "A flow is an instance method; Prefect cannot call it from an entrypoint without an instance.", "Make it a @staticmethod or @classmethod, or a module-level function."},
	{CodeMissingDep, Error, "A flow imports a third-party module that none of its requirements files provides; the deployment would fail with ModuleNotFoundError.", "Add the distribution to the flow's requirements.txt (the message names it), or remove the import."},
	{CodeNoRequirements, Warning, "No requirements.txt was found in the flow's folder or any folder above it.", "Add a requirements.txt next to the flow listing what it imports (at least prefect)."},
	{CodeConflictingPins, Error, "Two requirements files that are installed into one flow's environment pin the same distribution to different versions; pip would refuse to install them.", "Pin the distribution to one version in every file, or pin it in one place only."},
	{CodeBadRequirement, Warning, "A line of a requirements file could not be understood.", "Write it as a PEP 508 requirement such as `name==1.2.3`, or an option pip knows."},
	{CodeMissingInclude, Error, "A requirements file includes (-r or -c) a file that does not exist.", "Fix the path; it is relative to the including file."},
}

func info(code string) CodeInfo {
	for _, c := range Codes {
		if c.Code == code {
			return c
		}
	}
	panic("discover: unknown code " + code)
}

// problem builds a ValidationError with the code's severity and remediation.
func problem(code, file string, line, col int, msg string) ValidationError {
	i := info(code)
	return ValidationError{Code: code, Severity: i.Severity, Message: msg, FilePath: file, Line: line, Column: col, Remediation: i.Remediation}
}
