package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"prefectgen/diag"
	"prefectgen/generator/discover"
)

type discoverOpts struct {
	json     bool
	flowsDir string
}

var discoverCmd = &command{
	name:    "discover",
	args:    "[PATH]",
	short:   "list the Prefect flows of a repository",
	maxArgs: 1,
	long: `
Discover lists the Prefect flows of the repository at PATH (default: the
current folder) by parsing its Python source; it never imports it.

A flow is a function, sync or async, decorated with Prefect's flow: @flow,
@flow(...), @prefect.flow, @prefect.flow(...), and aliases such as
"from prefect import flow as f" or "import prefect as pf". The walk honours
.gitignore and .prefectignore and skips .git, virtualenvs, site-packages,
node_modules, __pycache__, build, dist, .tox and caches.

The table shows each flow's Prefect name, entrypoint, parameters (name=default,
or the bare name when the parameter is required), Dockerfile and problems.
Problems are listed below it, as 'prefectgen validate' prints them.

With --json, the output is one JSON object:

	{"flows": [FlowMetadata...], "validation": {"is_valid", "errors", "warnings"},
	 "stats": {"files_seen", "files_parsed"}}

Every path in it is relative to PATH, with "/". A FlowMetadata has name,
function_name, path, line, column, module_path, entrypoint, async, deployable,
parameters [{name, annotation, default, kind, required}], decorator
{keyword: {text, value, literal}}, description, version, docstring, imports,
local_modules, requirements_files, dependencies, project, dockerfile_path,
env_files, folder, called_by (the flows that call it: a subflow is not
deployed), is_valid and validation_errors. A problem has code, severity,
message, file, line, column and remediation. Keys are never removed in a
release; new keys may be added.

Discover exits 0 even when it finds problems; use validate to fail on them.`,
	examples: `
# the flows of the repository in the current folder, as a table
prefectgen discover
# as JSON, for scripts
prefectgen discover --json | jq '.flows[].entrypoint' `,
	flags: func(fs *pflag.FlagSet) any {
		o := &discoverOpts{}
		fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
		fs.StringVar(&o.flowsDir, "flows-dir", "", "scan only this folder (relative to PATH)")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*discoverOpts)
		root := pathArg(args)
		res, err := discover.Discover(discover.Options{Root: root, FlowsDir: o.flowsDir})
		if err != nil {
			return err
		}
		if o.json {
			return writeJSON(e.stdout, res)
		}
		printFlowTable(e.stdout, res)
		printProblems(e.stderr, root, res.Validation.All())
		return nil
	},
}

func printFlowTable(w io.Writer, res *discover.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLOW\tENTRYPOINT\tPARAMETERS\tDOCKERFILE\tPROBLEMS")
	warnings := flowWarnings(res)
	for i, f := range res.Flows {
		docker := f.DockerfilePath
		if docker == "" {
			docker = "-"
		}
		var counts []string
		if n := len(f.ValidationErrors); n > 0 {
			counts = append(counts, plural(n, "error"))
		}
		if n := warnings[i]; n > 0 {
			counts = append(counts, plural(n, "warning"))
		}
		problems := strings.Join(counts, ", ")
		switch {
		case !f.Deployable:
			problems = strings.TrimPrefix(problems+", not deployable", ", ")
		case problems == "":
			problems = "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", oneLine(f.Name), oneLine(f.Entrypoint), oneLine(paramSummary(f.Parameters)), oneLine(docker), problems)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s in %s (%d parsed)\n", plural(len(res.Flows), "flow"), plural(res.Stats.FilesSeen, "Python file"), res.Stats.FilesParsed)
}

// flowWarnings counts the warnings of each flow: those in its file, at or
// below its def and above the next flow's; a warning above every flow of
// its file counts for each of them.
func flowWarnings(res *discover.Result) []int {
	counts := make([]int, len(res.Flows))
	for _, w := range res.Validation.Warnings {
		if w.Severity != diag.Warning {
			continue
		}
		owner := -1
		for i, f := range res.Flows {
			if f.Path != w.FilePath {
				continue
			}
			if f.Line <= w.Line && (owner < 0 || f.Line > res.Flows[owner].Line) {
				owner = i
			}
		}
		if owner >= 0 {
			counts[owner]++
			continue
		}
		for i, f := range res.Flows {
			if f.Path == w.FilePath {
				counts[i]++
			}
		}
	}
	return counts
}

func paramSummary(ps []discover.Parameter) string {
	if len(ps) == 0 {
		return "-"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		switch {
		case p.Kind == "var_positional":
			parts[i] = "*" + p.Name
		case p.Kind == "var_keyword":
			parts[i] = "**" + p.Name
		case p.Default != "":
			parts[i] = p.Name + "=" + p.Default
		default:
			parts[i] = p.Name
		}
	}
	return strings.Join(parts, ", ")
}
