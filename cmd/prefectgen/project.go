package main

import (
	"github.com/spf13/pflag"

	"prefectgen/generator"
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
