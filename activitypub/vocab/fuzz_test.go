package vocab_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts encodes, decodes to an
// equal Object and encodes to the same bytes again. It is seeded with every corpus file.
func FuzzDecode(f *testing.F) {
	corpus.Seed(f, ".")
	f.Add([]byte(`{"to":"as:Public","type":["Note"],"totalItems":"5","published":"2024-01-01T00:00:00+00:00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o1, err := vocab.Decode(data)
		if err != nil {
			return
		}
		out, err := o1.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a decoded object: %v", err)
		}
		o2, err := vocab.Decode(out)
		if err != nil {
			t.Fatalf("Decode of own output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(o1, o2) {
			t.Fatalf("round trip changed the object\ninput  %q\noutput %s", data, out)
		}
		again, err := o2.MarshalJSON()
		if err != nil {
			t.Fatalf("second MarshalJSON: %v", err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("encoding not stable:\n%s\n%s", out, again)
		}
	})
}
