package mediatype

import (
	"mime"
	"slices"
	"strings"
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
	case "application/activity+json":
		return true
	case "application/ld+json":
		return slices.Contains(strings.Fields(params["profile"]), activityStreamsProfile)
	}
	return false
}
