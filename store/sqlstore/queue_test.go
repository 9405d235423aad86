package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/storetest"
)

// TestQueueSurvivesRestart enqueues and leases on one SQLite store, closes it as a crash would
// leave it, and finds on a new store over the same file the queued job and, once its visibility
// passed, the job that was leased.
func TestQueueSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "fedsite.db")
	s, err := OpenSQLite(ctx, path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := []store.Job{{ID: "a", Kind: "deliver", Payload: []byte("1")}, {ID: "b", Kind: "deliver", Payload: []byte("2")}}
	if err := s.Enqueue(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	if ls, err := s.Lease(ctx, 1, 200*time.Millisecond); err != nil || len(ls) != 1 || ls[0].ID != "a" {
		t.Fatalf("Lease = %+v, %v; want job a", ls, err)
	}
	s.Close()

	s, err = OpenSQLite(ctx, path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Depth(ctx); err != nil || d != (store.QueueDepth{Ready: 1, Leased: 1}) {
		t.Errorf("Depth after reopening = %+v, %v; want 1 ready, 1 leased", d, err)
	}
	time.Sleep(300 * time.Millisecond)
	ls, err := s.Lease(ctx, 10, time.Minute)
	if err != nil || len(ls) != 2 || ls[0].ID != "a" || ls[1].ID != "b" {
		t.Fatalf("Lease after reopening = %+v, %v; want jobs a and b", ls, err)
	}
}

// TestQueueSharedByInstances has two stores over one database (two app instances) lease from
// the same queue: each job goes to exactly one of them.
func TestQueueSharedByInstances(t *testing.T) {
	eachStore(t, func(t *testing.T, a *Store) {
		ctx := t.Context()
		other, err := Open(ctx, Config{DB: a.db, Dialect: a.dialect, Schema: a.schema})
		if err != nil {
			t.Fatal(err)
		}
		const n = 100
		for i := range n {
			if err := a.Enqueue(ctx, store.Job{ID: fmt.Sprint(i), Kind: "deliver"}); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		for _, s := range []*Store{a, other, a, other} {
			ls, err := s.Lease(ctx, 30, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				seen[l.ID]++
			}
		}
		if len(seen) != n {
			t.Errorf("%d distinct jobs leased by the two instances, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("job %s leased %d times", id, c)
			}
		}
	})
}

// BenchmarkEnqueue enqueues batches of 1000 jobs in one call; ns/op is per batch.
func BenchmarkEnqueue(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) { storetest.BenchEnqueue(b, be.open(b)) })
	}
}

// BenchmarkLeaseAck leases jobs 50 at a time and acks each; ns/op is per job.
func BenchmarkLeaseAck(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) { storetest.BenchLeaseAck(b, be.open(b)) })
	}
}

// BenchmarkPageRecords writes a fan-out page's records as the engine does (storetest.BenchPageRecords);
// ns/op is per delivery.
func BenchmarkPageRecords(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) { storetest.BenchPageRecords(b, be.open(b)) })
	}
}

// BenchmarkLeaseAckRecord finishes deliveries as the delivery engine does: leased 50 at a time,
// each acked with its "delivered" status record — one by one (Ack, then RecordDelivery), or in
// AckBatch calls of 8 (the engine's group commit with 8 workers). ns/op is per job.
func BenchmarkLeaseAckRecord(b *testing.B) {
	for _, be := range backends() {
		for _, per := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, per), func(b *testing.B) {
				s := be.open(b)
				ctx := context.Background()
				batch := make([]store.Job, 1000)
				for i := range batch {
					batch[i] = store.Job{Kind: "deliver", Payload: make([]byte, 200)}
				}
				for range b.N/len(batch) + 1 {
					if err := s.Enqueue(ctx, batch...); err != nil {
						b.Fatal(err)
					}
				}
				rec := func(l store.Lease) store.DeliveryRecord {
					return store.DeliveryRecord{ObjectID: "https://news.example/a/1", ActivityID: "https://news.example/a/1#create",
						Inbox: "https://h.example/inbox/" + l.ID, Host: "h.example", State: store.DeliveryDelivered, Attempts: 1}
				}
				b.ResetTimer()
				done := 0
				for done < b.N {
					ls, err := s.Lease(ctx, min(50, b.N-done), time.Minute)
					if err != nil || len(ls) == 0 {
						b.Fatalf("Lease = %d, %v", len(ls), err)
					}
					for chunk := range slices.Chunk(ls, per) {
						if per == 1 {
							if err := s.Ack(ctx, chunk[0]); err != nil {
								b.Fatal(err)
							}
							if err := s.RecordDelivery(ctx, rec(chunk[0])); err != nil {
								b.Fatal(err)
							}
							continue
						}
						recs := make([]store.DeliveryRecord, len(chunk))
						for i, l := range chunk {
							recs[i] = rec(l)
						}
						if err := s.AckBatch(ctx, chunk, recs...); err != nil {
							b.Fatal(err)
						}
					}
					done += len(ls)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
			})
		}
	}
}

// TestMigrationJobsIndex brings a database at version 4 holding delivery records and a job to the
// current version: the records and the job are still there and work, and on SQLite the
// jobs_visible index is gone, while Postgres and MySQL keep it.
func TestMigrationJobsIndex(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			v4 := atVersion(t, b, 4)
			qq := newQueueQueries(v4.dialect, v4.schema)
			want := []store.DeliveryRecord{
				{ObjectID: "https://news.example/a/1", ActivityID: "https://news.example/a/1#create", Inbox: "https://a.example/inbox",
					Host: "a.example", State: store.DeliveryDelivered, Attempts: 1, UpdatedAt: time.Unix(1, 2)},
				{ObjectID: "https://news.example/a/1", ActivityID: "https://news.example/a/1#create", Inbox: "https://b.example/inbox",
					Host: "b.example", State: store.DeliveryRetrying, Attempts: 3, LastError: "503", UpdatedAt: time.Unix(3, 4)},
			}
			for _, r := range want {
				if _, err := v4.db.ExecContext(ctx, qq.recordDelivery, r.ObjectID, r.ActivityID, r.Inbox, r.Host,
					string(r.State), r.Attempts, r.LastError, r.UpdatedAt.UnixNano()); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := v4.db.ExecContext(ctx, qq.insertJob, "j1", "deliver", "k", []byte("p"), 0, time.Now().UnixNano()); err != nil {
				t.Fatal(err)
			}

			up, err := Open(ctx, Config{DB: v4.db, Dialect: v4.dialect, Schema: v4.schema})
			if err != nil {
				t.Fatal(err)
			}
			defer up.Close()
			if _, v := schemaState(t, up); v != latestVersion() {
				t.Errorf("version %d after Open, want %d", v, latestVersion())
			}
			p, err := up.DeliveriesPage(ctx, want[0].ObjectID, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(p.Items, want, func(a, b store.DeliveryRecord) bool {
				same := a.UpdatedAt.Equal(b.UpdatedAt)
				a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
				return same && a == b
			}) {
				t.Errorf("records after the migration = %+v, want %+v", p.Items, want)
			}
			ls, err := up.Lease(ctx, 10, time.Minute)
			if err != nil || len(ls) != 1 || ls[0].ID != "j1" || string(ls[0].Payload) != "p" {
				t.Fatalf("Lease after the migration = %+v, %v; want job j1", ls, err)
			}
			if err := up.AckBatch(ctx, ls, store.DeliveryRecord{ObjectID: want[0].ObjectID, ActivityID: want[0].ActivityID,
				Inbox: want[0].Inbox, Host: "a.example", State: store.DeliveryFailed, Attempts: 2}); err != nil {
				t.Fatal(err)
			}
			q, wantIdx := `SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs_visible'`, 0
			switch v4.dialect {
			case Postgres:
				q, wantIdx = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = '`+v4.schema+`' AND indexname = 'jobs_visible'`, 1
			case MySQL:
				q, wantIdx = `SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics
					WHERE table_schema = '`+v4.schema+`' AND index_name = 'jobs_visible'`, 1
			}
			var n int
			if err := v4.db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != wantIdx {
				t.Errorf("jobs_visible indexes after the migration: %d, %v; want %d", n, err, wantIdx)
			}
		})
	}
}
