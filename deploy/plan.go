package deploy

import (
	"context"
	"slices"
	"sort"

	"prefectgen/model"
)

// Action kinds.
const (
	Create    = "create"
	Update    = "update"
	Delete    = "delete"
	Unchanged = "unchanged"
)

// Action is what the plan does with one deployment.
type Action struct {
	Kind string
	// FullName is flow/deployment.
	FullName string
	// Desired is nil for a delete.
	Desired *model.DeploymentConfig
	// Live is nil for a create.
	Live *Deployment
	// Fields are what differs, for an update.
	Fields []string
	// Unmanaged is set when a deployment to create already exists
	// without prefectgen's tag: someone else made it.
	Unmanaged bool
}

// Scope limits a plan to some flows and types; deletes only touch
// deployments in scope.
type Scope struct {
	Flows []string // Prefect flow names; empty means all
	Types []string // deployment types; empty means all
}

func (s Scope) hasFlow(name string) bool { return len(s.Flows) == 0 || slices.Contains(s.Flows, name) }

func (s Scope) hasType(t string) bool { return len(s.Types) == 0 || slices.Contains(s.Types, t) }

// Filter returns the desired deployments in scope.
func (s Scope) Filter(deps []model.DeploymentConfig) []model.DeploymentConfig {
	var out []model.DeploymentConfig
	for _, d := range deps {
		if s.hasFlow(d.FlowName) && s.hasType(d.DeploymentType) {
			out = append(out, d)
		}
	}
	return out
}

// MakePlan compares the desired deployments of one environment (already
// in scope) with the server: every managed deployment of the environment
// is read, with pagination. vars resolves {{ $VAR }} placeholders as the
// deploy will.
func MakePlan(ctx context.Context, c *Client, env string, desired []model.DeploymentConfig, scope Scope, vars map[string]string) ([]Action, error) {
	live, err := c.DeploymentsWithTags(ctx, model.ManagedTag, "env:"+env)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Deployment{}
	for i := range live {
		byName[live[i].FullName()] = &live[i]
	}
	// A deployment to create that exists without the tag was made by
	// someone else and would be overwritten: find those in one query.
	var missing []string
	for i := range desired {
		if _, ok := byName[desired[i].FullName]; !ok {
			missing = append(missing, desired[i].DeploymentName)
		}
	}
	others, err := c.DeploymentsNamed(ctx, missing)
	if err != nil {
		return nil, err
	}
	otherByName := map[string]*Deployment{}
	for i := range others {
		otherByName[others[i].FullName()] = &others[i]
	}
	var out []Action
	seen := map[string]bool{}
	for i := range desired {
		d := &desired[i]
		seen[d.FullName] = true
		l, ok := byName[d.FullName]
		if !ok {
			a := Action{Kind: Create, FullName: d.FullName, Desired: d}
			if other, exists := otherByName[d.FullName]; exists {
				a.Unmanaged, a.Live = true, other
			}
			out = append(out, a)
			continue
		}
		if fields := Diff(*d, l, vars); len(fields) > 0 {
			out = append(out, Action{Kind: Update, FullName: d.FullName, Desired: d, Live: l, Fields: fields})
		} else {
			out = append(out, Action{Kind: Unchanged, FullName: d.FullName, Desired: d, Live: l})
		}
	}
	for i := range live {
		l := &live[i]
		if seen[l.FullName()] || !scope.hasFlow(l.FlowName) || !scope.hasType(typeOf(l)) {
			continue
		}
		out = append(out, Action{Kind: Delete, FullName: l.FullName(), Live: l})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FullName < out[j].FullName })
	return out, nil
}

// typeOf reads a managed deployment's type from its type: tag.
func typeOf(d *Deployment) string {
	for _, t := range d.Tags {
		if len(t) > 5 && t[:5] == "type:" {
			return t[5:]
		}
	}
	return ""
}

// Counts tallies a plan.
func Counts(actions []Action) map[string]int {
	m := map[string]int{}
	for _, a := range actions {
		m[a.Kind]++
	}
	return m
}
