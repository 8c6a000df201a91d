package generator

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"prefectgen/generator/discover"
)

// Dockerfile problem codes.
const (
	CodeDockerfileSyntax  = "DOCKERFILE_SYNTAX"
	CodeDockerfileNoFrom  = "DOCKERFILE_NO_FROM"
	CodeDockerfileRoot    = "DOCKERFILE_RUNS_AS_ROOT"
	CodeDockerfileWorkdir = "DOCKERFILE_WORKDIR"
	CodeDockerfileEnv     = "DOCKERFILE_COPIES_ENV_FILE"
	CodeDockerfileCmd     = "DOCKERFILE_OVERRIDES_COMMAND"
	CodeDockerfileLatest  = "DOCKERFILE_LATEST_BASE"
	CodeHandWrittenClash  = "PREFECT_YAML_NAME_CLASH"
)

// Codes documents the problems of generation.
var Codes = []discover.CodeInfo{
	{Code: CodeDockerfileSyntax, Severity: discover.Error, Meaning: "A hand-written Dockerfile that Docker cannot parse.", Remediation: "Fix the instruction at the reported line."},
	{Code: CodeDockerfileNoFrom, Severity: discover.Error, Meaning: "A hand-written Dockerfile with no FROM.", Remediation: "Start the build stage with FROM, such as a pinned prefecthq/prefect image."},
	{Code: CodeDockerfileRoot, Severity: discover.Warning, Meaning: "A hand-written Dockerfile whose flows run as root.", Remediation: "Add a USER with an unprivileged user at the end of the final stage."},
	{Code: CodeDockerfileWorkdir, Severity: discover.Warning, Meaning: "The WORKDIR of a hand-written Dockerfile is not the environment's code_dir, where the deployment's pull step and PYTHONPATH point.", Remediation: "Set WORKDIR to code_dir, or set code_dir to the image's WORKDIR."},
	{Code: CodeDockerfileEnv, Severity: discover.Error, Meaning: "A hand-written Dockerfile copies .env files into the image; their secrets would ship with it.", Remediation: "Do not COPY .env files; pass settings as job variables or Prefect Secret blocks."},
	{Code: CodeDockerfileCmd, Severity: discover.Warning, Meaning: "A hand-written Dockerfile sets CMD or ENTRYPOINT; Prefect's workers supply the command and the base image's entrypoint must stay.", Remediation: "Remove CMD and ENTRYPOINT from the final stage."},
	{Code: CodeDockerfileLatest, Severity: discover.Warning, Meaning: "A Dockerfile's base image is not pinned to a version.", Remediation: "Pin the base image, such as prefecthq/prefect:3.9.1-python3.11."},
	{Code: CodeHandWrittenClash, Severity: discover.Error, Meaning: "A hand-written deployment in prefect.yaml has the name of one prefectgen generates for the same flow.", Remediation: "Rename the hand-written deployment, or remove it and configure it in deployment_config.yaml."},
}

func genProblem(code, file string, line, col int, msg string) discover.ValidationError {
	for _, c := range Codes {
		if c.Code == code {
			return discover.ValidationError{Code: code, Severity: c.Severity, Message: msg, FilePath: file, Line: line, Column: col, Remediation: c.Remediation}
		}
	}
	panic("generator: unknown code " + code)
}

// ValidateDockerfile parses a Dockerfile with BuildKit's parser and checks
// what matters to a Prefect image: a FROM, a pinned base, WORKDIR equal to
// code_dir, no .env files copied, no CMD or ENTRYPOINT, not root.
func ValidateDockerfile(rel string, data []byte, codeDir string) []discover.ValidationError {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil && strings.Contains(err.Error(), "no instructions") {
		return []discover.ValidationError{genProblem(CodeDockerfileNoFrom, rel, 1, 1, "no instructions, so no FROM")}
	}
	if err != nil {
		return []discover.ValidationError{genProblem(CodeDockerfileSyntax, rel, lineOf(err.Error()), 1, err.Error())}
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		line := 1
		for _, n := range res.AST.Children {
			if strings.Contains(err.Error(), strings.ToUpper(n.Value)) || strings.Contains(err.Error(), n.Value) {
				line = n.StartLine
				break
			}
		}
		return []discover.ValidationError{genProblem(CodeDockerfileSyntax, rel, line, 1, err.Error())}
	}
	if len(stages) == 0 {
		return []discover.ValidationError{genProblem(CodeDockerfileNoFrom, rel, 1, 1, "no FROM instruction")}
	}
	var out []discover.ValidationError
	final := stages[len(stages)-1]
	fromLine := 1
	if loc := final.Location; len(loc) > 0 {
		fromLine = loc[0].Start.Line
	}
	if base := final.BaseName; !strings.Contains(base, "$") && base != "scratch" {
		ref := base
		if i := strings.LastIndex(ref, "/"); i >= 0 {
			ref = ref[i+1:]
		}
		_, tag, hasTag := strings.Cut(ref, ":")
		if (!hasTag || tag == "latest" || strings.HasSuffix(tag, "-latest")) && !strings.Contains(base, "@sha256:") && !isStageName(stages, base) {
			out = append(out, genProblem(CodeDockerfileLatest, rel, fromLine, 1, fmt.Sprintf("base image %s is not pinned to a version", base)))
		}
	}
	workdir, userLine := "", 0
	for _, cmd := range final.Commands {
		line := 1
		if loc := cmd.Location(); len(loc) > 0 {
			line = loc[0].Start.Line
		}
		switch c := cmd.(type) {
		case *instructions.WorkdirCommand:
			if path.IsAbs(c.Path) {
				workdir = path.Clean(c.Path)
			} else {
				workdir = path.Join(workdir, c.Path)
			}
		case *instructions.UserCommand:
			userLine = line
			if u := strings.TrimSpace(c.User); u == "root" || u == "0" || strings.HasPrefix(u, "root:") || strings.HasPrefix(u, "0:") {
				userLine = 0
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				if b := path.Base(src); b == ".env" || strings.HasPrefix(b, ".env.") {
					out = append(out, genProblem(CodeDockerfileEnv, rel, line, 1, fmt.Sprintf("COPY %s puts an .env file into the image", src)))
				}
			}
		case *instructions.AddCommand:
			for _, src := range c.SourcePaths {
				if b := path.Base(src); b == ".env" || strings.HasPrefix(b, ".env.") {
					out = append(out, genProblem(CodeDockerfileEnv, rel, line, 1, fmt.Sprintf("ADD %s puts an .env file into the image", src)))
				}
			}
		case *instructions.CmdCommand:
			out = append(out, genProblem(CodeDockerfileCmd, rel, line, 1, "CMD replaces the command Prefect's worker runs"))
		case *instructions.EntrypointCommand:
			out = append(out, genProblem(CodeDockerfileCmd, rel, line, 1, "ENTRYPOINT replaces the base image's entrypoint"))
		}
	}
	if codeDir != "" && workdir != path.Clean(codeDir) {
		w := workdir
		if w == "" {
			w = "not set"
		}
		out = append(out, genProblem(CodeDockerfileWorkdir, rel, fromLine, 1, fmt.Sprintf("WORKDIR is %s but code_dir is %s", w, codeDir)))
	}
	if userLine == 0 {
		out = append(out, genProblem(CodeDockerfileRoot, rel, fromLine, 1, "the final stage has no USER, so flows run as root"))
	}
	return out
}

func isStageName(stages []instructions.Stage, name string) bool {
	for _, s := range stages {
		if strings.EqualFold(s.Name, name) {
			return true
		}
	}
	return false
}

// lineOf finds "line N" in a parser error.
func lineOf(msg string) int {
	var n int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscan(msg[i+5:], &n)
	}
	if n < 1 {
		n = 1
	}
	return n
}
