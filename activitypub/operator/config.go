package operator

import (
	"log/slog"
	"net/http"

	"github.com/fedsite/fedsite/activitypub"
)

// Config configures a Handler. The zero value of every optional field is its documented default.
type Config struct {
	// Federation is the site's federation, whose state the pages show and change. Required.
	Federation *activitypub.Federation

	// Actors lists the site actors the pages show, in the order given (the first is the default
	// actor of the per-actor pages). Required.
	Actors activitypub.ActorLister

	// User reports who is signed in to the site for a request: the site's own name or id for
	// them, recorded as the author of the blocks they make and bound into their form tokens.
	// A request without a user is answered 403. Required.
	User func(r *http.Request) (user string, ok bool)

	// Key signs the forms' tokens; at least 32 bytes. Default: a random key made by New, so that
	// a form shown before a restart, or by another process, is refused with 403 and works once
	// the page is reloaded. Set it, the same in every process, when several serve the page.
	Key []byte

	// PageSize is how many entries a list shows at a time. Default: 50.
	PageSize int

	// Logger receives the errors behind 500 answers. Default: discard.
	Logger *slog.Logger
}
