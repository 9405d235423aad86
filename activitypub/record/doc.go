// Package record exports, verifies and prunes the hash-chained record of activities that a
// [store.Record] keeps.
//
// # The export format
//
// An export is JSON Lines. The first line is the header ("kind":"header") with the filter; the
// last is the end ("kind":"end") with the counts, the last line's Seq and hash and the chain's
// head when the export was made. Between them, in Seq order, each entry of the exported range is
// a line: "entry" with every field, the document byte for byte (a JSON string, or base64 in
// "documentBase64" when it is not UTF-8), the previous entry's hash ("prev") and its own
// ("hash"); or, for an entry the actor filter leaves out, "elided" with only its Seq, prev and
// hash. The elided lines are what lets a filtered export be checked: the chain of hashes runs
// unbroken from the first line to the last, and only the elided entries' contents are withheld
// (their hashes cannot be recomputed, but each is bound by the next line's prev). Entries pruned
// under the retention rules leave gaps that a checkpoint entry declares (see [Prune]); an export
// carries every checkpoint that declares a gap in its range, after its range if it was written
// later, as "checkpoint" lines.
//
// [Verify] checks a file alone: each entry's hash against its contents, each line's prev against
// the line before, the Seqs without an undeclared gap, the end line's counts and last hash. A
// file rewritten from top to bottom with new hashes is self-consistent: to detect that, compare
// its end line's head with a head recorded elsewhere (a log, an earlier export, a notary).
package record
