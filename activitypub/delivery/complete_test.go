package delivery

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// slowAcks is a delivery store whose first ack of a delivery takes a while, so that the deliveries finished
// meanwhile pile up for the next flush; it counts acks. batchAcks adds AckBatch.
type slowAcks struct {
	store.Delivery
	once    sync.Once
	mu      sync.Mutex
	batches []int
	singles int
}

func (q *slowAcks) stall(l store.Lease) {
	if l.Kind == KindDeliver {
		q.once.Do(func() { time.Sleep(300 * time.Millisecond) })
	}
}

func (q *slowAcks) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	q.stall(l)
	q.mu.Lock()
	q.singles++
	q.mu.Unlock()
	return q.Delivery.Ack(ctx, l, next...)
}

// batchAcks adds AckBatch to slowAcks: it counts the batch and hands it to the store beneath.
type batchAcks struct{ *slowAcks }

func (q batchAcks) AckBatch(ctx context.Context, leases []store.Lease, records ...store.DeliveryRecord) error {
	q.stall(leases[0])
	q.mu.Lock()
	q.batches = append(q.batches, len(leases))
	q.mu.Unlock()
	return store.AckBatch(ctx, q.Delivery, leases, records...)
}

// TestCompleter delivers deliver jobs (an activity to each of many inboxes) through a store without
// AckBatch (store.AckBatch's fallback), with a counted AckBatch, and with memstore's own:
// every inbox gets the activity once, every job is acked, every delivery is recorded, and with
// AckBatch the deliveries finished during a flush are acked together.
func TestCompleter(t *testing.T) {
	const inboxes, hosts = 40, 8
	for _, mode := range []string{"ack", "batch", "store"} {
		t.Run(mode, func(t *testing.T) {
			batch := mode == "batch"
			slow := &slowAcks{}
			e := newEnv(t, func(c *Config) {
				slow.Delivery = c.Store
				switch mode {
				case "ack":
					c.Store = slow
				case "batch":
					c.Store = batchAcks{slow}
				}
				c.Workers, c.PerHost = 8, 8
			})
			if _, ok := e.eng.cfg.Store.(store.BatchAcker); ok == (mode == "ack") {
				t.Fatalf("%s: store %T", mode, e.eng.cfg.Store)
			}
			// One object's deliveries to one host go one at a time: several hosts let them overlap.
			var srvs []*inbox
			for range hosts {
				srvs = append(srvs, newInbox(t, nil))
			}
			var acts []Activity
			for i := range inboxes {
				acts = append(acts, Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor,
					Inbox: srvs[i%hosts].url(fmt.Sprintf("/inbox/%d", i))})
			}
			count := func() int {
				n := 0
				for _, s := range srvs {
					n += s.count()
				}
				return n
			}
			e.run(t)
			if err := e.eng.Enqueue(t.Context(), acts...); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "every job acked", func() bool {
				d, err := e.st.Depth(t.Context())
				return err == nil && count() == inboxes && d == (store.QueueDepth{})
			})
			if n := count(); n != inboxes {
				t.Errorf("%d deliveries, want %d", n, inboxes)
			}
			st, err := e.eng.Status(t.Context(), testObject)
			if err != nil {
				t.Fatal(err)
			}
			if st.Total != (Counts{Delivered: inboxes}) {
				t.Errorf("status %+v, want %d delivered", st.Total, inboxes)
			}
			if mode == "store" {
				return // memstore's own acks are not counted; Depth above shows them done
			}
			slow.mu.Lock()
			defer slow.mu.Unlock()
			acked, most := 0, 0
			for _, n := range slow.batches {
				acked += n
				most = max(most, n)
			}
			if got := acked + slow.singles; got != inboxes {
				t.Errorf("%d acks (%d batched, %d single), want %d", got, acked, slow.singles, inboxes)
			}
			if batch && most < 2 {
				t.Errorf("batches %v: no two deliveries acked together", slow.batches)
			}
			if !batch && len(slow.batches) != 0 {
				t.Errorf("AckBatch used on a queue without it: %v", slow.batches)
			}
		})
	}
}

// TestCompleterWindow checks the gather window on a completer of its own over a batchAcks queue:
// deliveries finished within the window are written in one flush, a full batch is flushed without
// waiting the window out, and one finished after the window goes in a flush of its own.
func TestCompleterWindow(t *testing.T) {
	e := newEnv(t, nil)
	acks := &slowAcks{Delivery: e.st}
	acks.once.Do(func() {}) // no stall
	e.eng.cfg.Store = batchAcks{acks}
	ctx := t.Context()
	// flushes returns the sizes of the flushes: AckBatch calls, and single Acks (a flush of one).
	flushes := func() []int {
		acks.mu.Lock()
		defer acks.mu.Unlock()
		out := slices.Clone(acks.batches)
		for range acks.singles {
			out = append(out, 1)
		}
		return out
	}
	tests := []struct {
		name   string
		window time.Duration
		// gaps are the pauses before each completion after the first.
		gaps []time.Duration
		want []int
	}{
		{"two within the window: one flush", 300 * time.Millisecond, []time.Duration{50 * time.Millisecond}, []int{2}},
		{"a full batch does not wait", time.Hour, make([]time.Duration, maxBatch-1), []int{maxBatch}},
		{"one after the window: two flushes", 10 * time.Millisecond, []time.Duration{200 * time.Millisecond}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acks.mu.Lock()
			acks.batches, acks.singles = nil, 0
			acks.mu.Unlock()
			c := e.eng.newCompleter()
			c.window = func(time.Duration) time.Duration { return tt.window }
			stopped := make(chan struct{})
			go func() { c.run(ctx); close(stopped) }()
			ls := e.leaseDeliveries(t, len(tt.gaps)+1)
			var wg sync.WaitGroup
			for i, l := range ls {
				if i > 0 {
					time.Sleep(tt.gaps[i-1])
				}
				wg.Go(func() { c.complete(l, true, store.DeliveryRecord{}) })
			}
			wg.Wait() // every completion was written: complete returns only then
			close(c.in)
			<-stopped
			if got := flushes(); !slices.Equal(got, tt.want) {
				t.Errorf("flushes %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGatherFor checks that a flush waits in proportion to what the previous one cost, up to
// gatherWindow: a store whose flushes are free does not hold its workers back.
func TestGatherFor(t *testing.T) {
	tests := []struct{ last, want time.Duration }{
		{0, 0},
		{10 * time.Microsecond, 40 * time.Microsecond},
		{time.Millisecond, 4 * time.Millisecond},
		{time.Second, gatherWindow},
	}
	for _, tt := range tests {
		if got := gatherFor(tt.last); got != tt.want {
			t.Errorf("gatherFor(%v) = %v, want %v", tt.last, got, tt.want)
		}
	}
}

// TestCompleterAllWorkers checks that once every worker has handed over a delivery, the flush
// does not wait out its window: no other delivery can come before it lets them go.
func TestCompleterAllWorkers(t *testing.T) {
	const workers = 3
	e := newEnv(t, func(c *Config) { c.Workers = workers })
	acks := &slowAcks{Delivery: e.st}
	acks.once.Do(func() {}) // no stall
	e.eng.cfg.Store = batchAcks{acks}
	ctx := t.Context()
	ls := e.leaseDeliveries(t, workers)
	c := e.eng.newCompleter()
	c.window = func(time.Duration) time.Duration { return time.Hour }
	go c.run(ctx)
	defer close(c.in)
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, l := range ls {
			wg.Go(func() { c.complete(l, true, store.DeliveryRecord{}) })
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the flush waited for a fourth delivery that no worker could hand over")
	}
	acks.mu.Lock()
	defer acks.mu.Unlock()
	if !slices.Equal(acks.batches, []int{workers}) {
		t.Errorf("flushes %v, want one of %d", acks.batches, workers)
	}
}
