package generator

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"prefectgen/diag"
)

// buildContext is the build context of the flow images, the repository
// root, as .dockerignore trims it.
type buildContext struct {
	// file names the .dockerignore, "" when there is none.
	file string
	pm   *patternmatcher.PatternMatcher
	// isDir tells the folders of the repository.
	isDir func(rel string) bool
}

// newBuildContext reads a .dockerignore (nil data means none).
func newBuildContext(file string, data []byte, isDir func(string) bool) (*buildContext, error) {
	if data == nil {
		return &buildContext{isDir: isDir}, nil
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &buildContext{file: file, pm: pm, isDir: isDir}, nil
}

// excluded reports whether a path of the repository (or a folder above
// it) is kept out of the context.
func (c *buildContext) excluded(p string) bool {
	if c == nil || c.pm == nil {
		return false
	}
	p = strings.TrimSuffix(path.Clean(strings.TrimPrefix(p, "./")), "/")
	if p == "." || p == "" {
		return false
	}
	ex, err := c.pm.MatchesOrParentMatches(p)
	return err == nil && ex
}

// checkEnvFiles reports the flows' .env files that the context lets in.
func (c *buildContext) checkEnvFiles(envFiles []string) []diag.ValidationError {
	if c == nil || c.pm == nil {
		return nil
	}
	var let []string
	for _, f := range envFiles {
		if !c.excluded(f) {
			let = append(let, f)
		}
	}
	if len(let) == 0 {
		return nil
	}
	what := let[0]
	if len(let) > 1 {
		what = fmt.Sprintf("%d .env files (%s, ...)", len(let), let[0])
	}
	return []diag.ValidationError{diag.New(diag.DockerignoreAllowsEnvFile, diag.Pos{File: c.file, Line: 1, Column: 1},
		fmt.Sprintf("it lets %s into the build context: an image that copies a flow's folder would hold them", what))}
}

// copied is a COPY of the context into an image: a source path of the
// repository and where it lands.
type copied struct {
	src, dest string
	dir       bool
}

// contextPath maps a path of the image back to the repository path a
// COPY brought it from, "" when none did.
func contextPath(copies []copied, p string) string {
	for _, c := range copies {
		switch {
		case p == c.dest:
			return c.src
		case c.dir && strings.HasPrefix(p, c.dest+"/"):
			return path.Join(c.src, strings.TrimPrefix(p, c.dest+"/"))
		}
	}
	return ""
}

// changedPaths returns the paths a RUN line changes the owner or mode of
// (chown, chmod), resolved against workdir: they must be in the image.
func changedPaths(line, workdir string) []string {
	if !strings.Contains(line, "chown") && !strings.Contains(line, "chmod") {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' || r == '&' || r == '|' || r == '\\' }) {
		f = strings.Trim(f, `"'`)
		if f == "" || strings.HasPrefix(f, "-") || strings.ContainsAny(f, "$=:*") {
			continue
		}
		switch {
		case strings.HasPrefix(f, "/"):
			out = append(out, path.Clean(f))
		case strings.Contains(f, "/") && workdir != "":
			out = append(out, path.Join(workdir, f))
		}
	}
	return out
}
