package fedifypeer

import (
	"errors"
	"fmt"
)

var (
	// ErrNPMNotFound means npm is not on PATH, so Fedify cannot be installed.
	ErrNPMNotFound = errors.New("fedifypeer: npm not found in PATH")

	// ErrUnsupportedPlatform means the system has no Node.js 22 or newer and
	// no prebuilt Node.js package is known for this GOOS/GOARCH.
	ErrUnsupportedPlatform = errors.New("fedifypeer: no Node.js >= 22 for this platform")

	// ErrExited means the peer process ended before it reported ready.
	ErrExited = errors.New("fedifypeer: peer exited before it was ready")

	// ErrClosed is returned by the methods of a [Peer] after [Peer.Close].
	ErrClosed = errors.New("fedifypeer: peer closed")
)

// OutputError reports a failed external command (npm, node) together with
// the end of what it wrote, so a failing CI run shows why.
type OutputError struct {
	// Command is the command line that failed, for humans.
	Command string
	// Output is the tail of the command's stderr (and stdout for npm).
	Output string
	// Err is the underlying cause.
	Err error
}

// Error implements error.
func (e *OutputError) Error() string {
	if e.Output == "" {
		return fmt.Sprintf("fedifypeer: %s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("fedifypeer: %s: %v\n--- output ---\n%s", e.Command, e.Err, e.Output)
}

// Unwrap returns the underlying cause.
func (e *OutputError) Unwrap() error { return e.Err }

// ControlError is a non-2xx answer from the peer's control API.
type ControlError struct {
	// Method and Path name the control request, e.g. "POST /_control/follow".
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Message is the peer's error message.
	Message string
}

// Error implements error.
func (e *ControlError) Error() string {
	return fmt.Sprintf("fedifypeer: %s %s: status %d: %s", e.Method, e.Path, e.Status, e.Message)
}
