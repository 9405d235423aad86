package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// enqueuePage puts a page job for the test activity in the store, as a fan-out would.
func (e *env) enqueuePage(t *testing.T, activity string, inboxes ...string) {
	t.Helper()
	j, err := pageJob(payload{Activity: activity, Object: testObject, Actor: testActor, Inboxes: inboxes})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Enqueue(t.Context(), j); err != nil {
		t.Fatal(err)
	}
}

// paths lists the paths an inbox server was posted to, in order.
func paths(in *inbox) []string {
	var ps []string
	for _, h := range in.snapshot() {
		ps = append(ps, h.path)
	}
	return ps
}

// TestPageResumes runs a page job whose deliveries an earlier run (a crashed instance) partly
// recorded: only those not recorded as delivered or failed are sent.
func TestPageResumes(t *testing.T) {
	e := newEnv(t, nil)
	in := newInbox(t, nil)
	var inboxes []string
	for i := range 6 {
		inboxes = append(inboxes, in.url(fmt.Sprintf("/inbox/%d", i)))
	}
	states := []store.DeliveryState{store.DeliveryDelivered, store.DeliveryFailed, store.DeliveryRetrying, store.DeliveryQueued}
	var recs []store.DeliveryRecord
	for i, s := range states {
		recs = append(recs, newRecord(payload{Activity: testActivity, Object: testObject, Inbox: inboxes[i]}, hostOf(in), s, 1, "", time.Now()))
	}
	if err := e.st.RecordDelivery(t.Context(), recs...); err != nil {
		t.Fatal(err)
	}
	e.enqueuePage(t, testActivity, inboxes...)
	e.run(t)
	waitFor(t, "the page", func() bool {
		d, err := e.st.Depth(t.Context())
		return err == nil && d == store.QueueDepth{} && in.count() >= 4
	})
	got := paths(in)
	slices.Sort(got)
	if want := []string{"/inbox/2", "/inbox/3", "/inbox/4", "/inbox/5"}; !slices.Equal(got, want) {
		t.Errorf("posted to %v, want %v: the inboxes not recorded delivered or failed, once each", got, want)
	}
	st, err := e.eng.Status(t.Context(), testObject)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != (Counts{Delivered: 5, Failed: 1}) {
		t.Errorf("status %+v, want 5 delivered and the failed one kept", st.Total)
	}
}

// TestPageKeepsOrder: a page's delivery to a host that still has a deliver job of the same object
// (an earlier activity's retry) waits behind it, while the page's other hosts get theirs at once.
func TestPageKeepsOrder(t *testing.T) {
	e := newEnv(t, nil)
	behind, free := newInbox(t, nil), newInbox(t, nil)
	const del = "https://site.test/ap/activities/2"
	if err := e.st.PutObject(t.Context(), store.Object{ID: del, ActorID: testActor, Type: "Delete",
		Document: []byte(`{"id":"` + del + `","type":"Delete"}`)}); err != nil {
		t.Fatal(err)
	}
	// The Create's delivery to the first host is waiting for its retry.
	create, err := deliverJob(payload{Activity: testActivity, Object: testObject, Actor: testActor, Inbox: behind.url("/inbox/a"), Failed: 1})
	if err != nil {
		t.Fatal(err)
	}
	create.NotBefore = time.Now().Add(700 * time.Millisecond)
	if err := e.st.Enqueue(t.Context(), create); err != nil {
		t.Fatal(err)
	}
	e.enqueuePage(t, del, behind.url("/inbox/b"), free.url("/inbox"))
	e.run(t)
	waitFor(t, "the free host", func() bool { return free.count() == 1 })
	if n := behind.count(); n != 0 {
		t.Fatalf("%d deliveries to the host with a pending retry before that retry", n)
	}
	waitFor(t, "both deliveries to the waiting host", func() bool { return behind.count() == 2 })
	h := behind.snapshot()
	if !strings.Contains(h[0].body, "Create") || !strings.Contains(h[1].body, "Delete") {
		t.Errorf("the waiting host got %q then %q, want the Create then the Delete", h[0].body, h[1].body)
	}
}

// TestPagePutsBack runs a page whose deliveries cannot all go out from memory, to a host already
// at its PerHost limit (rather than hold a worker slot while it waits). One page ack puts them back
// as deliver jobs, and every inbox still gets the activity once.
func TestPagePutsBack(t *testing.T) {
	in := newInbox(t, func(_ int, _ http.ResponseWriter, _ *http.Request) bool {
		time.Sleep(40 * time.Millisecond)
		return false
	})
	q := &pageAcks{}
	e := newEnv(t, func(c *Config) {
		q.Queue = c.Store
		c.Store = withQueue(c.Store, q)
		c.Workers, c.PerHost = 4, 1
	})
	wantOnePutBack(t, e, q, in, 6)
}

// TestPageLeaseLapsing runs a page whose lease the heartbeat cannot extend, on a test clock that
// each delivery moves on by a second: once less than a beat (a third of the lease) is left, the
// page hands out no more deliveries and puts the rest back, rather than let another instance run
// the page again while they are under way.
func TestPageLeaseLapsing(t *testing.T) {
	start := time.Now().Truncate(time.Millisecond)
	clk := &clock{begin: start, now: start}
	in := newInbox(t, func(_ int, _ http.ResponseWriter, _ *http.Request) bool {
		clk.advance(clk.Now().Add(time.Second))
		return false
	})
	q := &pageAcks{}
	e := newEnvAt(t, clk.Now, func(c *Config) {
		q.Queue = noExtend{c.Store}
		c.Store = withQueue(c.Store, q)
		// 9 s leases, 3 s beats: the page may hand out deliveries for 6 of its 12 seconds.
		c.LeaseTimeout = 9 * time.Second
		c.Workers, c.PerHost = 1, 30 // the inboxes wait for the worker, not for their host
	})
	wantOnePutBack(t, e, q, in, 12)
}

// noExtend is a queue whose leases the heartbeat cannot extend.
type noExtend struct{ store.Queue }

func (noExtend) Extend(_ context.Context, l store.Lease, _ time.Duration) (store.Lease, error) {
	return l, errors.New("extend: store unreachable")
}

// wantOnePutBack runs a page of n inboxes on in and checks that each gets the activity once and
// that the page's one ack put back some of them, not all.
func wantOnePutBack(t *testing.T, e *env, q *pageAcks, in *inbox, n int) {
	t.Helper()
	var inboxes []string
	for i := range n {
		inboxes = append(inboxes, in.url(fmt.Sprintf("/inbox/%d", i)))
	}
	e.enqueuePage(t, testActivity, inboxes...)
	e.run(t)
	wantOnce(t, e, in, inboxes)
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.putBack) != 1 || q.putBack[0] == 0 || q.putBack[0] == len(inboxes) || q.failed != 0 {
		t.Errorf("page acks put back %v jobs (%d failed), want one ack putting back some of the %d deliveries", q.putBack, q.failed, len(inboxes))
	}
}

// wantOnce waits for the queue to empty and checks that every inbox got one delivery.
func wantOnce(t *testing.T, e *env, in *inbox, inboxes []string) {
	t.Helper()
	waitFor(t, "every inbox", func() bool {
		d, err := e.st.Depth(t.Context())
		return err == nil && d == store.QueueDepth{} && in.count() >= len(inboxes)
	})
	got := paths(in)
	slices.Sort(got)
	want := slices.Clone(inboxes)
	for i := range want {
		want[i] = strings.TrimPrefix(want[i], in.srv.URL)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("posted to %v, want each inbox once", got)
	}
}

// pageAcks is a queue that records how many deliver jobs each page ack put back.
type pageAcks struct {
	store.Queue
	mu      sync.Mutex
	putBack []int
	failed  int
}

func (q *pageAcks) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	err := q.Queue.Ack(ctx, l, next...)
	if l.Kind == KindPage {
		q.mu.Lock()
		q.putBack = append(q.putBack, len(next))
		if err != nil {
			q.failed++
		}
		q.mu.Unlock()
	}
	return err
}

// TestBehind: an activity that stays behind earlier ones of its object (a Delete behind its Create)
// reaches an inbox only once the earlier activity's delivery there has settled, wherever that
// delivery is: a page's in memory, invisible to the queue's ordering keys, or a retry.
func TestBehind(t *testing.T) {
	const del = "https://site.test/ap/activities/2"
	tests := []struct {
		name string
		// run publishes the Create and then the Delete (behind it) to the inbox server.
		run func(t *testing.T, e *env, in *inbox, started <-chan struct{})
	}{
		{"direct delivery behind a page", func(t *testing.T, e *env, in *inbox, started <-chan struct{}) {
			e.follow(t, "https://remote.test/u/x", in.url("/inbox/x"))
			if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
				t.Fatal(err)
			}
			<-started // the Create's page is posting
			if err := e.eng.Enqueue(t.Context(), Activity{ID: del, ObjectID: testObject, ActorID: testActor,
				Inbox: in.url("/inbox/x"), Behind: []string{testActivity}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"page behind a page", func(t *testing.T, e *env, in *inbox, started <-chan struct{}) {
			e.follow(t, "https://remote.test/u/x", in.url("/inbox/x"))
			if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
				t.Fatal(err)
			}
			<-started
			// The Delete's page numbers can differ from the Create's (followers came and went):
			// this page shares no ordering key with the Create's.
			e.enqueuePageBehind(t, del, []string{testActivity}, in.url("/inbox/x"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			// The Create's first post hangs a while, then fails: it is retried after the Delete
			// was queued.
			in := newInbox(t, func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n == 0 {
					started <- struct{}{}
					time.Sleep(200 * time.Millisecond)
					w.WriteHeader(http.StatusInternalServerError)
					return true
				}
				return false
			})
			e := newEnv(t, nil)
			if err := e.st.PutObject(t.Context(), store.Object{ID: del, ActorID: testActor, Type: "Delete",
				Document: []byte(`{"id":"` + del + `","type":"Delete"}`)}); err != nil {
				t.Fatal(err)
			}
			e.run(t)
			tt.run(t, e, in, started)
			waitFor(t, "the Create's retry and the Delete", func() bool {
				n := 0
				for _, h := range in.snapshot() {
					if h.path == "/inbox/x" {
						n++
					}
				}
				return n >= 3
			})
			var kinds []string
			for _, h := range in.snapshot() {
				if h.path != "/inbox/x" {
					continue
				}
				if strings.Contains(h.body, "Delete") {
					kinds = append(kinds, "Delete")
				} else {
					kinds = append(kinds, "Create")
				}
			}
			if want := []string{"Create", "Create", "Delete"}; !slices.Equal(kinds, want) {
				t.Errorf("the inbox got %v, want %v: the failed Create, its retry, then the Delete", kinds, want)
			}
		})
	}
}

// enqueuePageBehind puts a page job of the test object for activity in the store, staying behind
// the given activities.
func (e *env) enqueuePageBehind(t *testing.T, activity string, behind []string, inboxes ...string) {
	t.Helper()
	j, err := pageJob(payload{Activity: activity, Object: testObject, Actor: testActor, Inboxes: inboxes, Page: 7, Behind: behind})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Enqueue(t.Context(), j); err != nil {
		t.Fatal(err)
	}
}

// brokenKeys is a queue whose UnfinishedKeys always fails, so that no page can open.
type brokenKeys struct{ store.Queue }

func (brokenKeys) UnfinishedKeys(context.Context, ...string) ([]string, error) {
	return nil, errors.New("unfinished keys: broken")
}

// TestPageGivenUp: a page job that cannot open is retried per the policy, then dead-lettered, and
// its deliveries not yet recorded delivered or failed are recorded failed rather than left
// "queued" for good.
func TestPageGivenUp(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Store = withQueue(c.Store, brokenKeys{c.Store}) })
	in := newInbox(t, nil)
	inboxes := []string{in.url("/inbox/0"), in.url("/inbox/1"), in.url("/inbox/2")}
	done := newRecord(payload{Activity: testActivity, Object: testObject, Inbox: inboxes[0]}, hostOf(in), store.DeliveryDelivered, 1, "", time.Now())
	if err := e.st.RecordDelivery(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	e.enqueuePage(t, testActivity, inboxes...)
	e.run(t)
	waitFor(t, "the page dead-lettered", func() bool {
		d, err := e.st.Depth(t.Context())
		return err == nil && d == store.QueueDepth{Dead: 1}
	})
	waitFor(t, "its records", func() bool {
		states, err := e.st.DeliveryStates(t.Context(), testObject, testActivity, inboxes...)
		return err == nil && slices.Equal(states, []store.DeliveryState{store.DeliveryDelivered, store.DeliveryFailed, store.DeliveryFailed})
	})
	if n := in.count(); n != 0 {
		t.Errorf("%d deliveries from a page that never opened", n)
	}
}
