package gofed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"code.superseriousbusiness.org/activity/streams"
	streamsvocab "code.superseriousbusiness.org/activity/streams/vocab"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

var (
	// ErrNoType is returned (wrapped) by [ToType] for a nil Object or one without a "type", which
	// go-fed cannot resolve.
	ErrNoType = errors.New("gofed: object has no type")
	// ErrUnknownType is returned (wrapped, together with streams.ErrUnhandledType) by [ToType]
	// when none of the object's types is in go-fed's vocabulary.
	ErrUnknownType = errors.New("gofed: type not in the go-fed vocabulary")
	// ErrSerialize is returned (wrapped) by [FromType] when go-fed cannot serialise the value, or
	// fedsite cannot decode what it wrote.
	ErrSerialize = errors.New("gofed: cannot serialise go-fed value")
)

// ToType converts o into the go-fed type its "type" names, such as a
// streamsvocab.ActivityStreamsNote for a Note. An object without "@context" is resolved as if it
// named the ActivityStreams context. ctx is passed to go-fed's resolver.
func ToType(ctx context.Context, o *vocab.Object) (streamsvocab.Type, error) {
	if o == nil || len(o.Type) == 0 {
		return nil, ErrNoType
	}
	b, err := o.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("gofed: encode %s: %w", o.Type.First(), err)
	}
	// go-fed reads numbers as float64, so the map is decoded without UseNumber.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("gofed: encode %s: %w", o.Type.First(), err)
	}
	if _, ok := m["@context"]; !ok {
		m["@context"] = vocab.ContextActivityStreams
	}
	t, err := streams.ToType(ctx, m)
	switch {
	case errors.Is(err, streams.ErrUnhandledType):
		return nil, fmt.Errorf("gofed: %v: %w: %w", []string(o.Type), ErrUnknownType, err)
	case err != nil:
		return nil, fmt.Errorf("gofed: resolve %v: %w", []string(o.Type), err)
	}
	return t, nil
}

// FromType converts the go-fed value t into an Object: it serialises t with streams.Serialize,
// which also writes the "@context" of the vocabularies t uses, and decodes the JSON with
// [vocab.Decode].
func FromType(t streamsvocab.Type) (o *vocab.Object, err error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil value", ErrSerialize)
	}
	m, err := serialize(t)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSerialize, t.GetTypeName(), err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSerialize, t.GetTypeName(), err)
	}
	o, err = vocab.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSerialize, t.GetTypeName(), err)
	}
	return o, nil
}

// serialize calls streams.Serialize, turning the panic it raises when a "type" in the value is not
// one string (it type-asserts every "type" member to string) into an error.
func serialize(t streamsvocab.Type) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-fed panicked: %v", r)
		}
	}()
	return streams.Serialize(t)
}
