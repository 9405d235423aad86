package gofed_test

import (
	"errors"
	"testing"

	"github.com/fedsite/fedsite/activitypub/gofed"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// FuzzRoundTrip: whatever fedsite's decoder accepts, converting it to go-fed and back never
// panics, and every failure is one of the package's errors.
func FuzzRoundTrip(f *testing.F) {
	corpus.Seed(f, ".")
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := vocab.Decode(data)
		if err != nil {
			return
		}
		typ, err := gofed.ToType(t.Context(), o)
		if err != nil {
			if !errors.Is(err, gofed.ErrNoType) && !errors.Is(err, gofed.ErrUnknownType) {
				t.Fatalf("ToType: unexpected error %v", err)
			}
			return
		}
		if _, err := gofed.FromType(typ); err != nil && !errors.Is(err, gofed.ErrSerialize) {
			t.Fatalf("FromType: unexpected error %v", err)
		}
	})
}
