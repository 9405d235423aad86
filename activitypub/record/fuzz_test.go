package record_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/store/memstore"
)

// FuzzVerify feeds Verify edits of real exports: it must answer, never panic, and an error is
// either ErrBroken or a read error.
func FuzzVerify(f *testing.F) {
	st := memstore.New()
	fill(f, st, 12)
	for _, flt := range []record.Filter{{}, {Actor: alice}} {
		var b bytes.Buffer
		if _, err := record.Export(f.Context(), st, &b, flt, t0); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"kind":"header","format":"fedsite-record/1"}` + "\n" + `{"kind":"end"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := record.Verify(bytes.NewReader(data))
		if err != nil && !errors.Is(err, record.ErrBroken) {
			t.Fatalf("Verify = %+v, %v: neither nil nor ErrBroken", rep, err)
		}
	})
}
