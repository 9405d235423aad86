package sqlstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/storetest"
)

// inboxQuery is a store whose DeliveryInboxes runs one of its two inbox queries, so that a
// benchmark walks with either.
type inboxQuery struct {
	*Store
	query string
}

func (q inboxQuery) DeliveryInboxes(ctx context.Context, actorID, after string, limit int) ([]string, error) {
	return q.deliveryInboxes(ctx, q.query, actorID, after, limit)
}

// benchFollowers and benchHosts size the large fixture: 1M followers of one actor spread over 10k
// hosts, each host with a shared inbox, so DeliveryInboxes yields 10k inboxes. -short scales it to
// 100k followers over 1k hosts.
func benchSize() (followers, hosts int) {
	if testing.Short() {
		return 100_000, 1_000
	}
	return 1_000_000, 10_000
}

// loadFollowers fills the followers table in one statement generated on the server, which loads
// 1M rows in seconds instead of minutes of client round trips. Rows interleave hosts, as real
// follows do, and match what AddFollower writes.
func loadFollowers(tb testing.TB, s *Store, n, hosts int) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	gen := `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < $2 - 1) SELECT i FROM g`
	if s.dialect == Postgres {
		gen = `SELECT i FROM generate_series(0, $2::bigint - 1) AS i`
	}
	q := rewrite(s.dialect, s.schema, `INSERT INTO {followers}
		(actor_id, follower_id, inbox, shared_inbox, delivery_inbox, follow_id, created_at)
		SELECT $1, 'https://h' || (i % $3) || '.example/users/u' || i,
			'https://h' || (i % $3) || '.example/users/u' || i || '/inbox',
			'https://h' || (i % $3) || '.example/inbox',
			'https://h' || (i % $3) || '.example/inbox',
			'https://h' || (i % $3) || '.example/follows/' || i,
			$4 + i
		FROM (`+gen+`) AS gen`)
	if _, err := s.db.ExecContext(ctx, q, actor, n, hosts, time.Now().UnixNano()); err != nil {
		tb.Fatalf("load %d followers: %v", n, err)
	}
	analyze := "ANALYZE"
	if s.dialect == Postgres {
		// VACUUM sets the visibility map, so the index-only scans the listings rely on are used.
		analyze = "VACUUM ANALYZE " + quoteIdent(s.schema) + ".followers"
	}
	if _, err := s.db.ExecContext(ctx, analyze); err != nil {
		tb.Fatalf("%s: %v", analyze, err)
	}
	tb.Logf("%s: loaded %d followers over %d hosts in %v", s.dialect, n, hosts, time.Since(start).Round(time.Millisecond))
}

func BenchmarkAddFollower(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				if err := s.AddFollower(ctx, testFollower(i%1000, i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkMillion runs the listings against 1M followers (100k with -short), loaded once per
// dialect.
func BenchmarkMillion(b *testing.B) {
	n, hosts := benchSize()
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			if s.dialect == MySQL {
				b.Skip("loadFollowers generates the rows with SQL MySQL does not take")
			}
			loadFollowers(b, s, n, hosts)
			ctx := b.Context()

			b.Run("FollowersPageDeep", func(b *testing.B) {
				// A page of 100 near the oldest end: 99% of the list is skipped by the keyset.
				cursor := formatCursor(int64(n / 100))
				for b.Loop() {
					p, err := s.FollowersPage(ctx, actor, cursor, 100)
					if err != nil || len(p.Items) != 100 {
						b.Fatalf("FollowersPage = %d items, %v", len(p.Items), err)
					}
				}
			})
			b.Run("FollowersWalkAll", func(b *testing.B) { storetest.BenchFollowersWalk(b, s, actor, n) })
			for _, v := range []struct{ name, query string }{
				{"DeliveryInboxesDistinct", s.q.inboxesDistinct},
				{"DeliveryInboxesLoose", s.q.inboxesLoose},
			} {
				b.Run(v.name, func(b *testing.B) { storetest.BenchDeliveryInboxes(b, inboxQuery{s, v.query}, actor, hosts) })
			}
			b.Run("CountFollowers", func(b *testing.B) {
				for b.Loop() {
					if c, err := s.CountFollowers(ctx, actor); err != nil || c != n {
						b.Fatalf("CountFollowers = %d, %v", c, err)
					}
				}
			})
		})
	}
}

// BenchmarkMarkSeenParallel marks new ids from 64 goroutines at once per core, as an inbox under
// load does: on SQLite the calls waiting for the one writer are committed together.
func BenchmarkMarkSeenParallel(b *testing.B) {
	benchParallel(b, backends(), func(ctx context.Context, s *Store, n int64) error {
		_, err := s.MarkSeen(ctx, "https://x.example/a/"+strconv.FormatInt(n, 10), time.Hour)
		return err
	})
}

// benchParallel runs op on a fresh store of each backend in bes from 64 goroutines at once per
// core, as an inbox under load calls its store, numbering the calls from 1. Beside the wall time,
// which a busy machine stretches, it reports the process's CPU time per call (cpu-ns/op).
func benchParallel(b *testing.B, bes []backend, op func(ctx context.Context, s *Store, n int64) error) {
	for _, be := range bes {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			var n atomic.Int64
			b.SetParallelism(64)
			cpu0 := cpuTime(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := op(ctx, s, n.Add(1)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkPruneDeliveries prunes 100k finished delivery records, 1,000 for each of 100 deleted
// objects, in deletes of 1000 rows, and reports the records pruned per second.
func BenchmarkPruneDeliveries(b *testing.B) {
	const objects, perObject = 100, 1000
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			if s.dialect == MySQL {
				b.Skip("the rows are generated with SQL MySQL does not take")
			}
			ctx := b.Context()
			gen := `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < $1 - 1) SELECT i FROM g`
			if s.dialect == Postgres {
				gen = `SELECT i FROM generate_series(0, $1::bigint - 1) AS i`
			}
			load := rewrite(s.dialect, s.schema, `INSERT INTO {deliveries}
				(object_id, activity_id, inbox, host, state, attempts, last_error, updated_at)
				SELECT 'https://news.example/articles/' || (i % $2), 'https://news.example/create/' || (i % $2),
					'https://h' || i || '.example/inbox', 'h' || i || '.example', 'delivered', 1, '', $3
				FROM (`+gen+`) AS gen`)
			ids := make([]string, objects)
			for i := range ids {
				ids[i] = "https://news.example/articles/" + strconv.Itoa(i)
			}
			old := time.Now().Add(-time.Hour)
			for b.Loop() {
				b.StopTimer()
				if _, err := s.db.ExecContext(ctx, load, objects*perObject, objects, old.UnixNano()); err != nil {
					b.Fatalf("load: %v", err)
				}
				b.StartTimer()
				n, err := s.PruneOperational(ctx, store.PruneBefore{Deliveries: time.Now(), Objects: ids})
				if err != nil || n.Deliveries != objects*perObject {
					b.Fatalf("PruneOperational = %+v, %v; want %d deliveries", n, err, objects*perObject)
				}
			}
			b.ReportMetric(float64(objects*perObject*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
