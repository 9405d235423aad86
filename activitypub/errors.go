package activitypub

import (
	"errors"
	"fmt"

	"github.com/fedsite/fedsite/store"
)

var (
	// ErrNotFound reports an actor or object that does not exist. An [ActorSource] returns it (or an
	// error wrapping it) for an unknown name, and the handlers answer 404. It is store.ErrNotFound,
	// so one errors.Is test matches what the site and the store do not have.
	ErrNotFound = store.ErrNotFound

	// ErrAlreadyPublished reports a Publish of an article whose URL was published before, or an
	// Announce of an article the actor announced before.
	ErrAlreadyPublished = errors.New("activitypub: already published")

	// ErrForbidden reports an action that Config.Authorize does not allow the site user to take as
	// a site actor; the action was not taken. Sites answer it with 403.
	ErrForbidden = errors.New("activitypub: forbidden")

	// errNotPermitted reports an activity whose actor may not do what it asks, such as undoing
	// someone else's Follow or sending an object of another origin; the inbox answers it with 403.
	// It is not ErrForbidden, which refuses a site user.
	errNotPermitted = errors.New("activitypub: activity not permitted to its actor")

	// ErrBlocked reports a request from, or a fetch of, a server or actor the site blocked (see
	// [Federation.BlockDomain]); the inbox answers it with 403.
	ErrBlocked = errors.New("activitypub: blocked")

	// ErrNotAlias reports a Move whose target does not list the moving actor in its alsoKnownAs.
	ErrNotAlias = errors.New("activitypub: move target does not name the actor in alsoKnownAs")
)

// InvalidError reports input fedsite refuses: a malformed activity, an article without a URL on
// the site's host, a bad configuration. Field names what is wrong.
type InvalidError struct {
	Field  string
	Reason string
}

// Error says what is invalid and why.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("activitypub: invalid %s: %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
