package redisstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
)

// TestAppendRecordTwoInstances appends from two Stores sharing one prefix, as two instances of a
// site do, each from several goroutines: each Store's remembered head goes stale whenever the
// other appends, and the chain must still be one, every entry in it once.
func TestAppendRecordTwoInstances(t *testing.T) {
	c := testClient(t)
	prefix := "fedsitetest:" + rand.Text() + ":"
	t.Cleanup(func() { deletePrefix(t, c, prefix) })
	var instances []*redisstore.Store
	for range 2 {
		s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		instances = append(instances, s)
	}
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for i, s := range instances {
		for w := range workers {
			wg.Go(func() {
				for k := range each {
					id := fmt.Sprintf("https://x.example/%d/%d/%d", i, w, k)
					if _, err := s.AppendRecord(t.Context(), store.RecordEntry{Time: time.Now(), Direction: store.RecordIn,
						ActivityID: id, Type: "Like", Actor: "https://x.example/users/a", Document: []byte(`{}`)}); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := instances[0].RecordRange(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*workers*each {
		t.Fatalf("%d entries after %d appends", len(got), 2*workers*each)
	}
	ids := map[string]bool{}
	var prev []byte
	for i, e := range got {
		if e.Seq != int64(i+1) || !bytes.Equal(e.Prev, prev) {
			t.Fatalf("entry %d: Seq %d, Prev %x; want Seq %d after %x", i, e.Seq, e.Prev, i+1, prev)
		}
		ids[e.ActivityID] = true
		prev = e.Hash()
	}
	if len(ids) != len(got) {
		t.Errorf("%d distinct activities in %d entries", len(ids), len(got))
	}
}

// BenchmarkAppendRecordParallel appends to the record from 64 goroutines at once per core, as an
// inbox under load records what it accepts. It reports the round trips to Redis per append
// (trips/op): the appends of one process should not make each other try again.
func BenchmarkAppendRecordParallel(b *testing.B) {
	c := testClient(b)
	s := newStore(b, c)
	var trips atomic.Int64
	c.AddHook(countHook{&trips})
	doc := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://x.example/likes/1",` +
		`"type":"Like","actor":"https://x.example/users/alice","object":"https://news.example/a/1"}`)
	var n atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := "https://x.example/likes/" + strconv.FormatInt(n.Add(1), 10)
			if _, err := s.AppendRecord(ctx, store.RecordEntry{Time: time.Now(), Direction: store.RecordIn,
				ActivityID: id, Type: "Like", Actor: "https://x.example/users/alice",
				Scheme: "draft-cavage rsa-sha256", KeyID: "https://x.example/users/alice#main-key",
				Document: doc}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(trips.Load())/float64(b.N), "trips/op")
}

// countHook counts the commands and pipelines a client sends.
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestAppendRecordAfterLostHead: an instance's remembered head is lost (a failover dropped the
// last append) and another instance writes a different entry at the same Seq; the first
// instance's next append is chained after the head that is, not the one it remembers.
func TestAppendRecordAfterLostHead(t *testing.T) {
	c := testClient(t)
	prefix := "fedsitetest:" + rand.Text() + ":"
	t.Cleanup(func() { deletePrefix(t, c, prefix) })
	var a, b *redisstore.Store
	for _, s := range []**redisstore.Store{&a, &b} {
		var err error
		if *s, err = redisstore.New(redisstore.Config{Client: c, Prefix: prefix}); err != nil {
			t.Fatal(err)
		}
	}
	appendLike := func(s *redisstore.Store, id string) store.RecordEntry {
		t.Helper()
		e, err := s.AppendRecord(t.Context(), store.RecordEntry{Time: time.Now(), Direction: store.RecordIn,
			ActivityID: id, Type: "Like", Actor: "https://x.example/users/a", Document: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	appendLike(a, "https://x.example/lost")
	deletePrefix(t, c, prefix) // the failover
	other := appendLike(b, "https://x.example/other")
	next := appendLike(a, "https://x.example/next")
	if next.Seq != 2 || !bytes.Equal(next.Prev, other.Hash()) {
		t.Errorf("after the lost head: Seq %d, Prev %x; want Seq 2 after %x", next.Seq, next.Prev, other.Hash())
	}
}
