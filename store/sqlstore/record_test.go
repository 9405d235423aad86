package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestAppendRecordFailsAlone makes an append fail after it inserted its entry — a trigger
// refuses to move the head — while MarkSeen calls are committed in the same groups on SQLite: the
// append must return the error and leave no entry, the seen ids must all be stored, and the next
// append must chain after the head as it was.
func TestAppendRecordFailsAlone(t *testing.T) {
	ctx := t.Context()
	s := newSQLite(t)
	entry := func(i int) store.RecordEntry {
		return store.RecordEntry{Time: time.Unix(0, int64(i)), Direction: store.RecordIn,
			ActivityID: fmt.Sprintf("https://x.example/likes/%d", i), Type: "Like", Actor: "https://x.example/users/a",
			Scheme: "draft-cavage rsa-sha256", KeyID: "https://x.example/users/a#main-key", Document: []byte(`{}`)}
	}
	first, err := s.AppendRecord(ctx, entry(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TRIGGER refuse_head BEFORE UPDATE ON record_head
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	const seen = 200
	var wg sync.WaitGroup
	errs := make(chan error, seen)
	for i := range seen {
		wg.Go(func() {
			if _, err := s.MarkSeen(ctx, fmt.Sprintf("https://x.example/seen/%d", i), time.Hour); err != nil {
				errs <- err
			}
		})
	}
	for i := range 20 {
		wg.Go(func() {
			if _, err := s.AppendRecord(ctx, entry(100+i)); err == nil {
				errs <- fmt.Errorf("append %d: no error while the head cannot move", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range seen {
		if isNew, err := s.MarkSeen(ctx, fmt.Sprintf("https://x.example/seen/%d", i), time.Hour); err != nil || isNew {
			t.Errorf("MarkSeen of seen id %d again = %v, %v; want false, nil", i, isNew, err)
		}
	}
	if _, err := s.db.ExecContext(ctx, `DROP TRIGGER refuse_head`); err != nil {
		t.Fatal(err)
	}
	seq, hash, err := s.RecordHead(ctx)
	if err != nil || seq != 1 || string(hash) != string(first.Hash()) {
		t.Fatalf("RecordHead = %d, %x, %v; want 1, %x", seq, hash, err, first.Hash())
	}
	second, err := s.AppendRecord(ctx, entry(2))
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.RecordRange(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[1].Seq != 2 || string(all[1].Prev) != string(first.Hash()) || all[1].ActivityID != second.ActivityID {
		t.Fatalf("record after the failed appends = %+v; want entries 1 and 2, chained", all)
	}
}

// TestAppendRecordBatchFailsAlone appends concurrently to a Postgres or MySQL store, which writes
// concurrent appends in one transaction, a few entries the database refuses among good ones: the
// refused appends must fail, every other be stored, and the chain hold the good ones only.
func TestAppendRecordBatchFailsAlone(t *testing.T) {
	for _, be := range backends()[1:] {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t)
			const good, bad = 60, 6
			var wg sync.WaitGroup
			errs := make(chan error, good+bad)
			for i := range good + bad {
				wg.Go(func() {
					e := inboxEntry(int64(i))
					if i%((good+bad)/bad) == 0 {
						e.ActivityID += "\xff\x00" // not UTF-8, and a NUL: no text column takes it
						if _, err := s.AppendRecord(t.Context(), e); err == nil {
							errs <- fmt.Errorf("append of refused entry %d: no error", i)
						}
						return
					}
					if _, err := s.AppendRecord(t.Context(), e); err != nil {
						errs <- fmt.Errorf("append %d: %w", i, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			all, err := s.RecordRange(t.Context(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != good {
				t.Fatalf("%d entries stored, want %d", len(all), good)
			}
			var prev []byte
			for i, e := range all {
				if e.Seq != int64(i+1) || string(e.Prev) != string(prev) {
					t.Fatalf("entry %d: Seq %d, Prev %x; want Seq %d after %x", i, e.Seq, e.Prev, i+1, prev)
				}
				prev = e.Hash()
			}
			if seq, hash, err := s.RecordHead(t.Context()); err != nil || seq != good || string(hash) != string(prev) {
				t.Errorf("RecordHead = %d, %x, %v; want %d, %x", seq, hash, err, good, prev)
			}
		})
	}
}

// BenchmarkInboxWritesParallel makes the inbox's writes for one accepted activity — its id
// marked seen, then its entry appended to the record — from 64 goroutines at once per core, as
// an inbox under load does. It reports the process's CPU time per call pair (cpu-ns/op) beside
// the wall time, which a busy machine stretches.
func BenchmarkInboxWritesParallel(b *testing.B) {
	benchParallel(b, backends()[:1], func(ctx context.Context, s *Store, n int64) error { // SQLite: the others commit each MarkSeen alone
		e := inboxEntry(n)
		if _, err := s.MarkSeen(ctx, e.ActivityID, time.Hour); err != nil {
			return err
		}
		_, err := s.AppendRecord(ctx, e)
		return err
	})
}

// BenchmarkAppendRecordParallel appends to the record from 64 goroutines at once per core, as an
// inbox under load records what it accepts.
func BenchmarkAppendRecordParallel(b *testing.B) {
	benchParallel(b, backends(), func(ctx context.Context, s *Store, n int64) error {
		_, err := s.AppendRecord(ctx, inboxEntry(n))
		return err
	})
}

// inboxEntry is the record's entry of the nth Like an inbox accepted.
func inboxEntry(n int64) store.RecordEntry {
	id := "https://x.example/likes/" + strconv.FormatInt(n, 10)
	return store.RecordEntry{Time: time.Now(), Direction: store.RecordIn, ActivityID: id, Type: "Like",
		Actor: "https://x.example/users/alice", Scheme: "draft-cavage rsa-sha256",
		KeyID: "https://x.example/users/alice#main-key",
		Document: []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id + `",` +
			`"type":"Like","actor":"https://x.example/users/alice","object":"https://news.example/a/1"}`)}
}

// cpuTime returns the CPU time, user and system, the process has used.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// TestGroupBroken runs a group whose second write breaks the transaction (as a savepoint that
// cannot be rolled back to does): the group is rolled back, the first write with it, the third is
// not run, and every call gets the error.
func TestGroupBroken(t *testing.T) {
	s := newSQLiteAt(t, nil)
	ctx := t.Context()
	broken := fmt.Errorf("%w: rollback to savepoint: disk I/O error", errGroupBroken)
	batch := []*groupWrite{
		{fn: func(ctx context.Context, q querier) error {
			_, err := q.ExecContext(ctx, s.q.createKeyPair, "https://a.example/u", "main", []byte("pem"), 1)
			return err
		}},
		{fn: func(context.Context, querier) error { return broken }},
		{fn: func(context.Context, querier) error {
			t.Error("a write ran after the group broke")
			return nil
		}},
	}
	for _, g := range batch {
		g.done = make(chan struct{})
	}
	s.commitGroup(ctx, batch)
	for i, g := range batch {
		<-g.done
		if !errors.Is(g.err, errGroupBroken) {
			t.Errorf("write %d: error %v, want errGroupBroken", i, g.err)
		}
	}
	if _, err := s.KeyPair(ctx, "https://a.example/u", "main"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the first write of the broken group: KeyPair error %v, want ErrNotFound", err)
	}
}
