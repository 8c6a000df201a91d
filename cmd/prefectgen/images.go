package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"prefectgen/deploy"
	"prefectgen/model"
)

type imagesOpts struct {
	serverFlags
	docker string
	dryRun bool
}

var imagesCmd = &command{
	name:    "images",
	args:    "build|push|pull [PATH]",
	short:   "build, push or pull the flow images of an environment",
	maxArgs: 2,
	long: `
Images builds, pushes or pulls the images of one environment's docker and
kubernetes deployments with the docker tool, each image once:

	build   docker build --force-rm -f <Dockerfile> -t <image> . (labelled with the
	        git commit), then docker push when the environment has a
	        docker_registry
	push    docker push <image>
	pull    docker pull <image>

The image tag placeholder {{ $PREFECTGEN_IMAGE_TAG }} is the git commit, or
$PREFECTGEN_IMAGE_TAG. --dry-run prints the commands.`,
	examples: `
# build (and push, with a registry) staging's images
prefectgen images build --env staging
# print the docker commands only
prefectgen images push --env production --dry-run`,
	flags: func(fs *pflag.FlagSet) any {
		o := &imagesOpts{}
		o.serverFlags.register(fs, true)
		fs.StringVar(&o.docker, "docker", "docker", "the docker executable")
		fs.BoolVar(&o.dryRun, "dry-run", false, "print the commands, run nothing")
		return o
	},
	run: func(ctx context.Context, e *env, opts any, args []string) error {
		o := opts.(*imagesOpts)
		if len(args) == 0 || (args[0] != "build" && args[0] != "push" && args[0] != "pull") {
			return usagef("images needs build, push or pull")
		}
		verb := args[0]
		s, err := o.open(e, pathArg(args[1:]))
		if err != nil {
			return err
		}
		if verb != "build" && s.env.DockerRegistry == "" {
			return fmt.Errorf("environment %s has no docker_registry: docker %s would use Docker Hub's library namespace (docker.io/library/...); set docker_registry, to docker.io/NAMESPACE for Docker Hub", s.env.Name, verb)
		}
		start := time.Now()
		var deps []model.DeploymentConfig
		for _, d := range s.desired {
			if d.Image != "" {
				deps = append(deps, d)
			}
		}
		if len(deps) == 0 {
			fmt.Fprintf(e.stdout, "no docker or kubernetes deployments in %s\n", s.env.Name)
			return nil
		}
		failed := deploy.Images(ctx, deps, verb, deploy.Options{Root: s.root, Docker: o.docker, Concurrency: 1, Vars: s.vars,
			Revision: s.vars[model.ImageTagVariable], DryRun: o.dryRun,
			Log: func(l string) { fmt.Fprintln(e.stdout, "  "+l) }})
		if len(failed) > 0 {
			return printResults(e, failed, time.Since(start), o.dryRun, "built")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "images %s: done (%.1fs)\n", verb, time.Since(start).Seconds())
		return nil
	},
}
