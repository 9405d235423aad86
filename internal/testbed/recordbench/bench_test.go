package recordbench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/sqlstore"

	_ "modernc.org/sqlite"
)

var records = flag.Int("records", 1_000_000, "entries in the record that BenchmarkExportVerify exports and verifies")

// activities returns the corpus's activities with an id, type and actor: the documents the
// benchmark records, in turn.
func activities(tb testing.TB) [][]byte {
	var docs [][]byte
	for _, f := range corpus.JSON(tb, ".") {
		if len(f.Data) > 0 && f.Data[0] == '{' && len(f.Data) < 64<<10 {
			docs = append(docs, f.Data)
		}
	}
	if len(docs) == 0 {
		tb.Fatal("no corpus documents")
	}
	return docs
}

func openSQLite(tb testing.TB, dir string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "record.db"), sqlstore.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// entry is the i-th entry the benchmark appends: a received activity of one of 1000 actors.
func entry(docs [][]byte, i int, at time.Time) store.RecordEntry {
	actor := fmt.Sprintf("https://host%d.example/users/u%d", i%97, i%1000)
	return store.RecordEntry{Time: at, Direction: store.RecordIn, ActivityID: fmt.Sprintf("%s/activities/%d", actor, i),
		Type: "Create", Actor: actor, Scheme: "draft-cavage rsa-sha256", KeyID: actor + "#main-key", Document: docs[i%len(docs)]}
}

// dbBytes is the size of the SQLite database and its WAL in dir.
func dbBytes(tb testing.TB, dir string) int64 {
	tb.Helper()
	var n int64
	for _, name := range []string{"record.db", "record.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkAppend appends b.N entries one after another and reports the disk bytes per entry and
// the mean document size. Each append joins the SQLite store's group commit in its savepoint, as
// the inbox's appends do, but with no other write waiting, so each group holds that one append
// and commits it alone: the time per entry is an append that pays a commit of its own, where the
// inbox's appends under concurrent requests share their commits with the other writes waiting.
func BenchmarkAppend(b *testing.B) {
	docs := activities(b)
	dir := b.TempDir()
	s := openSQLite(b, dir)
	ctx := context.Background()
	before := dbBytes(b, dir)
	var docBytes int64
	at := time.Now()
	b.ResetTimer()
	for i := range b.N {
		e := entry(docs, i, at.Add(time.Duration(i)*time.Millisecond))
		docBytes += int64(len(e.Document))
		if _, err := s.AppendRecord(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := s.Close(); err != nil { // checkpoints the WAL into the database file
		b.Fatal(err)
	}
	b.ReportMetric(float64(dbBytes(b, dir)-before)/float64(b.N), "disk-bytes/activity")
	b.ReportMetric(float64(docBytes)/float64(b.N), "doc-bytes/activity")
}

// BenchmarkExportVerify records -records entries on SQLite (not timed), then exports the whole
// record to a file and verifies the file, reporting each step's entries per second.
func BenchmarkExportVerify(b *testing.B) {
	docs := activities(b)
	dir := b.TempDir()
	s := openSQLite(b, dir)
	ctx := context.Background()
	at := time.Now().Add(-time.Duration(*records) * time.Millisecond)
	for i := range *records {
		if _, err := s.AppendRecord(ctx, entry(docs, i, at.Add(time.Duration(i)*time.Millisecond))); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(dir, "export.jsonl")
	var exportTime, verifyTime time.Duration
	b.ResetTimer()
	for range b.N {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		sum, err := record.Export(ctx, s, f, record.Filter{}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		exportTime += time.Since(start)
		if sum.Entries != *records {
			b.Fatalf("exported %d entries, want %d", sum.Entries, *records)
		}
		f, err = os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		rep, err := record.Verify(f)
		verifyTime += time.Since(start)
		f.Close()
		if err != nil || rep.Entries != *records {
			b.Fatalf("Verify = %+v, %v", rep, err)
		}
	}
	b.StopTimer()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	n := float64(*records) * float64(b.N)
	b.ReportMetric(n/exportTime.Seconds(), "export-records/s")
	b.ReportMetric(n/verifyTime.Seconds(), "verify-records/s")
	b.ReportMetric(float64(fi.Size())/float64(*records), "file-bytes/record")
}
