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
	// Unowned: made by an earlier prefectgen, without a project tag, and
	// not generated now: it may be another repository's, so it is never
	// deleted.
	Unowned Kind = "unowned"
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
	// Fields are what differs, for an update; Changes the values.
	Fields  []string
	Changes []FieldChange
	// Unmanaged is set when a deployment to create already exists
	// without prefectgen's tag: someone else made it.
	Unmanaged bool
	// Owner is the other project a deployment to create already belongs
	// to (its project: tag).
	Owner string
	// Adopted is set for an update of a deployment an earlier prefectgen
	// made without a project tag: it gets this project's.
	Adopted bool
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
// read, with pagination. With a project, the deployments are told apart
// by their project: tag: this project's are compared and, when no longer
// desired, Stale; those of an earlier prefectgen without a project tag
// are adopted when desired and otherwise Unowned; another project's are
// never touched. vars resolves {{ $VAR }} placeholders as the deploy will.
func Plan(ctx context.Context, c *Client, env, project string, desired []model.DeploymentConfig, scope Scope, vars map[string]string) ([]Action, error) {
	live, err := c.DeploymentsWithTags(ctx, model.ManagedTag, model.EnvTag(env))
	if err != nil {
		return nil, err
	}
	mine := map[string]*Deployment{}
	legacy := map[string]*Deployment{}
	foreign := map[string]*Deployment{}
	for i := range live {
		l := &live[i]
		switch p := model.ProjectOf(l.Tags); {
		case project == "" || p == project:
			mine[l.FullName()] = l
		case p == "":
			legacy[l.FullName()] = l
		default:
			foreign[l.FullName()] = l
		}
	}
	// A deployment to create that exists without the tag was made by
	// someone else and would be overwritten: find those in one query.
	var missing []string
	for i := range desired {
		n := desired[i].FullName
		if mine[n] == nil && legacy[n] == nil && foreign[n] == nil {
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
		a := Action{Kind: Create, FullName: d.FullName, Desired: d}
		switch {
		case mine[d.FullName] != nil:
			a.Live = mine[d.FullName]
		case legacy[d.FullName] != nil:
			a.Live, a.Adopted = legacy[d.FullName], true
		case foreign[d.FullName] != nil:
			a.Live, a.Owner = foreign[d.FullName], model.ProjectOf(foreign[d.FullName].Tags)
		case otherByName[d.FullName] != nil:
			a.Live, a.Unmanaged = otherByName[d.FullName], true
		}
		if a.Live != nil {
			// A deployment made outside prefectgen, or by another project,
			// is taken over by prefect deploy's upsert, with the same id: an
			// update (which --atomic puts back), never a create (which it
			// would delete). Its changes show what that does, at least its
			// tags.
			a.Changes = Changes(*d, a.Live, vars)
			for _, c := range a.Changes {
				a.Fields = append(a.Fields, c.Field)
			}
			a.Kind = Same
			if len(a.Fields) > 0 {
				a.Kind = Update
			}
		}
		out = append(out, a)
	}
	for _, group := range []struct {
		live map[string]*Deployment
		kind Kind
	}{{mine, Stale}, {legacy, Unowned}} {
		for name, l := range group.live {
			if !seen[name] && scope.hasFlow(l.FlowName) && scope.hasType(typeOf(l)) {
				out = append(out, Action{Kind: group.kind, FullName: name, Live: l})
			}
		}
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
	return slices.ContainsFunc(actions, func(a Action) bool { return a.Kind != Same && a.Kind != Unowned })
}
