package generator

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"prefectgen/diag"
	"prefectgen/generator/discover"
	"prefectgen/model"
	"prefectgen/schema"
)

// Generated file names.
const (
	PrefectFile    = "prefect.yaml"
	MakeFragment   = "prefect.mk"
	DockerIgnore   = ".dockerignore"
	DocsFile       = "docs/deployments.md"
	DockerfileName = "Dockerfile"
)

// Output is what Generate produces.
type Output struct {
	// Files are the generated files by path relative to the root.
	Files map[string][]byte
	// Kept are hand-written files that prefectgen uses but does not
	// generate (a flow's own Dockerfile, a .dockerignore), sorted.
	Kept []string
	// Problems found while generating (hand-written Dockerfiles).
	Problems []diag.ValidationError
	// Deployments are every deployment of every environment.
	Deployments []model.DeploymentConfig
}

// GenerateOptions controls generation.
type GenerateOptions struct {
	// TemplatesDir overrides the configuration's templates_dir; a
	// relative path is relative to the repository root.
	TemplatesDir string
	// TemplatesName names TemplatesDir in errors; "" uses TemplatesDir.
	TemplatesName string
}

// ErrInvalid is returned when the project has errors: nothing is
// generated from an invalid project.
var ErrInvalid = errors.New("the repository has errors; run prefectgen validate")

// projectTemplates loads the templates with the project's overrides.
func projectTemplates(p *Project, opts GenerateOptions) (*Templates, error) {
	tdir := opts.TemplatesDir
	if tdir == "" {
		tdir = p.Config.TemplatesDir
	}
	if tdir == "" {
		return LoadTemplates("", "")
	}
	abs := tdir
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(p.Root, tdir)
	}
	name := opts.TemplatesName
	if name == "" || opts.TemplatesDir == "" {
		name = tdir
	}
	return LoadTemplates(abs, filepath.ToSlash(name))
}

// PrefectFileRenderer returns a function that renders a prefect.yaml
// holding exactly the given deployments, as the project's templates write
// them: what prefectgen deploy hands to prefect deploy.
func PrefectFileRenderer(p *Project, opts GenerateOptions) (func([]model.DeploymentConfig) ([]byte, error), error) {
	tm, err := projectTemplates(p, opts)
	if err != nil {
		return nil, err
	}
	return func(deps []model.DeploymentConfig) ([]byte, error) {
		data := prefectData{Sources: "prefectgen deploy", PrefectVersion: p.Config.Images.PrefectVersion, Deployments: views(deps)}
		out, err := tm.render("prefect.yaml.tmpl", data)
		if err != nil {
			return nil, err
		}
		if err := SelfCheck(out, data.Deployments); err != nil {
			return nil, err
		}
		return out, nil
	}, nil
}

// ErrProblems is returned with an Output whose Problems hold an error:
// nothing is to be written.
var ErrProblems = errors.New("generation found errors; nothing was written")

// Generate renders every file prefectgen generates for the project. It
// reads the repository (hand-written files it must keep or merge into)
// and writes nothing.
func Generate(p *Project, opts GenerateOptions) (*Output, error) {
	if !p.Validation.IsValid || p.Config == nil {
		return nil, ErrInvalid
	}
	out := &Output{Files: map[string][]byte{}}
	tm, err := projectTemplates(p, opts)
	if err != nil {
		return out.failed(err)
	}
	m := p.Manager()
	for _, env := range m.EnvironmentNames() {
		deps, _, err := m.Deployments(env)
		if err != nil {
			return nil, err
		}
		out.Deployments = append(out.Deployments, deps...)
	}
	sort.SliceStable(out.Deployments, func(i, j int) bool {
		a, b := out.Deployments[i], out.Deployments[j]
		if a.FlowName != b.FlowName {
			return a.FlowName < b.FlowName
		}
		if a.Environment != b.Environment {
			return a.Environment < b.Environment
		}
		return slices.Index(schema.Types, a.DeploymentType) < slices.Index(schema.Types, b.DeploymentType)
	})
	g := &gen{p: p, tm: tm, out: out, flows: map[string]*discover.FlowMetadata{}}
	for i := range m.Flows {
		g.flows[m.Flows[i].Entrypoint] = &m.Flows[i]
	}
	steps := []func() error{g.dockerfiles, g.prefectYAML, g.makefile, g.docs, g.editorSchemas}
	for _, step := range steps {
		if err := step(); err != nil {
			return out.failed(err)
		}
	}
	sort.Strings(out.Kept)
	out.Kept = slices.Compact(out.Kept)
	diag.Sort(out.Problems)
	if diag.HasErrors(out.Problems) {
		out.Files = nil
		return out, ErrProblems
	}
	return out, nil
}

// failed ends a generation that met err: a problem (a broken template)
// joins the others, with nothing to write.
func (out *Output) failed(err error) (*Output, error) {
	var p diag.ValidationError
	if !errors.As(err, &p) {
		return nil, err
	}
	out.Problems = append(out.Problems, p)
	diag.Sort(out.Problems)
	out.Files = nil
	return out, ErrProblems
}

type gen struct {
	p *Project
	// flows are the deployable flows by entrypoint.
	flows map[string]*discover.FlowMetadata
	tm    *Templates
	out   *Output
	// images maps a flow's entrypoint to the Dockerfile that builds it.
	images map[string]string
	// deployTargets maps a flow's entrypoint to its deploy target in
	// prefect.mk (none for a name make cannot carry).
	deployTargets map[string]string
	// handDockerfiles are the hand-written Dockerfiles the images use.
	handDockerfiles []handDockerfile
}

// flow returns the flow a deployment deploys.
func (g *gen) flow(d *model.DeploymentConfig) *discover.FlowMetadata {
	return g.flows[d.Entrypoint]
}

func (g *gen) sources() string {
	s := "the flows' source"
	if g.p.Config.File != "" {
		s = g.p.Config.File
		if g.p.Config.Templates != nil {
			s += ", " + g.p.Config.Templates.File
		}
		s += " and the flows' source"
	}
	return s
}

func (g *gen) readFile(rel string) ([]byte, error) {
	return ReadFile(filepath.Join(g.p.Root, filepath.FromSlash(rel)))
}

// dockerfileData is what Dockerfile.tmpl renders.
type dockerfileData struct {
	Path, Folder, BaseImage, CodeDir string
	Requirements                     []string // to copy
	InstallFiles                     []string // to install, root first
	// Project installs the dependencies of the flows' Python project;
	// nil when they have none (or only requirements files).
	Project      *imageProject
	CopyPaths    []string
	WritableDirs []string
}

// dockerfiles renders a Dockerfile for every flow folder whose flows have
// docker or kubernetes deployments and no hand-written Dockerfile, checks
// the hand-written ones against the build context, and renders
// .dockerignore unless it is hand-written.
func (g *gen) dockerfiles() error {
	g.images = map[string]string{}
	folders, byFolder := g.imageFolders()
	if len(folders) == 0 && len(g.out.Kept) == 0 {
		return nil
	}
	ctx, err := g.buildContext()
	if err != nil {
		return err
	}
	g.checkHandDockerfiles(ctx)
	for _, folder := range folders {
		if err := g.dockerfile(folder, byFolder[folder], ctx); err != nil {
			return err
		}
	}
	for i := range g.out.Deployments {
		d := &g.out.Deployments[i]
		if df, ok := g.images[d.Entrypoint]; ok && d.DeploymentType != schema.TypePython {
			d.Dockerfile = df
		}
	}
	return nil
}

// imageFolders groups the deployments with an image by the folder of
// their flow, and records the flows whose Dockerfile is hand-written.
func (g *gen) imageFolders() ([]string, map[string][]*model.DeploymentConfig) {
	byFolder := map[string][]*model.DeploymentConfig{}
	var folders []string
	for i := range g.out.Deployments {
		d := &g.out.Deployments[i]
		if d.DeploymentType == schema.TypePython {
			continue
		}
		f := g.flow(d)
		if f.DockerfilePath != "" {
			data, err := g.readFile(f.DockerfilePath)
			if err == nil && !IsGenerated(data) {
				g.images[f.Entrypoint] = f.DockerfilePath
				if !slices.Contains(g.out.Kept, f.DockerfilePath) {
					g.out.Kept = append(g.out.Kept, f.DockerfilePath)
					g.handDockerfiles = append(g.handDockerfiles, handDockerfile{f.DockerfilePath, data, d.CodeDir})
				}
				continue
			}
		}
		if _, ok := byFolder[f.Folder]; !ok {
			folders = append(folders, f.Folder)
		}
		byFolder[f.Folder] = append(byFolder[f.Folder], d)
	}
	sort.Strings(folders)
	return folders, byFolder
}

// handDockerfile is a hand-written Dockerfile of a flow, to check.
type handDockerfile struct {
	rel     string
	data    []byte
	codeDir string
}

// buildContext is the context the images are built from: the
// hand-written .dockerignore, checked to keep every .env file out, or the
// generated one, which it renders.
func (g *gen) buildContext() (*buildContext, error) {
	isDir := func(rel string) bool {
		fi, err := os.Stat(filepath.Join(g.p.Root, filepath.FromSlash(rel)))
		return err == nil && fi.IsDir()
	}
	data, err := g.readFile(DockerIgnore)
	if err == nil && !IsGenerated(data) {
		g.out.Kept = append(g.out.Kept, DockerIgnore)
		ctx, err := newBuildContext(DockerIgnore, data, isDir)
		if err != nil {
			return nil, err
		}
		var envFiles []string
		for _, f := range g.p.Discovery.Flows {
			envFiles = append(envFiles, f.EnvFiles...)
		}
		slices.Sort(envFiles)
		g.out.Problems = append(g.out.Problems, ctx.checkEnvFiles(slices.Compact(envFiles))...)
		return ctx, nil
	}
	content, err := g.tm.render("dockerignore.tmpl", nil)
	if err != nil {
		return nil, err
	}
	if err := g.own(DockerIgnore, content); err != nil {
		return nil, err
	}
	return newBuildContext(DockerIgnore, content, isDir)
}

// checkHandDockerfiles checks the hand-written Dockerfiles.
func (g *gen) checkHandDockerfiles(ctx *buildContext) {
	for _, h := range g.handDockerfiles {
		g.out.Problems = append(g.out.Problems, ValidateDockerfile(h.rel, h.data, h.codeDir, ctx)...)
	}
}

// dockerfile renders the Dockerfile of one flow folder.
func (g *gen) dockerfile(folder string, deps []*model.DeploymentConfig, ctx *buildContext) error {
	rel := path.Join(folder, DockerfileName)
	data := dockerfileData{Path: rel, Folder: relOrDot(folder), BaseImage: g.p.Config.Images.BaseImage()}
	codeDirs := map[string]bool{}
	reqs := map[string]bool{}
	copies := map[string]bool{}
	for _, d := range deps {
		codeDirs[d.CodeDir] = true
		f := g.flow(d)
		g.images[f.Entrypoint] = rel
		for _, r := range f.RequirementsFiles {
			reqs[r] = true
		}
		for _, lm := range f.LocalModules {
			copies[copyPathFor(lm, folder)] = true
		}
	}
	if len(codeDirs) > 1 {
		return fmt.Errorf("the flows in %s are deployed with different code_dir values (%s); one image has one WORKDIR: give the environments the same code_dir", relOrDot(folder), strings.Join(slices.Sorted(mapsKeys(codeDirs)), ", "))
	}
	data.CodeDir = slices.Sorted(mapsKeys(codeDirs))[0]
	data.Project = projectInstall(g.flow(deps[0]).Project)
	data.Requirements = slices.Sorted(mapsKeys(reqs))
	for _, r := range data.Requirements {
		if path.Base(r) == "requirements.txt" {
			data.InstallFiles = append(data.InstallFiles, r)
		}
	}
	sort.SliceStable(data.InstallFiles, func(i, j int) bool {
		return strings.Count(data.InstallFiles[i], "/") < strings.Count(data.InstallFiles[j], "/")
	})
	self := folder + "/"
	if folder == "" {
		self = "."
	}
	copies[self] = true
	// The flows' own folder last: it changes most often.
	data.CopyPaths = slices.DeleteFunc(pruneCovered(slices.Sorted(mapsKeys(copies))), func(p string) bool { return p == self })
	data.CopyPaths = append(data.CopyPaths, self)
	if folder != "" {
		data.WritableDirs = []string{folder + "/data", folder + "/output"}
	}
	content, err := g.tm.render("Dockerfile.tmpl", data)
	if err != nil {
		return err
	}
	if err := g.own(rel, content); err != nil {
		return err
	}
	for _, p := range ValidateDockerfile(rel, content, data.CodeDir, ctx) {
		if p.Severity == diag.Error {
			return fmt.Errorf("the generated %s is not a valid Dockerfile: %s", rel, p.Message)
		}
	}
	return nil
}

// own records a generated file, unless a hand-written file is in its way.
func (g *gen) own(rel string, content []byte) error {
	if existing, err := g.readFile(rel); err == nil && !IsGenerated(existing) {
		return fmt.Errorf("%s exists and was not generated by prefectgen (no %q header); it is left as it is: move it away or add the header to let prefectgen own it", rel, Header)
	}
	if err := headerCheck(rel, content); err != nil {
		return err
	}
	g.out.Files[rel] = content
	return nil
}

// headerCheck refuses a rendered file that does not start with the
// header, which an override of the header block can drop: without it,
// the file would be the user's, never updated or removed again.
func headerCheck(rel string, content []byte) error {
	if IsGenerated(content) {
		return nil
	}
	return diag.New(diag.TemplateError, diag.Pos{File: rel, Line: 1},
		fmt.Sprintf("the rendered file does not start with the line \"# %s\": an override of the header block must keep it, since it marks the files prefectgen owns", Header))
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func relOrDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// copyPathFor returns what to COPY for a repository module a flow imports:
// its top-level package folder, or the file itself when it lives in the
// flows' own tree (copying that folder would copy the other flows).
func copyPathFor(module, flowFolder string) string {
	top, _, nested := strings.Cut(module, "/")
	flowTop, _, _ := strings.Cut(flowFolder, "/")
	if !nested || top == flowTop {
		return module
	}
	return top + "/"
}

// pruneCovered drops paths inside a folder that is copied whole.
func pruneCovered(paths []string) []string {
	var out []string
	for _, p := range paths {
		covered := false
		for _, q := range paths {
			if q != p && strings.HasSuffix(q, "/") && (q == "." || strings.HasPrefix(p, q)) {
				covered = true
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

var targetChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// targetName turns a flow name into a make target suffix.
func targetName(name string) string {
	s := strings.Trim(targetChars.ReplaceAllString(strings.ToLower(name), "-"), "-.")
	if s == "" {
		s = "flow"
	}
	return s
}
