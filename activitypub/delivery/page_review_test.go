package delivery

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// cancelOnPageLease is a queue that cancels Run's context as soon as it has leased a page job, so
// that Run stops while its lease loop opens the page.
type cancelOnPageLease struct {
	store.Queue
	cancel context.CancelFunc
}

func (q *cancelOnPageLease) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	ls, err := q.Queue.Lease(ctx, max, visibility)
	for _, l := range ls {
		if l.Kind == KindPage {
			q.cancel()
		}
	}
	return ls, err
}

// TestPageOpenedAsRunStops: a page job leased just as Run stops, whose opening fails for that
// reason alone, goes back to the queue at once and without a failed attempt, as the other jobs
// Run leased and did not start do, rather than stay leased until its lease ends (holding back the
// same page of the object's later activities meanwhile).
func TestPageOpenedAsRunStops(t *testing.T) {
	in := newInbox(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	q := &cancelOnPageLease{cancel: cancel}
	e := newEnv(t, func(c *Config) {
		q.Queue = c.Store
		c.Store = withQueue(c.Store, q)
	})
	inboxes := []string{in.url("/inbox/0"), in.url("/inbox/1")}
	e.enqueuePage(t, testActivity, inboxes...)
	if err := e.eng.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	d, err := e.st.Depth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d != (store.QueueDepth{Ready: 1}) {
		t.Fatalf("queue %+v once Run returned, want the page job ready again", d)
	}
	ls, err := e.st.Lease(t.Context(), 1, time.Minute)
	if err != nil || len(ls) != 1 {
		t.Fatalf("Lease = %v, %v", ls, err)
	}
	if n := failures(task{l: ls[0]}); n != 0 || ls[0].Kind != KindPage {
		t.Errorf("%s job back with %d failed attempts (%q), want the page with none", ls[0].Kind, n, ls[0].LastError)
	}
	if n := in.count(); n != 0 {
		t.Errorf("%d deliveries made by a Run that stopped before it opened the page", n)
	}
}

// cancelOnHostOK is a delivery store that cancels Run's context when a delivery resets its host's
// failures: Run stops just after the host answered.
type cancelOnHostOK struct {
	store.Delivery
	cancel context.CancelFunc
}

func (h *cancelOnHostOK) HostSucceeded(ctx context.Context, host string) error {
	h.cancel()
	return h.Delivery.HostSucceeded(ctx, host)
}

// TestPageFailureAsRunStops: a page's delivery that fails for good (refused, or the inbox gone)
// just as Run stops is still recorded failed. It settles the page, which is then acked, so no
// later run will ever send it or record it: without the record it would stay "queued" for good.
func TestPageFailureAsRunStops(t *testing.T) {
	tests := []struct {
		name string
		code int
	}{
		{"refused", http.StatusForbidden},
		{"gone", http.StatusGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInbox(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(tt.code)
				return true
			})
			ctx, cancel := context.WithCancel(t.Context())
			e := newEnv(t, func(c *Config) { c.Store = &cancelOnHostOK{Delivery: c.Store, cancel: cancel} })
			// One earlier failure, so that the host's answer resets its state (HostSucceeded).
			if _, err := e.st.HostFailed(t.Context(), hostOf(in), time.Now()); err != nil {
				t.Fatal(err)
			}
			inbox := in.url("/inbox")
			e.enqueuePage(t, testActivity, inbox)
			if err := e.eng.Run(ctx); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if n := in.count(); n != 1 {
				t.Fatalf("%d deliveries, want 1", n)
			}
			d, err := e.st.Depth(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if d != (store.QueueDepth{}) {
				t.Fatalf("queue %+v, want the page acked", d)
			}
			states, err := e.st.DeliveryStates(t.Context(), testObject, testActivity, inbox)
			if err != nil {
				t.Fatal(err)
			}
			if states[0] != store.DeliveryFailed {
				t.Errorf("delivery recorded %q once the page was acked, want %q", states[0], store.DeliveryFailed)
			}
		})
	}
}

// TestPageStopsAnywhere stops Run at varied moments of a fan-out over slow inboxes, several
// times, then lets a last Run finish: every inbox gets the activity, and every record ends
// "delivered", whatever was under way at each stop.
func TestPageStopsAnywhere(t *testing.T) {
	in := newInbox(t, func(n int, _ http.ResponseWriter, _ *http.Request) bool {
		time.Sleep(time.Duration(n%7) * time.Millisecond)
		return false
	})
	e := newEnv(t, func(c *Config) {
		c.PageSize, c.Workers, c.PerHost = 9, 4, 3
		// Jobs under way at a stop stay leased until their lease ends: keep that short.
		c.RequestTimeout, c.LeaseTimeout = 200*time.Millisecond, time.Second
	})
	const followers = 60
	want := make(map[string]bool)
	for i := range followers {
		inbox := in.url(fmt.Sprintf("/inbox/%02d", i))
		e.follow(t, fmt.Sprintf("https://remote.test/u/%d", i), inbox)
		want[inbox] = true
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(3+5*i)*time.Millisecond)
		err := e.eng.Run(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Run %d: %v", i, err)
		}
	}
	e.run(t)
	waitFor(t, "every inbox delivered", func() bool {
		d, err := e.st.Depth(t.Context())
		if err != nil || d != (store.QueueDepth{}) {
			return false
		}
		st, err := e.eng.Status(t.Context(), testObject)
		return err == nil && st.Total == Counts{Delivered: followers}
	})
	for _, h := range in.snapshot() {
		delete(want, in.url(h.path))
	}
	if len(want) != 0 {
		t.Errorf("%d inboxes never got the activity: %v", len(want), want)
	}
}

// cancelOnDocument is a Documents store that cancels Run's context while a delivery loads its
// activity, and fails as a store would then.
type cancelOnDocument struct {
	Documents
	cancel context.CancelFunc
}

func (d *cancelOnDocument) Object(ctx context.Context, id string) (store.Object, error) {
	d.cancel()
	<-ctx.Done()
	return store.Object{}, ctx.Err()
}

// TestPageDeliveryCutByStop: a page's delivery that fails only because Run is stopping is put
// back as it was, not counted as a failed attempt nor recorded "retrying" with the cancellation
// for its error.
func TestPageDeliveryCutByStop(t *testing.T) {
	in := newInbox(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e := newEnv(t, func(c *Config) { c.Documents = &cancelOnDocument{Documents: c.Documents, cancel: cancel} })
	inbox := in.url("/inbox")
	e.enqueuePage(t, testActivity, inbox)
	if err := e.eng.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ls, err := e.st.Lease(t.Context(), 1, time.Minute)
	if err != nil || len(ls) != 1 {
		t.Fatalf("Lease = %v, %v; want the delivery put back, ready at once", ls, err)
	}
	j, err := decode(ls[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := failures(j); ls[0].Kind != KindDeliver || j.p.Inbox != inbox || n != 0 {
		t.Errorf("put back %s job to %s with %d failed attempts, want the delivery with none", ls[0].Kind, j.p.Inbox, n)
	}
	states, err := e.st.DeliveryStates(t.Context(), testObject, testActivity, inbox)
	if err != nil {
		t.Fatal(err)
	}
	if states[0] == store.DeliveryRetrying {
		t.Errorf("delivery recorded %q, want it left as it was", states[0])
	}
	if s, _ := e.eng.Stats(t.Context()); s.Retried != 0 {
		t.Errorf("Retried %d, want 0", s.Retried)
	}
}
