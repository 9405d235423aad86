// Package gofed converts between fedsite's lean [vocab.Object] and the generated ActivityStreams
// types of code.superseriousbusiness.org/activity/streams (the maintained go-fed vocabulary that
// GoToSocial uses), for host applications built on those types.
//
// It is opt-in: no other fedsite package imports it, so only a program that imports it links the
// generated vocabulary, which adds about 15 MB to a binary, 11 MB stripped (see the README).
//
// [ToType] encodes an Object and resolves the JSON with streams.ToType into the go-fed type its
// "type" names, such as vocab.ActivityStreamsNote. [FromType] serialises a go-fed value with
// streams.Serialize and decodes the JSON with [vocab.Decode]. Errors that callers branch on match
// [ErrNoType], [ErrUnknownType] or [ErrSerialize] with [errors.Is], and also go-fed's own error
// (such as streams.ErrUnhandledType) where there is one. go-fed itself is lenient: a value that
// does not fit a property's range is kept as an unknown value and written back as it came.
//
// # What survives a round trip
//
// ToType then FromType gives back the same document, every member fedsite reads and every
// extension member in [vocab.Object.Extra] included, up to these losses and rewrites. The
// package's test runs every JSON payload of fedsite's corpus through the round trip and fails on
// any change outside this list:
//
//   - "@context" is rebuilt by streams.Serialize from the vocabularies go-fed used: inline term
//     definitions and extension contexts the sender wrote are replaced, and an embedded object's
//     own "@context" is removed. An Object without "@context" is resolved as if it named the
//     ActivityStreams context, and comes back with one.
//   - "contentMap", "nameMap" and "summaryMap" are dropped when "content", "name" or "summary" is
//     also present: go-fed keeps one form of a natural-language property.
//   - dates lose their fractional seconds.
//   - an extension member given as a one-element array comes back as that element.
//   - numbers pass through float64: 15.0 comes back as 15, and digits beyond 2^53 are lost.
//   - a string that net/url parses as an IRI with a scheme — an attachment description or a
//     blurhash that starts with a word and a colon, a URL with "{" in it — comes back as net/url
//     writes it again: the scheme lowercased, spaces and other characters percent-encoded. go-fed
//     tries the IRI form of a property before its string form.
//   - members of an extension object may come back in another order (the document is the same).
//
// # What cannot be converted
//
// ToType fails with [ErrNoType] for an object without "type" (a WebFinger answer, a NodeInfo
// document, a JSON-LD context, an expanded JSON-LD document). It fails with [ErrUnknownType] when
// none of the object's types is in go-fed's vocabulary, which covers ActivityStreams, Mastodon,
// GoToSocial, Litepub, Funkwhale, schema.org and security v1 terms but not, for instance, Lemmy's
// Lock, Resolve and Warn, Pleroma's ChatMessage or the security vocabulary's CryptographicKey.
// An object with several types ("type": ["Person", "vcard:individual"]) converts to the first
// type go-fed knows, but streams.Serialize then panics on it, as on any embedded object whose
// "type" is not one string: FromType recovers and returns [ErrSerialize].
package gofed
