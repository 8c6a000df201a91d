package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

var versionCmd = &command{
	name:  "version",
	short: "print prefectgen's version",
	long:  "Version prints the version of prefectgen.",
	examples: `
prefectgen version`,
	run: func(_ context.Context, e *env, _ any, _ []string) error {
		fmt.Fprintf(e.stdout, "prefectgen %s\n", buildVersion())
		return nil
	},
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
