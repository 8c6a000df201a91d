package generator

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"prefectgen/diag"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ValidateDockerfile parses a Dockerfile with BuildKit's parser and checks
// what matters to a Prefect image: a FROM, a pinned base, WORKDIR equal to
// code_dir, no .env files copied, no CMD or ENTRYPOINT, not root, and
// nothing used that the build context (ctx, nil for no .dockerignore)
// leaves out.
func ValidateDockerfile(rel string, data []byte, codeDir string, ctx *buildContext) []diag.ValidationError {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil && strings.Contains(err.Error(), "no instructions") {
		return []diag.ValidationError{diag.New(diag.DockerfileNoFrom, diag.Pos{File: rel, Line: 1, Column: 1}, "no instructions, so no FROM")}
	}
	if err != nil {
		return []diag.ValidationError{diag.New(diag.DockerfileSyntax, diag.Pos{File: rel, Line: lineOf(err.Error()), Column: 1}, err.Error())}
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
		return []diag.ValidationError{diag.New(diag.DockerfileSyntax, diag.Pos{File: rel, Line: line, Column: 1}, err.Error())}
	}
	if len(stages) == 0 {
		return []diag.ValidationError{diag.New(diag.DockerfileNoFrom, diag.Pos{File: rel, Line: 1, Column: 1}, "no FROM instruction")}
	}
	var out []diag.ValidationError
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
			out = append(out, diag.New(diag.DockerfileLatestBase, diag.Pos{File: rel, Line: fromLine, Column: 1}, fmt.Sprintf("base image %s is not pinned to a version", base)))
		}
	}
	workdir, userLine := "", 0
	var copies []copied
	for _, cmd := range final.Commands {
		line := 1
		if loc := cmd.Location(); len(loc) > 0 {
			line = loc[0].Start.Line
		}
		pos := diag.Pos{File: rel, Line: line, Column: 1}
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			if c.From == "" {
				out = append(out, ctx.checkSources("COPY", pos, c.SourcePaths)...)
				copies = append(copies, ctx.copies(c.SourcePaths, c.DestPath, workdir)...)
			}
		case *instructions.AddCommand:
			out = append(out, ctx.checkSources("ADD", pos, c.SourcePaths)...)
			copies = append(copies, ctx.copies(c.SourcePaths, c.DestPath, workdir)...)
		case *instructions.RunCommand:
			for _, p := range changedPaths(strings.Join(c.CmdLine, " "), workdir) {
				if src := contextPath(copies, p); src != "" && ctx.excluded(src) {
					out = append(out, diag.New(diag.DockerfileIgnoredPath, pos,
						fmt.Sprintf("RUN changes %s, but %s keeps %s out of the build context, so it is not in the image", p, ctx.file, src)))
				}
			}
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
					out = append(out, diag.New(diag.DockerfileCopiesEnvFile, diag.Pos{File: rel, Line: line, Column: 1}, fmt.Sprintf("COPY %s puts an .env file into the image", src)))
				}
			}
		case *instructions.AddCommand:
			for _, src := range c.SourcePaths {
				if b := path.Base(src); b == ".env" || strings.HasPrefix(b, ".env.") {
					out = append(out, diag.New(diag.DockerfileCopiesEnvFile, diag.Pos{File: rel, Line: line, Column: 1}, fmt.Sprintf("ADD %s puts an .env file into the image", src)))
				}
			}
		case *instructions.CmdCommand:
			out = append(out, diag.New(diag.DockerfileOverridesCommand, diag.Pos{File: rel, Line: line, Column: 1}, "CMD replaces the command Prefect's worker runs"))
		case *instructions.EntrypointCommand:
			out = append(out, diag.New(diag.DockerfileOverridesCommand, diag.Pos{File: rel, Line: line, Column: 1}, "ENTRYPOINT replaces the base image's entrypoint"))
		}
	}
	if codeDir != "" && workdir != path.Clean(codeDir) {
		w := workdir
		if w == "" {
			w = "not set"
		}
		out = append(out, diag.New(diag.DockerfileWorkdir, diag.Pos{File: rel, Line: fromLine, Column: 1}, fmt.Sprintf("WORKDIR is %s but code_dir is %s", w, codeDir)))
	}
	if userLine == 0 {
		out = append(out, diag.New(diag.DockerfileRunsAsRoot, diag.Pos{File: rel, Line: fromLine, Column: 1}, "the final stage has no USER, so flows run as root"))
	}
	return out
}

// checkSources reports the sources of a COPY or ADD that the context
// leaves out.
func (ctx *buildContext) checkSources(verb string, pos diag.Pos, srcs []string) []diag.ValidationError {
	var out []diag.ValidationError
	for _, src := range srcs {
		if !strings.Contains(src, "://") && ctx.excluded(src) {
			out = append(out, diag.New(diag.DockerfileIgnoredPath, pos, fmt.Sprintf("%s %s: %s keeps it out of the build context", verb, src, ctx.file)))
		}
	}
	return out
}

// copies records where a COPY's sources land in the image.
func (ctx *buildContext) copies(srcs []string, dest, workdir string) []copied {
	if !path.IsAbs(dest) {
		dest = path.Join(workdir, dest)
	}
	intoDir := strings.HasSuffix(dest, "/") || len(srcs) > 1
	var out []copied
	for _, src := range srcs {
		clean := path.Clean(src)
		dir := strings.HasSuffix(src, "/") || (ctx != nil && ctx.isDir != nil && ctx.isDir(clean))
		d := path.Clean(dest)
		if intoDir && !dir {
			d = path.Join(d, path.Base(clean))
		}
		out = append(out, copied{src: clean, dest: d, dir: dir})
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
