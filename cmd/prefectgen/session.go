package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"prefectgen/deploy"
	"prefectgen/generator"
	"prefectgen/model"
	"prefectgen/redact"
	"prefectgen/schema"

	"github.com/spf13/pflag"
)

// projectFlags are the flags of every command that loads a repository.
type projectFlags struct {
	config   string
	flowsDir string
}

func (p *projectFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "configuration file (default: deployment_config.yaml at PATH)")
	fs.StringVar(&p.flowsDir, "flows-dir", "", "scan only this folder for flows (relative to PATH)")
}

func (p *projectFlags) load(root string) (*generator.Project, error) {
	return generator.Load(root, generator.LoadOptions{ConfigPath: p.config, FlowsDir: p.flowsDir})
}

// serverFlags are the flags of every command that talks to a server.
type serverFlags struct {
	projectFlags
	env     string
	apiURL  string
	types   []string
	flows   []string
	prefect string
}

func (s *serverFlags) register(fs *pflag.FlagSet, withScope bool) {
	s.projectFlags.register(fs)
	fs.StringVar(&s.env, "env", "", "the environment (required)")
	fs.StringVar(&s.apiURL, "api-url", "", "use this Prefect API instead of the environment's prefect_api_url")
	if withScope {
		fs.StringArrayVar(&s.types, "type", nil, "only this deployment type: python, docker, kubernetes or all (repeatable)")
		fs.StringArrayVar(&s.flows, "flow", nil, "only this flow, by Prefect name (repeatable)")
	}
	fs.StringVar(&s.prefect, "prefect", "", "the prefect executable (default: $PREFECTGEN_PREFECT, else prefect on PATH)")
}

// session is a loaded repository with its environment and server.
type session struct {
	root    string
	project *generator.Project
	env     *schema.EnvironmentConfig
	client  *deploy.Client
	desired []model.DeploymentConfig
	all     []model.DeploymentConfig
	scope   deploy.Scope
	vars    map[string]string
	ui      string
	// secrets are the credentials, never to be printed.
	secrets redact.Secrets
}

// open loads the repository, checks it is valid, and picks the
// environment, its server and the deployments in scope.
func (s *serverFlags) open(e *env, root string) (*session, error) {
	return s.openWith(e, root, root)
}

// openWith is open for a repository at root whose git checkout, for the
// commit and image tag, is gitRoot ("" for none: the caller sets them).
func (s *serverFlags) openWith(e *env, root, gitRoot string) (*session, error) {
	if s.env == "" {
		return nil, usagef("--env NAME is required")
	}
	p, err := s.load(root)
	if err != nil {
		return nil, err
	}
	if !p.Validation.IsValid {
		printProblems(e.stderr, root, p.Validation.All())
		fmt.Fprintf(e.stderr, "prefectgen: the repository has errors (prefectgen validate %s)\n", root)
		return nil, exitError{exitFailure}
	}
	m := p.Manager()
	envCfg, err := m.LoadEnvironmentConfig(s.env)
	if err != nil {
		return nil, err
	}
	all, _, err := m.Deployments(s.env)
	if err != nil {
		return nil, err
	}
	scope := deploy.Scope{Flows: s.flows}
	for _, t := range s.types {
		if t != "all" && !slices.Contains(schema.Types, t) {
			return nil, usagef("--type %q: use python, docker, kubernetes or all", t)
		}
		if t != "all" {
			scope.Types = append(scope.Types, t)
		}
	}
	if slices.Contains(s.types, "all") {
		scope.Types = nil
	}
	var names []string
	for _, f := range m.Flows {
		names = append(names, f.Name)
	}
	for _, f := range s.flows {
		if i := slices.IndexFunc(m.Skipped, func(sf generator.SkippedFlow) bool { return sf.Name == f }); i >= 0 {
			return nil, usagef("--flow %q: the flow gets no deployments: %s (flows.%s.deploy: true deploys it)", f, m.Skipped[i].Reason, f)
		}
		if !slices.Contains(names, f) {
			msg := fmt.Sprintf("--flow %q: no such flow", f)
			if n := schema.Nearest(f, names); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return nil, usageError{msg}
		}
	}
	api := envCfg.PrefectAPIURL
	ui := ""
	if len(all) > 0 {
		ui = all[0].UIURL
	}
	if s.apiURL != "" {
		if u, err := url.Parse(s.apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("--api-url %q: give an absolute http(s) URL such as http://127.0.0.1:4200/api", redact.URL(s.apiURL))
		}
		api = s.apiURL
		ui = model.UIBase(api)
	}
	settings, err := deploy.ReadSettings(os.Getenv)
	if err != nil {
		return nil, err
	}
	warnAmbientURL(e, settings, api, s.apiURL != "")
	vars := map[string]string{}
	if gitRoot != "" {
		if vars, err = deployVars(gitRoot, all); err != nil {
			return nil, err
		}
	}
	return &session{
		root: root, project: p, env: envCfg, client: deploy.NewClient(api, settings.Credentials),
		desired: scope.Filter(all), all: all, scope: scope, vars: vars, ui: redact.URL(ui),
		secrets: settings.Secrets(),
	}, nil
}

// warnAmbientURL warns when Prefect's own settings point at another API
// than the one prefectgen talks to: prefectgen never switches to it.
func warnAmbientURL(e *env, s deploy.Settings, api string, flag bool) {
	if s.APIURL == "" || strings.TrimSuffix(s.APIURL, "/") == strings.TrimSuffix(api, "/") {
		return
	}
	target := "the environment's prefect_api_url"
	if flag {
		target = "--api-url"
	}
	fmt.Fprintf(e.stderr, "prefectgen: warning: PREFECT_API_URL from %s is %s; prefectgen uses %s, %s (--api-url overrides it; PREFECT_API_URL never does)\n",
		s.APIURLSource, redact.URL(s.APIURL), redact.URL(api), target)
}

// deployVars are the variables prefect.yaml's {{ $VAR }} placeholders
// read: the image tag ($PREFECTGEN_IMAGE_TAG, else the git commit), and,
// for deployments that clone the repository, the full commit.
func deployVars(root string, deps []model.DeploymentConfig) (map[string]string, error) {
	tag := os.Getenv(model.ImageTagVariable)
	if tag == "" {
		tag = gitRevision(root)
	}
	vars := map[string]string{model.ImageTagVariable: tag}
	if !slices.ContainsFunc(deps, func(d model.DeploymentConfig) bool { return d.Git != nil }) {
		return vars, nil
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return nil, fmt.Errorf("process.git deployments clone the commit being deployed, but %s is not a git checkout", root)
	}
	vars[model.CommitVariable] = strings.TrimSpace(string(out))
	return vars, nil
}

// gitRevision is the repository's commit (12 characters, "-dirty" when
// it has uncommitted changes), or "dev" outside git.
func gitRevision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "dev"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "-dirty"
	}
	return rev
}

// gitCommit is the full commit of the repository's HEAD, "" outside git.
func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (s *serverFlags) prefectPath() string {
	if s.prefect != "" {
		return s.prefect
	}
	if p := os.Getenv("PREFECTGEN_PREFECT"); p != "" {
		return p
	}
	return "prefect"
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
