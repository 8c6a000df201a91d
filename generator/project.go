package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/schema"
)

// ConfigNames are the file names looked up at the repository root, in order.
var ConfigNames = []string{"deployment_config.yaml", "deployment_config.yml"}

// TemplatesNames are the flow templates looked up beside the configuration.
var TemplatesNames = []string{"flow_templates.yaml", "flow_templates.yml"}

// Project is a repository with its flows and configuration, loaded and
// checked.
type Project struct {
	Root      string
	Config    *schema.Config
	Discovery *discover.Result
	// Validation holds every problem: of the flows, of the configuration
	// files and of the checks across them.
	Validation diag.ValidationResult

	envFiles map[string]envFile
}

// LoadOptions tells where things are.
type LoadOptions struct {
	// ConfigPath is the configuration file; "" looks for
	// deployment_config.yaml (or .yml) at the root, and falls back to the
	// zero configuration.
	ConfigPath string
	// FlowsDir limits discovery; "" uses the configuration's flows_dir.
	FlowsDir string
}

// Load reads the configuration, discovers the flows and runs every check.
// The error is for what makes loading impossible (no such repository);
// problems of the files are in the project's Validation.
func Load(root string, opts LoadOptions) (*Project, error) {
	p := &Project{Root: root}
	cfg, probs, err := loadConfig(root, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	p.Validation.Merge(probs...)
	flowsDir := opts.FlowsDir
	if flowsDir == "" && cfg != nil {
		flowsDir = cfg.FlowsDir
	}
	res, err := discover.Discover(discover.Options{Root: root, FlowsDir: flowsDir})
	if err != nil {
		return nil, err
	}
	p.Discovery = res
	p.Validation.Merge(res.Validation.Errors...)
	p.Validation.Merge(res.Validation.Warnings...)
	p.Config = cfg
	if cfg != nil {
		files, probs := loadEnvFiles(root, cfg, res.Deployable())
		p.envFiles = files
		p.Validation.Merge(probs...)
		_, _, sel := selectFlows(cfg, res.Deployable())
		p.Validation.Merge(sel...)
		m := p.Manager()
		p.Validation.Merge(m.ValidateConfiguration()...)
		// The configuration's checks place problems in flow files too;
		// their inline ignores apply as to discovery's own.
		all := slices.DeleteFunc(cfg.AdjustAll(p.Validation.All()), res.Ignored)
		p.Validation = diag.ValidationResult{}
		p.Validation.Merge(all...)
	}
	p.Validation.Finish()
	return p, nil
}

// loadConfig finds, reads and validates the configuration and the flow
// templates beside it. cfg is nil when the configuration has errors.
func loadConfig(root, path string) (*schema.Config, []diag.ValidationError, error) {
	explicit := path != ""
	if !explicit {
		for _, n := range ConfigNames {
			if _, err := os.Stat(filepath.Join(root, n)); err == nil {
				path = filepath.Join(root, n)
				break
			}
		}
	}
	if path == "" {
		return schema.Default(), nil, nil
	}
	data, err := ReadFile(path)
	if err != nil {
		if explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("configuration %s does not exist", path)
		}
		return nil, nil, fmt.Errorf("reading configuration: %w", err)
	}
	display := displayPath(root, path)
	cfg, probs := schema.Load(display, data)
	if cfg == nil {
		return nil, probs, nil
	}
	for _, n := range TemplatesNames {
		tp := filepath.Join(filepath.Dir(path), n)
		tdata, err := ReadFile(tp)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", displayPath(root, tp), err)
		}
		tprobs := cfg.LoadTemplates(displayPath(root, tp), tdata)
		probs = append(probs, tprobs...)
		if cfg.Templates == nil { // the templates do not validate: checking against them would mislead
			return nil, probs, nil
		}
		break
	}
	// The configuration decoded: its value errors (a bad cron, an unknown
	// environment) do not stop the checks against the flows, so that one
	// run reports as much as it can.
	return cfg, probs, nil
}

// displayPath names a file relative to the repository root when it is
// inside it, as every problem does.
func displayPath(root, path string) string {
	absRoot, err1 := filepath.Abs(root)
	abs, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absRoot, abs); err == nil && !filepath.IsAbs(rel) && rel != ".." && !startsWithDotDot(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(path)
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator)
}

// Manager returns the configuration manager of the project.
func (p *Project) Manager() *ConfigurationManager {
	deployed, skipped, _ := selectFlows(p.Config, p.Discovery.Deployable())
	return &ConfigurationManager{Config: p.Config, Flows: deployed, Skipped: skipped, envFiles: p.envFiles}
}
