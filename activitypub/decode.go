package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// compactor is the JSON-LD processing of the inbox (internal/jsonld.Processor): Compact turns a
// document the lean decoder cannot read into the compacted form it can, Redefines is the cheap
// test of an inline context, and Normalize canonicalizes a forwarded activity for its LD
// signature (see inbox_ldsig.go).
type compactor interface {
	Compact(doc []byte) ([]byte, error)
	Redefines(context json.RawMessage) bool
	signing.Normalizer
}

// asNamespace is the ActivityStreams namespace; a member named under it ("as:actor" or the full
// IRI) is an ActivityStreams property the lean decoder does not read by that name.
const asNamespace = "https://www.w3.org/ns/activitystreams#"

// decodeActivity decodes an inbox body. The compact form every server sends is read by vocab
// alone; a body is compacted with JSON-LD first (about 4 ms) only when the cheap test needsLD
// finds it is JSON-LD in a form vocab cannot read: a top-level array (expanded JSON-LD), @id or
// @type keys, ActivityStreams properties under a prefix or full IRI, or an inline context that
// renames ActivityStreams terms. vocab's depth and syntax checks run before any JSON-LD work.
func decodeActivity(body []byte, ld compactor) (*vocab.Object, error) {
	act, err := vocab.Decode(body)
	switch {
	case errors.Is(err, vocab.ErrNotObject) && firstByte(body) == '[':
		// Valid, depth-checked JSON whose top level is an array: expanded JSON-LD.
	case err != nil:
		return nil, err
	case !needsLD(act, ld):
		return act, nil
	}
	compacted, err := ld.Compact(body)
	if err != nil {
		return nil, fmt.Errorf("activitypub: JSON-LD: %w", err)
	}
	return vocab.Decode(compacted)
}

// needsLD reports whether the decoded activity, or the object it embeds, carries JSON-LD that
// vocab read wrongly or not at all.
func needsLD(act *vocab.Object, ld compactor) bool {
	for _, o := range []*vocab.Object{act, act.Object.Object} {
		if o == nil {
			continue
		}
		for k := range o.Extra {
			if ldKey(k) {
				return true
			}
		}
		if c, ok := o.Context.(json.RawMessage); ok && ld.Redefines(c) {
			return true
		}
	}
	return false
}

// ldKey reports whether a member name vocab does not know is a JSON-LD keyword or an
// ActivityStreams property spelled as an IRI. Other prefixed names ("toot:discoverable",
// "vcard:fn") are extensions that vocab keeps in Extra as they are.
func ldKey(k string) bool {
	return (strings.HasPrefix(k, "@") && k != "@context") ||
		strings.HasPrefix(k, "as:") || strings.HasPrefix(k, asNamespace)
}

// firstByte is the first byte of b that is not JSON white space, or 0.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}
