package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

type makeTarget struct{ Name, Text string }

type makeEnv struct{ Name, Target string }

type makeFlow struct {
	Name, Comment             string
	BuildTarget, DeployTarget string
}

type makeData struct {
	DefaultEnv   string
	HasHelp      bool
	Environments []makeEnv
	Flows        []makeFlow
	Help         []makeTarget
	// Fixed are the fixed targets under their final names.
	Fixed []string
	names map[string]string
}

// T returns the name a fixed target has in this fragment: its own, or
// prefect-<name> when the user's Makefile already defines it.
func (d makeData) T(name string) string {
	if n, ok := d.names[name]; ok {
		return n
	}
	return name
}

// fixedTargets are the targets every fragment has, in help order.
var fixedTargets = []string{"prefect-help", "discover-flows", "validate-flows", "generate", "check-generated", "build-deployments",
	"deploy-python", "deploy-containers", "deploy-all", "clean-deployments", "plan", "validate-deployments", "test-deployments",
	"check-ui", "smoke", "build-images", "push-images", "pull-images"}

var makeTargetLine = regexp.MustCompile(`(?m)^([A-Za-z0-9_./%-]+(?:[ \t]+[A-Za-z0-9_./%-]+)*)[ \t]*::?([^=]|$)`)

// userTargets returns the targets a Makefile defines.
func userTargets(mk []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range makeTargetLine.FindAllSubmatch(mk, -1) {
		for _, t := range strings.Fields(string(m[1])) {
			out[t] = true
		}
	}
	return out
}

// seedEnvTargets are the seed's names of environment targets.
var seedEnvTargets = map[string]string{"development": "deploy-dev", "dev": "deploy-dev", "staging": "deploy-staging", "production": "deploy-prod", "prod": "deploy-prod"}

var helpTarget = regexp.MustCompile(`(?m)^help\s*::?`)

// makefile renders prefect.mk.
func (g *gen) makefile() error {
	m := g.p.Manager()
	envs := m.EnvironmentNames()
	data := makeData{DefaultEnv: envs[0]}
	if slices.Contains(envs, "development") {
		data.DefaultEnv = "development"
	}
	user := map[string]bool{}
	if mk, err := g.readFile("Makefile"); err == nil {
		data.HasHelp = helpTarget.Match(mk)
		user = userTargets(mk)
	}
	used := map[string]bool{}
	unique := func(t string) string {
		if user[t] { // the user's own target wins; ours gets a prefix
			t = "prefect-" + t
		}
		name := t
		for i := 2; used[name] || user[name]; i++ {
			name = fmt.Sprintf("%s-%d", t, i)
		}
		used[name] = true
		return name
	}
	data.names = map[string]string{}
	used["help"] = true
	for _, t := range fixedTargets {
		name := t
		if user[t] {
			name = unique(t)
		}
		used[name] = true
		data.names[t] = name
		data.Fixed = append(data.Fixed, name)
	}
	for _, e := range envs {
		t, ok := seedEnvTargets[e]
		if !ok || used[t] {
			t = "deploy-" + targetName(e)
		}
		data.Environments = append(data.Environments, makeEnv{Name: e, Target: unique(t)})
	}
	var flowsWithTargets []string
	for _, f := range m.Flows {
		if strings.ContainsAny(f.Name, "\n\r") {
			continue // a make recipe cannot carry it; deploy it with prefectgen deploy --flow
		}
		flowsWithTargets = append(flowsWithTargets, f.Entrypoint)
		slug := targetName(f.Name)
		data.Flows = append(data.Flows, makeFlow{
			Name:         f.Name,
			Comment:      makeComment(f.Entrypoint),
			BuildTarget:  unique("build-image-" + slug),
			DeployTarget: unique("deploy-" + slug),
		})
	}
	help := []makeTarget{
		{"discover-flows", "list the Prefect flows"},
		{"validate-flows", "check the flows, their dependencies and the configuration"},
		{"generate", "regenerate prefect.yaml, the Dockerfiles, this file and docs/deployments.md"},
		{"check-generated", "fail if the generated files have drifted (for CI)"},
		{"build-deployments", "the same as generate"},
		{"deploy-python", "deploy the python (process) deployments of ENV"},
		{"deploy-containers", "build, push and deploy the docker and kubernetes deployments of ENV"},
		{"deploy-all", "deploy every deployment of ENV"},
		{"clean-deployments", "delete ENV's deployments that prefectgen made and no longer generates"},
		{"plan", "show what deploying TYPE would change on ENV's server"},
		{"validate-deployments", "validate, and check the generated files"},
		{"test-deployments", "deploy-all as a dry run: checks, plan and commands, nothing changed"},
		{"check-ui", "check that ENV's deployments of TYPE are on the server as generated"},
		{"smoke", "run each deployment of ENV and TYPE once; fail unless all complete"},
		{"build-images", "build the flow images of ENV"},
		{"push-images", "push them to ENV's registry"},
		{"pull-images", "pull them from ENV's registry"},
	}
	for i := range help {
		help[i].Name = data.T(help[i].Name)
	}
	for _, e := range data.Environments {
		help = append(help, makeTarget{e.Target, "deploy every deployment of " + e.Name})
	}
	for _, f := range data.Flows {
		help = append(help, makeTarget{f.BuildTarget, "build the image of " + f.Comment})
		help = append(help, makeTarget{f.DeployTarget, "deploy " + f.Comment})
	}
	data.Help = help
	g.deployTargets = map[string]string{}
	for i, f := range data.Flows {
		g.deployTargets[flowsWithTargets[i]] = f.DeployTarget
	}
	content, err := g.tm.render("prefect.mk.tmpl", data)
	if err != nil {
		return err
	}
	return g.own(MakeFragment, content)
}

// makeComment makes s safe for one make comment line: a trailing
// backslash would continue it.
func makeComment(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	return strings.TrimRight(s, `\`)
}
