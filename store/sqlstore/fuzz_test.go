package sqlstore

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/store"
)

// corpusDir returns /work/shared/corpus as seen from this package: ../../shared/corpus relative to
// the repository root. When it is missing the test fails under CI=true and is skipped otherwise.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus folder %s is missing: %v", dir, err)
		}
		tb.Skipf("corpus folder %s is missing (%v); fuzz seeds need it", dir, err)
	}
	return dir
}

// corpusDocs returns up to max JSON payloads from the corpus.
func corpusDocs(tb testing.TB, max int) [][]byte {
	tb.Helper()
	var docs [][]byte
	err := filepath.WalkDir(corpusDir(tb), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || len(docs) >= max {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs = append(docs, b)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(docs) == 0 {
		tb.Fatal("no JSON payloads in the corpus")
	}
	return docs
}

// FuzzDocumentRoundTrip checks that any document bytes, real federation payloads first, come back
// byte for byte, and that ids of any shape are stored and found.
func FuzzDocumentRoundTrip(f *testing.F) {
	for _, doc := range corpusDocs(f, 200) {
		f.Add("https://news.example/notes/1", doc)
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
