package webfinger

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound reports a resource that does not exist. A [Resolver] returns it (or an error
	// wrapping it) for an unknown resource, and the [Handler] answers 404. Errors from
	// [Client.Lookup] match it when the server answered 404 to both WebFinger and the host-meta
	// fallback.
	ErrNotFound = errors.New("webfinger: not found")

	// ErrGone reports a resource that was deleted. A [Resolver] returns it (or an error wrapping
	// it) for a deleted account, and the [Handler] answers 410. Errors from [Client.Lookup] match
	// it when the server answered 410.
	ErrGone = errors.New("webfinger: gone")

	// ErrInvalidResource reports a resource string [ParseResource] refuses.
	ErrInvalidResource = errors.New("webfinger: invalid resource")

	// ErrNoActor reports a [JRD] without a usable ActivityPub self link.
	ErrNoActor = errors.New("webfinger: no ActivityPub self link")

	// ErrTooLarge reports a response body longer than [ClientConfig.MaxBodyBytes].
	ErrTooLarge = errors.New("webfinger: response body too large")
)

// ResponseError reports a WebFinger or host-meta response [Client.Lookup] could not use: an
// unexpected status, a body that is too large or not a valid document, a JRD without a subject, or
// a redirect to a scheme the client does not allow. It matches [ErrNotFound] for a 404 and
// [ErrGone] for a 410, so callers may branch with [errors.Is] and read the details with
// [errors.As].
type ResponseError struct {
	// URL is the address that gave the response.
	URL string
	// StatusCode is the HTTP status, or 0 if no response was read.
	StatusCode int
	// Reason says in a few words what was wrong.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *ResponseError) Error() string {
	s := fmt.Sprintf("webfinger: %s: %s", e.URL, e.Reason)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ResponseError) Unwrap() error { return e.Err }

// Is reports whether the response means [ErrNotFound] (404) or [ErrGone] (410).
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == 404
	case ErrGone:
		return e.StatusCode == 410
	}
	return false
}
