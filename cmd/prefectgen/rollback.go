package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/generator"
	"prefectgen/model"
)

type rollbackOpts struct {
	deployOpts
	to string
}

var rollbackCmd = &command{
	name:    "rollback",
	args:    "[PATH]",
	short:   "redeploy an earlier release of an environment, from git",
	maxArgs: 1,
	long: `
Rollback puts an environment back as an earlier release deployed it. It reads
that release's commit from the history ('prefectgen history'), takes the
repository's files at that commit from git (never the working tree: the
generated prefect.yaml, Dockerfiles and configuration are committed), and
deploys them through the same checks, plan and apply as 'prefectgen deploy',
building the images from that commit when they changed. The rollback is
recorded in the history as a release of its own.

--to N rolls back to release N; --to REVISION to any commit git knows (a tag,
a branch, a hash). Without --to it goes back to the newest release that
succeeded with another commit than the newest release's. With --prune it also
deletes this project's deployments that the release did not have.`,
	examples: `
# back to the release before the current one
prefectgen rollback --env production
# back to release 12, or to a tag
prefectgen rollback --env production --to 12
prefectgen rollback --env staging --to v1.4.0 --dry-run`,
	flags: func(fs *pflag.FlagSet) any {
		o := &rollbackOpts{}
		o.deployOpts.register(fs)
		fs.StringVar(&o.to, "to", "", "the release number, or a git revision, to go back to (default: the previous release)")
		return o
	},
	run: runRollback,
}

func runRollback(ctx context.Context, e *env, opts any, args []string) error {
	o := opts.(*rollbackOpts)
	if o.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	root := pathArg(args)
	// The project, environment and server as committed at HEAD: never the
	// working tree, which may be anything.
	head, err := os.MkdirTemp("", "prefectgen-rollback-head-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(head)
	if err := checkout(root, "HEAD", head); err != nil {
		return err
	}
	s, err := o.openWith(e, head, "")
	if err != nil {
		return err
	}
	s.root = root
	key := deploy.HistoryKey(s.project.Config.Project, s.env.Name)
	releases, err := s.client.History(ctx, key, 1000)
	if err != nil {
		return err
	}
	commit, to, err := rollbackTarget(root, o.to, releases)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rolling %s back to %s (commit %s)\n", s.env.Name, to, short(commit))
	tree, err := os.MkdirTemp("", "prefectgen-rollback-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	if err := checkout(root, commit, tree); err != nil {
		return err
	}
	old, err := o.openAt(e, s, tree, commit)
	if err != nil {
		return err
	}
	return release(ctx, e, &o.deployOpts, old, deploy.Release{Command: "rollback", Commit: commit, To: to})
}

// rollbackTarget finds the commit to go back to: release N's, a git
// revision's, or, by default, the newest successful release's whose
// commit is not the newest release's.
func rollbackTarget(root, to string, releases []deploy.Release) (commit, label string, err error) {
	if n, convErr := strconv.Atoi(to); convErr == nil {
		for _, r := range releases {
			if r.Number == n {
				if r.Commit == "" {
					return "", "", fmt.Errorf("release %d was deployed outside git: there is no commit to go back to", n)
				}
				return r.Commit, fmt.Sprintf("release %d", n), nil
			}
		}
		return "", "", fmt.Errorf("no release %d in the history (prefectgen history lists them)", n)
	}
	if to != "" {
		out, err := exec.Command("git", "-C", root, "rev-parse", "--verify", to+"^{commit}").Output()
		if err != nil {
			return "", "", fmt.Errorf("--to %q: not a release number, nor a revision git knows", to)
		}
		c := strings.TrimSpace(string(out))
		return c, to, nil
	}
	if len(releases) == 0 {
		return "", "", errors.New("no release recorded yet: there is nothing to go back to (give --to REVISION)")
	}
	for _, r := range releases {
		if r.Result == "ok" && r.Commit != "" && r.Commit != releases[0].Commit {
			return r.Commit, fmt.Sprintf("release %d", r.Number), nil
		}
	}
	return "", "", errors.New("no earlier successful release with another commit: give --to")
}

// checkout writes the files of a commit into dir, from git archive.
func checkout(root, commit, dir string) error {
	cmd := exec.Command("git", "-C", root, "archive", "--format=tar", commit)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	extractErr := extract(tar.NewReader(stdout), dir)
	io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %v: %s", short(commit), err, strings.TrimSpace(stderr.String()))
	}
	return extractErr
}

// extract writes a tar stream's files and links into dir; a name that
// would leave dir is refused.
func extract(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("git archive holds %q, outside the repository", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				return err
			}
			_, werr := io.Copy(f, tr)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return werr
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		}
	}
}

// openAt is the session of the repository at commit, checked out in
// tree, against the server of the current session s.
func (o *rollbackOpts) openAt(e *env, s *session, tree, commit string) (*session, error) {
	flags := o.serverFlags
	if flags.config != "" {
		abs, _ := filepath.Abs(flags.config)
		absRoot, _ := filepath.Abs(s.root)
		if rel, err := filepath.Rel(absRoot, abs); err == nil && !strings.HasPrefix(rel, "..") {
			flags.config = filepath.Join(tree, rel)
		}
	}
	p, err := flags.load(tree)
	if err != nil {
		return nil, err
	}
	if !p.Validation.IsValid {
		printProblems(e.stderr, tree, p.Validation.All())
		return nil, fmt.Errorf("the repository at %s has errors; it cannot be deployed", short(commit))
	}
	m := p.Manager()
	envCfg, err := m.LoadEnvironmentConfig(s.env.Name)
	if err != nil {
		return nil, fmt.Errorf("at %s: %w", short(commit), err)
	}
	all, _, err := m.Deployments(s.env.Name)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{model.ImageTagVariable: short(commit), model.CommitVariable: commit}
	if tag := os.Getenv(model.ImageTagVariable); tag != "" {
		vars[model.ImageTagVariable] = tag
	}
	old := *s
	old.root, old.project, old.env, old.all, old.desired, old.vars = tree, p, envCfg, all, s.scope.Filter(all), vars
	if _, err := generator.PrefectFileRenderer(p, generator.GenerateOptions{}); err != nil {
		return nil, err
	}
	return &old, nil
}
