package deploy

import (
	"context"
	"slices"
	"sort"
	"strings"

	"prefectgen/model"
)

// Kind is what a plan does with one deployment.
type Kind string

const (
	// Create: not on the server.
	Create Kind = "create"
	// Update: on the server, differing in Action.Fields.
	Update Kind = "update"
	// Same: on the server as generated.
	Same Kind = "unchanged"
	// Delete: made by prefectgen, no longer generated, deleted (--prune).
	Delete Kind = "delete"
	// Stale: made by prefectgen, no longer generated, left in place.
	Stale Kind = "stale"
)

// Action is what the plan does with one deployment.
type Action struct {
	Kind Kind
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

// changes reports whether the action changes the server when applied.
func (a Action) changes() bool { return a.Kind == Create || a.Kind == Update }

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

// Plan compares the desired deployments of one environment (already in
// scope) with the server: every managed deployment of the environment is
// read, with pagination. Managed deployments that are no longer desired
// are Stale. vars resolves {{ $VAR }} placeholders as the deploy will.
func Plan(ctx context.Context, c *Client, env string, desired []model.DeploymentConfig, scope Scope, vars map[string]string) ([]Action, error) {
	live, err := c.DeploymentsWithTags(ctx, model.ManagedTag, model.EnvTag(env))
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
			out = append(out, Action{Kind: Same, FullName: d.FullName, Desired: d, Live: l})
		}
	}
	for i := range live {
		l := &live[i]
		if seen[l.FullName()] || !scope.hasFlow(l.FlowName) || !scope.hasType(typeOf(l)) {
			continue
		}
		out = append(out, Action{Kind: Stale, FullName: l.FullName(), Live: l})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FullName < out[j].FullName })
	return out, nil
}

// typeOf reads a managed deployment's type from its type: tag.
func typeOf(d *Deployment) string {
	for _, t := range d.Tags {
		if typ, ok := strings.CutPrefix(t, model.TypeTag("")); ok {
			return typ
		}
	}
	return ""
}

// Counts tallies a plan by kind.
func Counts(actions []Action) map[Kind]int {
	m := map[Kind]int{}
	for _, a := range actions {
		m[a.Kind]++
	}
	return m
}

// HasChanges reports whether applying the plan would change the server
// (stale deployments count: prune would delete them).
func HasChanges(actions []Action) bool {
	return slices.ContainsFunc(actions, func(a Action) bool { return a.Kind != Same })
}
