package vocab

import "github.com/fedsite/fedsite/internal/mediatype"

// Well-known IRIs and media types of ActivityStreams 2.0 and ActivityPub.
const (
	// ContextActivityStreams is the JSON-LD context every AS2 document names in "@context".
	ContextActivityStreams = "https://www.w3.org/ns/activitystreams"
	// ContextSecurity is the context that defines "publicKey" and "publicKeyPem".
	ContextSecurity = "https://w3id.org/security/v1"
	// PublicIRI names the special public collection used in addressing (AS2 vocabulary §5.6).
	PublicIRI = "https://www.w3.org/ns/activitystreams#Public"
	// MediaType is the ActivityPub content type fedsite sends and prefers.
	MediaType = mediatype.Activity
	// LDMediaType is the JSON-LD content type with the AS2 profile, which servers must also accept.
	LDMediaType = mediatype.ActivityLD
)

// MaxDepth is the deepest nesting of JSON objects and arrays that [Decode] accepts. Real payloads
// stay below 10 levels; the limit bounds the work done on hostile input.
const MaxDepth = 64

// asPrefix is the AS2 namespace, which compact IRIs such as "as:Public" expand with.
const asPrefix = "https://www.w3.org/ns/activitystreams#"

// IsPublic reports whether iri names the public collection: the full IRI, its compact form
// "as:Public" (Ghost and other Fedify-based servers send it) or the bare term "Public".
func IsPublic(iri string) bool {
	return iri == PublicIRI || iri == "as:Public" || iri == "Public"
}
