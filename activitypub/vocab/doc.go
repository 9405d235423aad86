// Package vocab is fedsite's small ActivityStreams 2.0 vocabulary: one [Object] struct holding the
// properties fedsite reads, decoded with the standard library and tolerant of what the fediverse
// really sends.
//
// [Decode] is the one entry point for untrusted input. It bounds nesting at [MaxDepth] levels
// (returning an error matching [ErrTooDeep]), refuses a top level that is not a JSON object
// ([ErrNotObject]) and never panics. [Object.MarshalJSON] writes the known properties that are set,
// then every member kept in [Object.Extra], in a fixed order, so the same Object always encodes to
// the same bytes.
//
// # Tolerance
//
// Remote servers disagree on shapes, so decoding accepts, for every known property:
//
//   - null anywhere (Misskey sends "name": null, "icon": null): the property stays at its zero value;
//   - a single value or an array: [Refs] and [Types] take either, [Ref] keeps the first element of an
//     array, string properties such as inbox keep the first element or the id of an object;
//   - an IRI string or an embedded object (an actor, a Note, a Link) for [Ref] and [Refs];
//   - "publicKey" as one object (Mastodon) or an array of them (Fedify);
//   - "totalItems" as 5, 5.0 or "5";
//   - "published" and "updated" in RFC 3339 with or without fractional seconds, with a numeric
//     offset or Z, or with no offset at all (read as UTC).
//
// A known property whose value has a shape its field cannot hold (a number where an IRI belongs,
// an unparseable date) is not an error: the field stays zero and the raw value is kept in
// [Object.Extra] under its own name, so nothing is lost when the object is written out again.
// [IsPublic] and [Refs.Has] treat "as:Public", "Public" and the full [PublicIRI] alike.
//
// # Unknown members and numbers
//
// Every member that is not a known property lands in [Object.Extra] as raw JSON with insignificant
// whitespace removed and is written back unchanged, so extension properties (Mastodon's
// "featuredTags", Misskey's "_misskey_content", FEP additions) survive a decode and encode. Numbers
// are never converted to float64: unknown ones stay as their original text, and
// [Object.DecodeExtra] reads a member with [json.Decoder.UseNumber], so ids beyond 2^53 stay exact.
//
// # Normalisation
//
// Decoding then encoding gives the same JSON document up to these documented changes:
//
//   - known properties that are null, "" or false (sensitive, manuallyApprovesFollowers) are omitted;
//   - [Refs] properties (to, cc, attributedTo, url, icon, tag, attachment, items, …) are always
//     written as arrays, since some servers only read arrays for to and cc;
//   - a [Types] value with one entry is written as a string;
//   - a [Ref] property given as an array is written as its first element;
//   - inbox, outbox, followers, following, featured, sharedInbox and owner given as an object or an
//     array are written as the IRI string they resolved to;
//   - a single public key given in an array is written as an object;
//   - totalItems is written as a JSON integer, dates in RFC 3339 (zero offsets as Z);
//   - members appear in a fixed order and raw JSON is compacted.
//
// # Expanded JSON-LD
//
// fedsite reads the compacted form that ActivityPub servers exchange and does no JSON-LD
// processing. An expanded document (keys such as "@id", "@type" and full property IRIs, as in some
// Misskey and Fedify test captures) decodes without error, but all of its members land in
// [Object.Extra]; a caller that must accept such input compacts it first and decodes the result,
// as fedsite's inbox does with internal/jsonld.
package vocab
