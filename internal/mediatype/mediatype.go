package mediatype

import (
	"mime"
	"slices"
	"strings"
)

// The media types of ActivityStreams documents, spelled here once for every package of the module.
const (
	// Activity is the ActivityPub media type, which fedsite sends and prefers.
	Activity = "application/activity+json"
	// JSONLD is the JSON-LD media type, an ActivityStreams document only with the profile
	// (see [ActivityLD]).
	JSONLD = "application/ld+json"
	// ActivityLD is JSON-LD with the ActivityStreams profile, which servers must also accept.
	ActivityLD = JSONLD + `; profile="` + activityStreamsProfile + `"`
	// JSON is plain JSON, which some servers send and the inbox accepts (see [IsJSON]).
	JSON = "application/json"
)

// activityStreamsProfile is the profile that makes application/ld+json an
// ActivityStreams document.
const activityStreamsProfile = "https://www.w3.org/ns/activitystreams"

// IsActivityStreams reports whether contentType, a Content-Type header value,
// names an ActivityStreams document by the rule Mastodon applies to the
// actors and keys it fetches (valid_activitypub_content_type?, INTEROP §1.2):
// application/activity+json, or application/ld+json whose profile (a
// space-separated list of IRIs) names https://www.w3.org/ns/activitystreams.
// Other parameters, such as the charset Pixelfed adds, do not matter; plain
// application/json and application/ld+json without that profile are not
// ActivityStreams. signing.Resolver reads only documents that pass, and so
// should any other fetch whose document may stand for the same actor, and any WebFinger link to an actor.
func IsActivityStreams(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case Activity:
		return true
	case JSONLD:
		return slices.Contains(strings.Fields(params["profile"]), activityStreamsProfile)
	}
	return false
}

// IsJSON reports whether contentType, a Content-Type header value, is one ActivityPub servers
// send: the JSON family, ActivityStreams or not, whatever its parameters. Mastodon does not check
// it; GoToSocial requires it, so fedsite's inbox keeps to these and refuses the rest.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case Activity, JSONLD, JSON:
		return true
	}
	return false
}
