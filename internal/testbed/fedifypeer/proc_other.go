//go:build !unix

package fedifypeer

import (
	"errors"
	"os"
	"os/exec"
)

// lockFile is a no-op where advisory file locks are not wired up: concurrent
// installs from several processes are then the caller's problem.
func lockFile(string) (func(), error) { return func() {}, nil }

// ownProcessGroup does nothing on this platform.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills only the peer process on this platform.
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
