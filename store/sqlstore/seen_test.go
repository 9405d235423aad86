package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestSeenStoresHashes: whatever the id's length, the seen table keeps a 16-byte key, and the id
// is still told apart from others and forgotten by ForgetSeen.
func TestSeenStoresHashes(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		long := "https://x.example/" + strings.Repeat("a", 2000)
		for _, id := range []string{long, long + "b", "https://x.example/1"} {
			if ok, err := s.MarkSeen(ctx, id, time.Hour); err != nil || !ok {
				t.Fatalf("MarkSeen(%.30q) = %v, %v; want true", id, ok, err)
			}
		}
		rows, err := s.db.QueryContext(ctx, rewrite(s.dialect, s.schema, `SELECT hash FROM {seen}`))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var h []byte
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			if len(h) != 16 {
				t.Errorf("stored key of %d bytes, want 16", len(h))
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 3 {
			t.Fatalf("%d keys stored (%v), want 3", n, err)
		}
		if err := s.ForgetSeen(ctx, long); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.MarkSeen(ctx, long, time.Hour); err != nil || !ok {
			t.Errorf("MarkSeen after ForgetSeen = %v, %v; want true", ok, err)
		}
		if ok, err := s.MarkSeen(ctx, long+"b", time.Hour); err != nil || ok {
			t.Errorf("MarkSeen of the other long id = %v, %v; want false", ok, err)
		}
	})
}

// holdWriter takes s's one SQLite write connection in a transaction until the returned function
// is called, so the calls that need it wait.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	tx, err := s.db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// TestGroupCommit: on SQLite the MarkSeen and AddInteraction calls that wait for the writer are
// committed together, by the one goroutine that asks for the connection, and each keeps its own
// contract: of concurrent MarkSeen calls with one id exactly one wins, of concurrent Likes by one
// actor of one object one is kept, and a call whose ctx ends while it waits writes nothing.
func TestGroupCommit(t *testing.T) {
	ctx := t.Context()
	s := newSQLite(t)
	release := holdWriter(t, s)

	// The first call is taken by the group writer, which then waits for the connection; the
	// others wait to be taken, and go in one group once the connection is free.
	const callers, distinct = 64, 16
	type result struct {
		id  string
		new bool
		err error
	}
	results := make(chan result, callers)
	var started sync.WaitGroup
	for i := range callers {
		started.Add(1)
		go func() {
			started.Done()
			if i%2 == 1 { // a Like, by one of distinct actors
				who := fmt.Sprintf("https://x.example/u/%d", i%distinct)
				ok, err := s.AddInteraction(ctx, store.Interaction{ID: fmt.Sprintf("https://x.example/like/%d", i),
					Kind: store.InteractionLike, ObjectID: "https://news.example/a/1", ActorID: who})
				results <- result{who, ok, err}
				return
			}
			id := fmt.Sprintf("https://x.example/a/%d", i%distinct)
			ok, err := s.MarkSeen(ctx, id, time.Hour)
			results <- result{id, ok, err}
		}()
	}
	started.Wait()
	for s.db.Stats().WaitCount == 0 { // the group writer has taken a call and waits for the connection
		runtime.Gosched()
	}

	// A call cancelled while it waits returns its ctx's error and leaves its id unseen.
	cctx, cancel := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() {
		_, err := s.MarkSeen(cctx, "https://x.example/cancelled", time.Hour)
		cancelled <- err
	}()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled MarkSeen: %v, want context.Canceled", err)
	}
	release()

	wins := map[string]int{}
	for range callers {
		r := <-results
		if r.err != nil {
			t.Fatalf("MarkSeen or Like of %s: %v", r.id, r.err)
		}
		if r.new {
			wins[r.id]++
		}
	}
	for i := range distinct {
		id := fmt.Sprintf("https://x.example/a/%d", i)
		if i%2 == 1 {
			id = fmt.Sprintf("https://x.example/u/%d", i)
		}
		if wins[id] != 1 {
			t.Errorf("%s won %d times, want once", id, wins[id])
		}
	}
	// Only the group writer asked for the connection, once, while the test held it; were each call
	// to write on its own, every one would have waited for the connection.
	if n := s.db.Stats().WaitCount; n != 1 {
		t.Errorf("the writer connection was waited for %d times, want once", n)
	}
	if ok, err := s.MarkSeen(ctx, "https://x.example/cancelled", time.Hour); err != nil || !ok {
		t.Errorf("MarkSeen of the cancelled call's id = %v, %v; want true", ok, err)
	}
}

// TestMarkSeenClosed: MarkSeen after Close gets ErrClosed.
func TestMarkSeenClosed(t *testing.T) {
	s := newSQLite(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen(t.Context(), "https://x.example/1", time.Hour); !errors.Is(err, ErrClosed) {
		t.Errorf("MarkSeen after Close: %v, want ErrClosed", err)
	}
}

// TestReadsBesideWriter: on a SQLite file, reads that need no transaction go through the read
// pool, so they answer while a write transaction holds the writer.
func TestReadsBesideWriter(t *testing.T) {
	ctx := t.Context()
	s := newSQLite(t)
	if err := s.AddFollower(ctx, testFollower(1, 1)); err != nil {
		t.Fatal(err)
	}
	holdWriter(t, s)
	// Were the reads on the writer, they would wait for it until this deadline.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := s.CountFollowers(ctx, actor); err != nil || n != 1 {
		t.Errorf("CountFollowers = %d, %v; want 1", n, err)
	}
	if p, err := s.FollowersPage(ctx, actor, "", 10); err != nil || len(p.Items) != 1 {
		t.Errorf("Followers = %d items, %v; want 1", len(p.Items), err)
	}
}

// TestMigrationSeenHashes brings a database at version 8, whose seen table keeps whole ids, to the
// current version: the table keeps hashes, and MarkSeen works on it.
func TestMigrationSeenHashes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			v8 := atVersion(t, b, 8)
			if _, err := v8.db.ExecContext(ctx, rewrite(v8.dialect, v8.schema,
				`INSERT INTO {seen} (id, expires_at) VALUES ('https://x.example/1', 1)`)); err != nil {
				t.Fatal(err)
			}
			up, err := Open(ctx, Config{DB: v8.db, Dialect: v8.dialect, Schema: v8.schema})
			if err != nil {
				t.Fatal(err)
			}
			defer up.Close()
			if ok, err := up.MarkSeen(ctx, "https://x.example/1", time.Hour); err != nil || !ok {
				t.Errorf("MarkSeen after the migration = %v, %v; want true", ok, err)
			}
			var n int
			if err := up.db.QueryRowContext(ctx, rewrite(up.dialect, up.schema,
				`SELECT COUNT(*) FROM {seen} WHERE hash = $1`), seenHash("https://x.example/1")).Scan(&n); err != nil || n != 1 {
				t.Errorf("rows under the id's hash: %d, %v; want 1", n, err)
			}
		})
	}
}
