package discover

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"prefectgen/diag"
)

// Cross-file resolution, once every file is parsed: flow names that read
// constants of other repository modules, and module-level calls of flows,
// functions and factories imported from them.

// moduleFile returns the repository file of a module imported from the
// file from (from <level dots><module> import ...), or "".
func (d *discovery) moduleFile(from, module string, level int) string {
	files := d.resolveLocal(from, importRef{module: module, level: level}, d.searchDirs(from))
	if len(files) == 0 {
		return ""
	}
	last := files[len(files)-1]
	want := module[strings.LastIndex(module, ".")+1:]
	switch {
	case module == "" && level > 0 && path.Base(last) == "__init__.py":
		return last
	case path.Base(last) == want+".py", path.Base(last) == "__init__.py" && path.Base(path.Dir(last)) == want:
		return last
	}
	return ""
}

// follow finds where an imported name is defined: the repository file
// and the name there, through re-exports (from .a import x in an
// __init__.py). ok is false when the module is not the repository's.
func (d *discovery) follow(from string, ref constRef) (file, name string, ok bool) {
	for range maxConstDepth {
		file = d.moduleFile(from, ref.module, ref.level)
		if file == "" {
			if ref.level == 0 && ref.module != "" { // from pkg import submodule
				if sub := d.moduleFile(from, ref.module+"."+ref.name, 0); sub != "" {
					return sub, "", true
				}
			}
			return "", "", false
		}
		binds := d.parsed(file).names[ref.name]
		if len(binds) == 0 || !binds[len(binds)-1].ok || len(binds[len(binds)-1].val) != 1 || binds[len(binds)-1].val[0].ref == nil {
			return file, ref.name, true
		}
		from, ref = file, *binds[len(binds)-1].val[0].ref
	}
	return "", "", false
}

// constValue evaluates a string expression of the file from, following
// references to other modules' constants.
func (d *discovery) constValue(from string, e strExpr, depth int) (string, bool) {
	if depth > maxConstDepth {
		return "", false
	}
	var b strings.Builder
	for _, p := range e {
		if p.ref == nil {
			b.WriteString(p.lit)
			continue
		}
		file, name, ok := d.follow(from, *p.ref)
		if !ok || name == "" {
			return "", false
		}
		binds := d.parsed(file).names[name]
		if len(binds) == 0 || !binds[len(binds)-1].ok {
			return "", false
		}
		v, ok := d.constValue(file, binds[len(binds)-1].val, depth+1)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// resolveNames settles the names that read other modules' constants.
func (d *discovery) resolveNames(flows []FlowMetadata) {
	for i := range flows {
		f := &flows[i]
		if f.nameExpr == nil {
			continue
		}
		v, ok := d.constValue(f.Path, f.nameExpr, 0)
		f.nameExpr = nil
		quiet := !f.Deployable
		var p diag.ValidationError
		bad := false
		if ok {
			f.Name = v
			if a, has := f.Decorator["name"]; has {
				a.Value = v
				f.Decorator["name"] = a
			}
			p, bad = invalidName(f)
		} else {
			f.nameUnknown = fmt.Sprintf("the name of flow %s reads a constant prefectgen cannot find in the repository (%s)", f.FunctionName, f.Decorator["name"].Text)
			p, bad = diag.New(diag.NonLiteralFlowName, f.namePos, f.nameUnknown), true
		}
		if bad && !quiet {
			f.problems = append(f.problems, p)
			d.res.Validation.Add(p)
		}
	}
}

// resolveCalls settles the module-level calls of names imported from
// other modules: flows copied with with_options and call-form flows of
// imported functions become flows; factories get their note.
func (d *discovery) resolveCalls(rel string, calls []moduleCall) []FlowMetadata {
	var out []FlowMetadata
	quiet := isTestPath(rel)
	for _, c := range calls {
		file, name, local := d.follow(rel, c.ref)
		switch c.kind {
		case callWithOptions:
			if local && name != "" {
				for _, base := range d.parsed(file).defined {
					if base.FunctionName != name {
						continue
					}
					f := base
					if f.nameExpr != nil { // read from the base's file
						if v, ok := d.constValue(file, f.nameExpr, 0); ok {
							f.Name, f.nameExpr = v, nil
						} else {
							f.nameExpr, f.nameUnknown = nil, fmt.Sprintf("the name of flow %s reads a constant prefectgen cannot find in the repository", name)
						}
					}
					f.Decorator = maps.Clone(base.Decorator)
					f.problems = nil
					f.Path = rel
					f.FunctionName = c.variable
					f.Line, f.Column, f.at = c.pos.Line, c.pos.Column, c.at
					f.Deployable, f.NotDeployableReason = !quiet, ""
					if quiet {
						f.NotDeployableReason = reasonTest
					}
					d.applyOpts(&f, c.opts)
					out = append(out, f)
					break
				}
				continue
			}
			if !local && c.flowish && !quiet {
				d.res.Validation.Add(factoryNote(c, "a flow of a library, whose parameters prefectgen does not read"))
			}
		case callFlowOf:
			if local && name != "" {
				if f, ok := d.funcFlow(file, name); ok {
					f.Path = rel
					f.FunctionName = c.variable
					f.Line, f.Column, f.at = c.pos.Line, c.pos.Column, c.at
					f.Deployable, f.NotDeployableReason = !quiet, ""
					if quiet {
						f.NotDeployableReason = reasonTest
					}
					d.applyOpts(&f, c.opts)
					out = append(out, f)
					continue
				}
			}
			if !quiet {
				d.res.Validation.Add(factoryNote(c, "a flow of a function prefectgen cannot read"))
			}
		case callFactory:
			if quiet {
				continue
			}
			if local && name != "" {
				pf := d.parsed(file)
				if pf.factories[name] {
					d.res.Validation.Add(factoryNote(c, fmt.Sprintf("%s in %s returns a flow it defines", name, file)))
					continue
				}
				isFlow := false
				for _, f := range pf.defined {
					isFlow = isFlow || f.FunctionName == name
				}
				if isFlow {
					continue // running a flow at import
				}
			}
			if c.flowish {
				d.res.Validation.Add(factoryNote(c, "by its name"))
			}
		}
	}
	return out
}

// applyOpts applies the keyword arguments of with_options(...) or
// flow(fn, ...) to a flow made from another file's flow or function, and
// reports what is wrong with the result.
func (d *discovery) applyOpts(f *FlowMetadata, opts FlowMetadata) {
	for k, v := range opts.Decorator {
		f.Decorator[k] = v
	}
	if _, named := opts.Decorator["name"]; named || opts.nameUnknown != "" {
		f.Name, f.nameExpr, f.nameUnknown, f.namePos = opts.Name, opts.nameExpr, opts.nameUnknown, opts.namePos
	}
	if a, ok := f.Decorator["description"]; ok && a.Literal {
		if str, isStr := a.Value.(string); isStr {
			f.Description = str
		}
	}
	if a, ok := f.Decorator["version"]; ok && a.Literal {
		f.Version = fmt.Sprint(a.Value)
	}
	if !f.Deployable {
		return
	}
	if f.nameUnknown != "" {
		p := diag.New(diag.NonLiteralFlowName, f.namePos, f.nameUnknown)
		f.problems = append(f.problems, p)
		d.res.Validation.Add(p)
	} else if f.nameExpr == nil {
		if p, bad := invalidName(f); bad {
			f.problems = append(f.problems, p)
			d.res.Validation.Add(p)
		}
	}
}

// funcFlow describes the module-level def name of the repository file
// rel as a flow would (its parameters, docstring, async), for
// x = flow(imported_fn).
func (d *discovery) funcFlow(rel, name string) (FlowMetadata, bool) {
	src, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(rel)))
	if src = trimBOM(src); err != nil || !utf8.Valid(src) {
		return FlowMetadata{}, false
	}
	if d.pp == nil {
		d.pp = newPyParser()
	}
	return d.pp.funcFlow(rel, src, name)
}
