package sqlstore

import (
	"bytes"
	"context"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store"
)

// FuzzDocumentRoundTrip checks that any document bytes, real federation payloads first, come back
// byte for byte, and that ids of any shape are stored and found.
func FuzzDocumentRoundTrip(f *testing.F) {
	docs := corpus.JSON(f, ".")
	for _, c := range docs[:min(len(docs), 200)] {
		f.Add("https://news.example/notes/1", c.Data)
	}
	f.Add("", []byte(nil))
	f.Add("'; DROP TABLE objects; --", []byte{0, 0xff, '"'})
	s, err := OpenSQLite(context.Background(), ":memory:", Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, id string, doc []byte) {
		ctx := context.Background()
		o := store.Object{ID: id, ActorID: actor, Type: "Note", Document: doc}
		err := s.PutObject(ctx, o)
		if id == "" {
			if err == nil {
				t.Fatal("PutObject with an empty id succeeded")
			}
			return
		}
		if err != nil {
			t.Fatalf("PutObject(%q): %v", id, err)
		}
		got, err := s.Object(ctx, id)
		if err != nil {
			t.Fatalf("Object(%q): %v", id, err)
		}
		if !bytes.Equal(got.Document, doc) || got.ID != id {
			t.Fatalf("Object(%q) = %q, %q; want the stored bytes", id, got.ID, got.Document)
		}
	})
}

// FuzzCursor checks that cursors this package issues parse back to their sequence number and
// that any other string is refused with store.ErrBadCursor, never a panic.
func FuzzCursor(f *testing.F) {
	for _, c := range []string{"1", "zz", formatCursor(1 << 40), "-1", "0", "", "%%not a cursor%%", "9223372036854775808"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		n, err := parseCursor(c)
		if err != nil {
			if n != 0 {
				t.Fatalf("parseCursor(%q) = %d with error %v", c, n, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("parseCursor(%q) = %d, want a positive sequence", c, n)
		}
		if back, err := parseCursor(formatCursor(n)); err != nil || back != n {
			t.Fatalf("round trip of %d: %d, %v", n, back, err)
		}
	})
}
