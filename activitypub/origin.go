package activitypub

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// Origin rules. A verified signer speaks for its own origin (scheme, host and port) only:
//   - the activity's id must be on the actor's origin;
//   - for Create, Update and Delete, the object's id and every attributedTo of an embedded object
//     must be on the actor's origin too (Mastodon's non_matching_uri_hosts? check, INTEROP §1.6);
//   - any other embedded object from another origin is not trusted: it is replaced by its id, so
//     that whatever needs its content fetches it from its own origin.
//
// A breach is answered 403 Forbidden: the sender proved who it is (the signature verified) but
// may not speak for that object. 400 is kept for requests that are malformed whoever sends them.

// origin returns the scheme://host:port of an absolute http(s) IRI, with the default port made
// explicit so that "https://a" and "https://a:443" compare equal.
func origin(iri string) (string, bool) {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port, true
}

func sameOrigin(a, b string) bool {
	oa, ok1 := origin(a)
	ob, ok2 := origin(b)
	return ok1 && ok2 && oa == ob
}

// checkOrigins applies the origin rules to a verified activity and returns the activity to
// handle: act itself, or a copy whose foreign embedded object is reduced to its id.
func checkOrigins(act *vocab.Object) (*vocab.Object, error) {
	actor := act.Actor.ID()
	if _, ok := origin(actor); !ok {
		return nil, invalid("actor", "%q is not an absolute http(s) IRI", actor)
	}
	if !sameOrigin(act.ID, actor) {
		return nil, fmt.Errorf("activitypub: activity %s is not on the origin of its actor %s: %w", act.ID, actor, errNotPermitted)
	}
	obj := act.Object.Object
	if act.Type.Has("Create") || act.Type.Has("Update") || act.Type.Has("Delete") {
		if id := act.Object.ID(); id != "" && !sameOrigin(id, actor) {
			return nil, fmt.Errorf("activitypub: object %s is not on the origin of its actor %s: %w", id, actor, errNotPermitted)
		}
		if obj != nil {
			for _, a := range obj.AttributedTo {
				if !sameOrigin(a.ID(), actor) {
					return nil, fmt.Errorf("activitypub: object attributed to %s sent by %s: %w", a.ID(), actor, errNotPermitted)
				}
			}
		}
		return act, nil
	}
	if obj != nil && !sameOrigin(obj.ID, actor) {
		// Not ours to trust: keep the reference, drop the content (re-fetched from its origin
		// when needed, see objectOf).
		cp := *act
		cp.Object = vocab.Ref{IRI: obj.ID}
		return &cp, nil
	}
	return act, nil
}
