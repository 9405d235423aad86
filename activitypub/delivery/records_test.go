package delivery

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// slowQueued is a store whose "queued" records take a while to write, as a busy store's might:
// long enough for a fast worker to deliver a job before its "queued" record lands.
type slowQueued struct{ store.Delivery }

func (s slowQueued) RecordDelivery(ctx context.Context, records ...store.DeliveryRecord) error {
	for _, r := range records {
		if r.State == store.DeliveryQueued {
			time.Sleep(300 * time.Millisecond)
			break
		}
	}
	return s.Delivery.RecordDelivery(ctx, records...)
}

// TestRecordsTellTheTruth enqueues a thousand direct deliveries from many callers while Run
// delivers them to a fast inbox, and checks that every record ends "delivered": none is left
// "queued" by a late write after its delivery succeeded.
func TestRecordsTellTheTruth(t *testing.T) {
	const callers, each = 100, 10
	in := newInbox(t, nil)
	e := newEnv(t, func(c *Config) {
		c.Store = slowQueued{c.Store}
		c.Workers, c.PerHost = 16, 16
	})
	e.run(t)
	inboxes := make([]string, callers*each)
	for i := range inboxes {
		inboxes[i] = in.url(fmt.Sprintf("/inbox/%d", i))
	}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := c * each; i < (c+1)*each; i++ {
				// An object each, so that no ordering key lines the deliveries up.
				a := Activity{ID: testActivity, ObjectID: objectOf(i), ActorID: testActor, Inbox: inboxes[i]}
				if err := e.eng.Enqueue(t.Context(), a); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// A thousand signed deliveries take a while on a loaded machine: wait up to two minutes.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		d, err := e.st.Depth(t.Context())
		if err == nil && d == (store.QueueDepth{}) && in.count() >= len(inboxes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %d of %d deliveries, queue %+v", in.count(), len(inboxes), d)
		}
	}
	stale := 0
	for i, inbox := range inboxes {
		states, err := e.st.DeliveryStates(t.Context(), objectOf(i), testActivity, inbox)
		if err != nil {
			t.Fatal(err)
		}
		if s := states[0]; s != store.DeliveryDelivered {
			if stale < 5 {
				t.Errorf("record of %s: %q, want delivered", inboxes[i], s)
			}
			stale++
		}
	}
	t.Logf("%d deliveries, %d records not \"delivered\"", len(inboxes), stale)
	if stale > 0 {
		t.Errorf("%d of %d records not \"delivered\" after every inbox accepted", stale, len(inboxes))
	}
}

// objectOf names the object of the test's i-th delivery.
func objectOf(i int) string { return fmt.Sprintf("%s/%d", testObject, i) }
