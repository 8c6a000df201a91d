package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"prefectgen/diag"
	"prefectgen/generator"
	"prefectgen/generator/discover"
)

type discoverOpts struct {
	json     bool
	flowsDir string
}

func init() {
	commands = append(commands, &command{
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
local_modules, requirements_files, dependencies, dockerfile_path, env_files,
folder, is_valid and validation_errors. A problem has code, severity, message,
file, line, column and remediation. Keys are never removed in a release;
new keys may be added.

Discover exits 0 even when it finds problems; use validate to fail on them.`,
		flags: func(fs *pflag.FlagSet) any {
			o := &discoverOpts{}
			fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
			fs.StringVar(&o.flowsDir, "flows-dir", "", "scan only this folder (relative to PATH)")
			return o
		},
		run: func(e *env, opts any, args []string) error {
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
	})
}

// pathArg is the repository a command works on: PATH when given, else
// the nearest folder from the current one upward, within its git
// checkout, that holds a deployment_config.yaml, else the current folder.
// So a command run from a flow's folder works on the whole repository.
func pathArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	rel := "."
	for range 64 {
		for _, n := range generator.ConfigNames {
			if _, err := os.Stat(filepath.Join(rel, n)); err == nil {
				return rel
			}
		}
		if _, err := os.Stat(filepath.Join(rel, ".git")); err == nil {
			break // the top of the checkout
		}
		abs, err := filepath.Abs(rel)
		if err != nil || filepath.Dir(abs) == abs {
			break
		}
		if rel == "." {
			rel = ".."
		} else {
			rel = filepath.Join(rel, "..")
		}
	}
	return "."
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printFlowTable(w io.Writer, res *discover.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLOW\tENTRYPOINT\tPARAMETERS\tDOCKERFILE\tPROBLEMS")
	for _, f := range res.Flows {
		docker := f.DockerfilePath
		if docker == "" {
			docker = "-"
		}
		problems := "ok"
		switch {
		case len(f.ValidationErrors) > 0:
			problems = plural(len(f.ValidationErrors), "error")
		case !f.Deployable:
			problems = "not deployable"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", oneLine(f.Name), oneLine(f.Entrypoint), oneLine(paramSummary(f.Parameters)), oneLine(docker), problems)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s in %s (%d parsed)\n", plural(len(res.Flows), "flow"), plural(res.Stats.FilesSeen, "Python file"), res.Stats.FilesParsed)
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
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

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printProblems prints problems like a compiler, with paths relative to
// the working folder: path:line:col: CODE: message, then the remediation.
func printProblems(w io.Writer, root string, ps []diag.ValidationError) {
	for _, p := range ps {
		switch {
		case p.FilePath == "":
			p.FilePath = root
		case !filepath.IsAbs(p.FilePath):
			p.FilePath = filepath.ToSlash(filepath.Join(root, filepath.FromSlash(p.FilePath)))
		}
		fmt.Fprint(w, p.Format())
	}
}
