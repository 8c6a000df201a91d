package main

import (
	"context"
	"embed"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	goyaml "github.com/goccy/go-yaml"
	"github.com/spf13/pflag"

	"prefectgen/generator"
	"prefectgen/generator/discover"
	"prefectgen/schema"
)

// completeArg starts the command line the completion scripts ask about.
const completeArg = "__complete"

//go:embed completions/prefectgen.bash completions/prefectgen.zsh completions/prefectgen.fish
var completionScripts embed.FS

var completionCmd = &command{
	name:    "completion",
	args:    "bash|zsh|fish",
	short:   "print the shell completion script for bash, zsh or fish",
	maxArgs: math.MaxInt,
	long: `
Completion prints a script that makes the shell complete prefectgen's
commands, flags and the values that are known: --env (the environments of
the configuration at PATH, or of the one found from the current folder
upward), --flow (the flows discovered there), --type (python, docker,
kubernetes, all), and folders and files where a flag or PATH takes one.
zsh and fish also show what each candidate is.

The scripts ask prefectgen itself for the candidates, as
'prefectgen completion __complete WORD...' with the words of the command
line after 'prefectgen', the last one being the word to complete: it prints
a candidate a line (a tab, then its description), then ':none', ':files'
or ':dirs' for what the shell should offer besides.`,
	examples: `
# bash: for this shell, then for every new one
source <(prefectgen completion bash)
prefectgen completion bash > ~/.local/share/bash-completion/completions/prefectgen
# zsh (after compinit): for this shell, then for every new one
source <(prefectgen completion zsh)
prefectgen completion zsh > "${fpath[1]}/_prefectgen"
# fish
prefectgen completion fish > ~/.config/fish/completions/prefectgen.fish`,
	flags: func(fs *pflag.FlagSet) any {
		// The words after __complete are a command line, not completion's
		// own flags.
		fs.SetInterspersed(false)
		return nil
	},
}

// completionCmd answers about every command, itself included: its run is
// set here, outside its declaration, which would otherwise depend on
// itself through commands().
func init() { completionCmd.run = runCompletion }

func runCompletion(_ context.Context, e *env, _ any, args []string) error {
	if len(args) > 0 && args[0] == completeArg {
		cands, also := completions(args[1:])
		for _, c := range cands {
			if c.desc != "" {
				fmt.Fprintf(e.stdout, "%s\t%s\n", c.word, c.desc)
			} else {
				fmt.Fprintln(e.stdout, c.word)
			}
		}
		_, err := fmt.Fprintf(e.stdout, ":%s\n", also)
		return err
	}
	if len(args) != 1 {
		return usagef("completion needs one shell: bash, zsh or fish")
	}
	script, err := completionScripts.ReadFile("completions/prefectgen." + args[0])
	if err != nil {
		return usagef("no completion for %q: use bash, zsh or fish", args[0])
	}
	_, err = e.stdout.Write(script)
	return err
}

// candidate is one completion: the word, and what it is.
type candidate struct{ word, desc string }

// What the shell offers besides the candidates.
const (
	offerNone  = "none"
	offerFiles = "files"
	offerDirs  = "dirs"
)

// completions returns the candidates for the last of words, the words of
// a command line after "prefectgen" ("" when a new word is started), and
// what the shell should offer besides them.
func completions(words []string) ([]candidate, string) {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, done := words[len(words)-1], words[:len(words)-1]
	if len(done) == 0 {
		if strings.HasPrefix(cur, "-") {
			return matching(cur, []candidate{{"--help", "show the help"}, {"--version", "print prefectgen's version"}}), offerNone
		}
		return matching(cur, commandCandidates()), offerNone
	}
	if done[0] == "help" {
		if len(done) == 1 {
			return matching(cur, commandCandidates()[1:]), offerNone
		}
		return nil, offerNone
	}
	c := lookup(done[0])
	if c == nil {
		return nil, offerNone
	}
	l := scanLine(c, done[1:])
	if l.pending != nil {
		cands, also := l.values(l.pending)
		return matching(cur, cands), also
	}
	if !l.dashdash && strings.HasPrefix(cur, "--") && strings.Contains(cur, "=") {
		name, _, _ := strings.Cut(cur[2:], "=")
		f := l.fs.Lookup(name)
		if f == nil || !takesValue(f) {
			return nil, offerNone
		}
		cands, also := l.values(f)
		for i := range cands {
			cands[i].word = "--" + name + "=" + cands[i].word
		}
		return matching(cur, cands), also
	}
	if !l.dashdash && strings.HasPrefix(cur, "-") {
		return matching(cur, l.flags()), offerNone
	}
	return l.positional(cur)
}

func commandCandidates() []candidate {
	cands := []candidate{{"help", "show the help of a command"}}
	for _, c := range commands() {
		cands = append(cands, candidate{c.name, c.short})
	}
	return cands
}

// matching keeps the candidates that start with prefix.
func matching(prefix string, cands []candidate) []candidate {
	return slices.DeleteFunc(cands, func(c candidate) bool {
		return !strings.HasPrefix(c.word, prefix) || strings.ContainsAny(c.word, "\t\n")
	})
}

// line is a command line being completed, read as the command reads it.
type line struct {
	cmd *command
	fs  *pflag.FlagSet
	// args are the positional arguments given so far.
	args []string
	// given are the flags given so far, by name, with their values.
	given map[string][]string
	// pending is the flag whose value comes next.
	pending  *pflag.Flag
	dashdash bool
}

func scanLine(c *command, words []string) *line {
	l := &line{cmd: c, fs: pflag.NewFlagSet(c.name, pflag.ContinueOnError), given: map[string][]string{}}
	if c.flags != nil {
		c.flags(l.fs)
	}
	for _, w := range words {
		switch {
		case l.pending != nil:
			if w == "=" { // bash splits --flag=value at the "="
				continue
			}
			l.given[l.pending.Name] = append(l.given[l.pending.Name], w)
			l.pending = nil
		case l.dashdash || w == "-" || !strings.HasPrefix(w, "-"):
			l.args = append(l.args, w)
		case w == "--":
			l.dashdash = true
		default:
			name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := l.fs.Lookup(name)
			if f == nil && len(name) == 1 {
				f = l.fs.ShorthandLookup(name)
			}
			switch {
			case f == nil:
			case !takesValue(f):
				l.given[f.Name] = append(l.given[f.Name], "true")
			case hasValue:
				l.given[f.Name] = append(l.given[f.Name], value)
			default:
				l.pending = f
			}
		}
	}
	return l
}

// takesValue reports whether a flag takes a value (--flag VALUE).
func takesValue(f *pflag.Flag) bool { return f.NoOptDefVal == "" }

// repeatable reports whether a flag may be given more than once.
func repeatable(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

// flags are the flags not given yet (repeatable ones always).
func (l *line) flags() []candidate {
	var cands []candidate
	l.fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := l.given[f.Name]; !ok || repeatable(f) {
			cands = append(cands, candidate{"--" + f.Name, f.Usage})
		}
	})
	return append(cands, candidate{"--help", "show this help"})
}

// positional completes the next positional argument from the command's
// usage line: literal words ("show", "build|push|pull") or a folder for
// PATH.
func (l *line) positional(cur string) ([]candidate, string) {
	usage := strings.Fields(l.cmd.args)
	if len(l.args) >= len(usage) {
		return nil, offerNone
	}
	word := strings.Trim(usage[len(l.args)], "[]")
	if word == "PATH" {
		return nil, offerDirs
	}
	if strings.ToUpper(word) == word {
		return nil, offerNone
	}
	var cands []candidate
	for _, w := range strings.Split(word, "|") {
		cands = append(cands, candidate{word: w})
	}
	return matching(cur, cands), offerNone
}

// values completes the value of flag f.
func (l *line) values(f *pflag.Flag) ([]candidate, string) {
	switch f.Name {
	case "env":
		return l.environments(), offerNone
	case "flow":
		return l.flowNames(), offerNone
	case "type":
		return []candidate{
			{schema.TypePython, "process work pool"},
			{schema.TypeDocker, "docker work pool, the flow's image"},
			{schema.TypeKubernetes, "kubernetes work pool, the flow's image"},
			{"all", "every type"},
		}, offerNone
	case "config", "prefect", "docker":
		return nil, offerFiles
	case "flows-dir", "templates":
		return nil, offerDirs
	}
	return nil, offerNone
}

// root is the repository the command line works on: its PATH argument,
// else the one the command finds from the current folder.
func (l *line) root() string {
	for i, w := range strings.Fields(l.cmd.args) {
		if strings.Trim(w, "[]") == "PATH" && i < len(l.args) {
			return l.args[i]
		}
	}
	return pathArg(nil)
}

func (l *line) last(flag string) string {
	if v := l.given[flag]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// config reads the configuration the command would read, for its
// environments and flows_dir. A configuration with errors still names
// them: raw is its YAML, decoded without the schema.
func (l *line) config() (cfg *schema.Config, raw map[string]any) {
	root, path := l.root(), l.last("config")
	if path == "" {
		for _, n := range generator.ConfigNames {
			if _, err := os.Stat(filepath.Join(root, n)); err == nil {
				path = filepath.Join(root, n)
				break
			}
		}
	}
	if path == "" {
		return schema.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	if cfg, _ := schema.Load(path, data); cfg != nil {
		return cfg, nil
	}
	_ = goyaml.Unmarshal(data, &raw)
	return nil, raw
}

func (l *line) environments() []candidate {
	var cands []candidate
	cfg, raw := l.config()
	switch {
	case cfg != nil:
		for name, e := range cfg.Environments {
			cands = append(cands, candidate{name, e.PrefectAPIURL})
		}
	case raw != nil:
		envs, _ := raw["environments"].(map[string]any)
		for name := range envs {
			cands = append(cands, candidate{word: name})
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].word < cands[j].word })
	return cands
}

func (l *line) flowNames() []candidate {
	flowsDir := l.last("flows-dir")
	if flowsDir == "" {
		cfg, raw := l.config()
		if cfg != nil {
			flowsDir = cfg.FlowsDir
		} else if s, ok := raw["flows_dir"].(string); ok {
			flowsDir = s
		}
	}
	res, err := discover.Discover(discover.Options{Root: l.root(), FlowsDir: flowsDir})
	if err != nil {
		return nil
	}
	var cands []candidate
	for _, f := range res.Deployable() {
		cands = append(cands, candidate{f.Name, f.Entrypoint})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].word < cands[j].word })
	return slices.CompactFunc(cands, func(a, b candidate) bool { return a.word == b.word })
}
