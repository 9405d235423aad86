package redisstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/storetest"
)

// TestQueueSharedByInstances has two Stores with one prefix and distinct consumer names share the
// queue: each job goes to one of them, and the jobs an instance leased before it died are leased
// by the other once their visibility passed, with ErrLeaseLost for the dead instance's leases.
func TestQueueSharedByInstances(t *testing.T) {
	c := testClient(t)
	ctx := t.Context()
	// Distinct prefixes for the rest, one queue prefix: the queue is shared on its own.
	base := newPrefix(t, c)
	qp := base + "queue:"
	one, err := redisstore.New(redisstore.Config{Client: c, Prefix: base + "a:", QueuePrefix: qp, Consumer: "one"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := redisstore.New(redisstore.Config{Client: c, Prefix: base + "b:", QueuePrefix: qp, Consumer: "two"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := range n {
		key := ""
		if i%2 == 0 {
			key = fmt.Sprint("k", i%5)
		}
		if err := one.Enqueue(ctx, store.Job{ID: fmt.Sprint(i), Kind: "deliver", OrderingKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	// one leases a batch and "dies" holding it.
	lost, err := one.Lease(ctx, 30, 300*time.Millisecond)
	if err != nil || len(lost) != 30 {
		t.Fatalf("one: Lease = %d, %v; want 30", len(lost), err)
	}
	done := map[string]int{}
	deadline := time.Now().Add(10 * time.Second)
	for len(done) < n && time.Now().Before(deadline) {
		ls, err := two.Lease(ctx, 20, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for _, l := range ls {
			done[l.ID]++
			if err := two.Ack(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(done) != n {
		t.Fatalf("two finished %d jobs, want %d", len(done), n)
	}
	for id, k := range done {
		if k != 1 {
			t.Errorf("job %s finished %d times by two", id, k)
		}
	}
	for _, l := range lost {
		if err := one.Ack(ctx, l); err == nil {
			t.Errorf("Ack by the dead instance of %s succeeded after two finished it", l.ID)
		}
	}
	if d, err := two.Depth(ctx); err != nil || d != (store.QueueDepth{}) {
		t.Errorf("Depth = %+v, %v; want empty", d, err)
	}
}

// BenchmarkEnqueue enqueues batches of 1000 jobs in one call; ns/op is per batch.
func BenchmarkEnqueue(b *testing.B) { storetest.BenchEnqueue(b, newStore(b, testClient(b))) }

// BenchmarkLeaseAck leases jobs 50 at a time and acks each; ns/op is per job.
func BenchmarkLeaseAck(b *testing.B) { storetest.BenchLeaseAck(b, newStore(b, testClient(b))) }

// TestAckBatchAfterScriptFlush checks that AckBatch, whose scripts run pipelined in MULTI/EXEC
// and so cannot fall back to EVAL one by one, still acks and records after Redis lost its scripts.
func TestAckBatchAfterScriptFlush(t *testing.T) {
	c := testClient(t)
	ctx := t.Context()
	s := newStore(t, c)
	for i := range 3 {
		if err := s.Enqueue(ctx, store.Job{ID: fmt.Sprint(i), Kind: "deliver"}); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := s.Lease(ctx, 3, time.Minute)
	if err != nil || len(ls) != 3 {
		t.Fatalf("Lease = %d, %v", len(ls), err)
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const obj = "https://news.example/articles/1"
	rec := store.DeliveryRecord{ObjectID: obj, ActivityID: obj + "#create", Inbox: "https://a.example/inbox",
		Host: "a.example", State: store.DeliveryDelivered, Attempts: 1}
	if err := s.AckBatch(ctx, ls, rec); err != nil {
		t.Fatalf("AckBatch after SCRIPT FLUSH: %v", err)
	}
	d, err := s.Depth(ctx)
	if err != nil || d != (store.QueueDepth{}) {
		t.Errorf("Depth = %+v, %v; want empty", d, err)
	}
	page, err := s.DeliveriesPage(ctx, obj, "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].State != store.DeliveryDelivered {
		t.Errorf("records = %+v, %v; want the one delivered record", page.Items, err)
	}
}
