//go:build !unix

package deploy

import "os/exec"

// ownGroup does nothing where there are no process groups.
func ownGroup(cmd *exec.Cmd) {}

// signalGroup kills the command: without process groups, its children
// are not reached.
func signalGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }
