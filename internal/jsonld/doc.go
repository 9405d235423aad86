// Package jsonld is fedsite's JSON-LD processing, used only for the documents the lean decoder
// (activitypub/vocab) cannot read: expanded JSON-LD, ActivityStreams properties under unusual
// prefixes, contexts that give ActivityStreams terms another meaning. [Processor.Compact] compacts
// such a document against the ActivityStreams and security contexts with
// github.com/piprate/json-gold, so that vocab can decode the result.
//
// Contexts come only from the documents embedded in this package (see contexts/SOURCES.md): a
// context URL that is not one of them fails with an [*UnknownContextError], and nothing is ever
// fetched from the network or read from a file path. The [Loader] is read-only, so one
// [Processor] is safe for concurrent use.
//
// Compaction costs milliseconds per document; [Processor.Redefines] is the cheap test of an
// inline context that lets callers keep the common, compact case off this path.
package jsonld
