// Package mediatype holds the one rule by which fedsite tells an ActivityStreams media type from
// others, shared by the signing Resolver, activitypub's fetches and content negotiation, and the
// WebFinger client.
package mediatype
