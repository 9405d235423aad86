package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var queueTests = []deliveryTest{
	{"EnqueueLeaseAck", testEnqueueLeaseAck},
	{"LeaseMaxOldestFirst", testLeaseMax},
	{"LeaseArguments", testLeaseArguments},
	{"EnqueueConflict", testEnqueueConflict},
	{"VisibilityExpiryReleases", testVisibilityExpiry},
	{"LateAckBeforeRelease", testLateAck},
	{"ExtendKeepsLease", testExtend},
	{"ExtendLostLease", testExtendLost},
	{"ReleaseLeases", testReleaseLeases},
	{"AckWithNextIsAtomic", testAckWithNext},
	{"RetryDelaysAndCounts", testRetry},
	{"NotBeforeRespected", testNotBefore},
	{"DeadLetter", testDeadLetter},
	{"OrderingKeys", testOrderingKeys},
	{"OrderingKeyDeadLetterFreesNext", testOrderingDeadLetter},
	{"ConcurrentLeasers", testConcurrentLeasers},
	{"Depth", testDepth},
	{"AckBatch", testAckBatch},
	{"AckBatchShapes", testAckBatchShapes},
	{"UnfinishedKeys", testUnfinishedKeys},
	{"CancelledIsReported", testQueueCancelled},
}

// queueOf returns the store's queue.
func queueOf(_ *testing.T, s store.Delivery) store.Queue { return s }

func job(kind, key string, n int) store.Job {
	return store.Job{Kind: kind, OrderingKey: key, Payload: []byte(fmt.Sprintf("payload %d\x00\xff", n))}
}

func lease(t *testing.T, q store.Queue, max int, vis time.Duration) []store.Lease {
	t.Helper()
	ls, err := q.Lease(ctx(t), max, vis)
	must(t, "Lease", err)
	return ls
}

func payloads(ls []store.Lease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, string(l.Payload))
	}
	return out
}

func wantPayloads(t *testing.T, step string, ls []store.Lease, want ...store.Job) {
	t.Helper()
	var w []string
	for _, j := range want {
		w = append(w, string(j.Payload))
	}
	if got := payloads(ls); !slices.Equal(got, w) {
		t.Errorf("%s: leased %q, want %q", step, got, w)
	}
}

func wantDepth(t *testing.T, step string, q store.Queue, want store.QueueDepth) {
	t.Helper()
	got, err := q.Depth(ctx(t))
	must(t, "Depth", err)
	if got != want {
		t.Errorf("%s: Depth = %+v, want %+v", step, got, want)
	}
}

func testEnqueueLeaseAck(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	named := job("deliver", "", 1)
	named.ID = "job-named"
	jobs := []store.Job{named, job("deliver", "k", 2), job("fanout", "", 3), {Kind: "empty"}}
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs...))
	start := clk.Now()
	ls := lease(t, q, 10, time.Minute)
	wantPayloads(t, "first lease", ls, jobs...)
	ids := map[string]bool{}
	for i, l := range ls {
		if l.ID == "" || ids[l.ID] {
			t.Errorf("lease %d: ID %q is empty or repeated", i, l.ID)
		}
		ids[l.ID] = true
		if l.Kind != jobs[i].Kind || l.OrderingKey != jobs[i].OrderingKey || !bytes.Equal(l.Payload, jobs[i].Payload) {
			t.Errorf("lease %d = %+v, want the fields of %+v", i, l.Job, jobs[i])
		}
		if l.Attempts != 0 || l.LastError != "" || !recent(l.EnqueuedAt) || !l.NotBefore.IsZero() {
			t.Errorf("lease %d: Attempts %d, LastError %q, EnqueuedAt %v, NotBefore %v; want 0, \"\", now, zero",
				i, l.Attempts, l.LastError, l.EnqueuedAt, l.NotBefore)
		}
		if l.Token == "" {
			t.Errorf("lease %d has no token", i)
		}
		if d := l.Until.Sub(start); d != time.Minute {
			t.Errorf("lease %d: Until is %v after the call, want a minute", i, d)
		}
	}
	if ls[0].ID != named.ID {
		t.Errorf("ID = %q, want the given %q", ls[0].ID, named.ID)
	}
	if again := lease(t, q, 10, time.Minute); len(again) != 0 {
		t.Errorf("second lease while all are leased = %q, want none", payloads(again))
	}
	wantDepth(t, "all leased", q, store.QueueDepth{Leased: 4})
	for _, l := range ls {
		must(t, "Ack", q.Ack(ctx(t), l))
	}
	wantDepth(t, "all acked", q, store.QueueDepth{})
	wantErr(t, "Ack(again)", q.Ack(ctx(t), ls[0]), store.ErrLeaseLost)
	wantErr(t, "Retry(acked)", q.Retry(ctx(t), ls[1], clk.Now(), "x"), store.ErrLeaseLost)
	wantErr(t, "DeadLetter(acked)", q.DeadLetter(ctx(t), ls[2], "x"), store.ErrLeaseLost)
	forged := store.Lease{Job: store.Job{ID: "never-enqueued"}, Token: "t"}
	wantErr(t, "Ack(unknown)", q.Ack(ctx(t), forged), store.ErrLeaseLost)
	// An acked ID may be used again.
	must(t, "Enqueue(reused ID)", q.Enqueue(ctx(t), named))
	wantPayloads(t, "lease of the reused ID", lease(t, q, 10, time.Minute), named)
}

func testLeaseMax(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	var jobs []store.Job
	for i := range 5 {
		jobs = append(jobs, job("deliver", "", i))
	}
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs[:3]...))
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs[3:]...))
	wantPayloads(t, "lease 1", lease(t, q, 2, time.Minute), jobs[0], jobs[1])
	wantPayloads(t, "lease 2", lease(t, q, 2, time.Minute), jobs[2], jobs[3])
	wantPayloads(t, "lease 3", lease(t, q, 2, time.Minute), jobs[4])
	wantPayloads(t, "lease 4", lease(t, q, 2, time.Minute))
}

func testLeaseArguments(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	must(t, "Enqueue", q.Enqueue(ctx(t), job("deliver", "", 1)))
	for _, c := range []struct {
		max int
		vis time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, -time.Second}} {
		if ls, err := q.Lease(ctx(t), c.max, c.vis); err == nil {
			t.Errorf("Lease(%d, %v) = %d leases, nil error; want an error", c.max, c.vis, len(ls))
		}
	}
	wantDepth(t, "after refused leases", q, store.QueueDepth{Ready: 1})
}

func testEnqueueConflict(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	a := job("deliver", "", 1)
	a.ID = "job-a"
	must(t, "Enqueue", q.Enqueue(ctx(t), a))
	b := job("deliver", "", 2)
	wantErr(t, "Enqueue(queued ID)", q.Enqueue(ctx(t), b, a), store.ErrConflict)
	b.ID = "job-b"
	wantErr(t, "Enqueue(ID twice)", q.Enqueue(ctx(t), b, b), store.ErrConflict)
	wantDepth(t, "after refused enqueues", q, store.QueueDepth{Ready: 1})
	ls := lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease", ls, a)
	wantErr(t, "Enqueue(leased ID)", q.Enqueue(ctx(t), a), store.ErrConflict)
}

func testVisibilityExpiry(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	j := job("deliver", "", 1)
	must(t, "Enqueue", q.Enqueue(ctx(t), j))
	first := lease(t, q, 1, msec(200))
	wantPayloads(t, "first lease", first, j)
	wantPayloads(t, "lease within the visibility", lease(t, q, 1, msec(200)))
	clk.Advance(msec(350))
	wantDepth(t, "after the visibility", q, store.QueueDepth{Ready: 1})
	second := lease(t, q, 1, time.Minute)
	wantPayloads(t, "lease after the visibility", second, j)
	if len(first) != 1 || len(second) != 1 {
		t.FailNow()
	}
	if second[0].ID != first[0].ID || second[0].Token == first[0].Token || second[0].Attempts != 0 {
		t.Errorf("re-lease = id %s token %s attempts %d; want id %s, a new token, 0 attempts",
			second[0].ID, second[0].Token, second[0].Attempts, first[0].ID)
	}
	wantErr(t, "Ack(old lease)", q.Ack(ctx(t), first[0]), store.ErrLeaseLost)
	wantErr(t, "Retry(old lease)", q.Retry(ctx(t), first[0], clk.Now(), "x"), store.ErrLeaseLost)
	wantErr(t, "DeadLetter(old lease)", q.DeadLetter(ctx(t), first[0], "x"), store.ErrLeaseLost)
	wantDepth(t, "re-leased", q, store.QueueDepth{Leased: 1})
	must(t, "Ack(new lease)", q.Ack(ctx(t), second[0]))
	wantDepth(t, "acked", q, store.QueueDepth{})
}

func testLateAck(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	must(t, "Enqueue", q.Enqueue(ctx(t), job("deliver", "", 1)))
	ls := lease(t, q, 1, msec(100))
	clk.Advance(msec(200))
	if len(ls) == 1 {
		must(t, "Ack after the visibility, nobody leased it since", q.Ack(ctx(t), ls[0]))
	}
	wantPayloads(t, "lease after the ack", lease(t, q, 1, time.Minute))
}

func testExtend(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	j := job("deliver", "", 1)
	must(t, "Enqueue", q.Enqueue(ctx(t), j))
	ls := lease(t, q, 1, 30*time.Second)
	if len(ls) != 1 {
		t.Fatalf("lease = %d jobs, want 1", len(ls))
	}
	// Two heartbeats, each before the lease ends, carry it well past its first end.
	held := ls[0]
	for beat := range 2 {
		clk.Advance(20 * time.Second)
		ext, err := q.Extend(ctx(t), held, 30*time.Second)
		must(t, fmt.Sprintf("Extend(beat %d)", beat), err)
		if ext.ID != held.ID || ext.Token != held.Token || !ext.Until.Equal(clk.Now().Add(30*time.Second)) {
			t.Errorf("beat %d: Extend = id %s token %s until %v; want id %s, token %s, until %v",
				beat, ext.ID, ext.Token, ext.Until, held.ID, held.Token, clk.Now().Add(30*time.Second))
		}
		held = ext
	}
	clk.Advance(20 * time.Second) // 60 s after the lease, 20 s after the last beat
	wantPayloads(t, "lease by another worker while the lease is extended", lease(t, q, 10, time.Minute))
	wantDepth(t, "extended", q, store.QueueDepth{Leased: 1})
	must(t, "Ack(first lease value, same token)", q.Ack(ctx(t), ls[0]))
	wantDepth(t, "acked", q, store.QueueDepth{})
	_, err := q.Extend(ctx(t), held, time.Minute)
	wantErr(t, "Extend(acked)", err, store.ErrLeaseLost)
}

func testExtendLost(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	must(t, "Enqueue", q.Enqueue(ctx(t), job("deliver", "", 1), job("deliver", "", 2)))
	ls := lease(t, q, 2, 10*time.Second)
	if len(ls) != 2 {
		t.Fatalf("lease = %d jobs, want 2", len(ls))
	}
	if _, err := q.Extend(ctx(t), ls[0], 0); err == nil || errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Extend(visibility 0) = %v, want an argument error", err)
	}
	clk.Advance(11 * time.Second)
	// A lease that ran out and that nobody took since is still current.
	late, err := q.Extend(ctx(t), ls[1], 10*time.Second)
	must(t, "Extend(ran out, not taken)", err)
	again := lease(t, q, 10, time.Minute)
	if len(again) != 1 || again[0].ID != ls[0].ID {
		t.Fatalf("lease after the first lease ran out = %q, want only the job not extended", payloads(again))
	}
	_, err = q.Extend(ctx(t), ls[0], time.Minute)
	wantErr(t, "Extend(taken by another)", err, store.ErrLeaseLost)
	must(t, "Ack(the new holder)", q.Ack(ctx(t), again[0]))
	must(t, "Retry(extended)", q.Retry(ctx(t), late, clk.Now(), "x"))
	_, err = q.Extend(ctx(t), late, time.Minute)
	wantErr(t, "Extend(retried)", err, store.ErrLeaseLost)
	wantDepth(t, "after the retry", q, store.QueueDepth{Ready: 1})
}

func testReleaseLeases(t *testing.T, s store.Delivery, clk *clock) {
	r := capability[store.LeaseReleaser](t, s)
	q := queueOf(t, s)
	jobs := []store.Job{job("deliver", "", 1), job("deliver", "k", 2), job("deliver", "", 3)}
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs...))
	ls := lease(t, q, 2, time.Hour)
	if len(ls) != 2 {
		t.Fatalf("lease = %d jobs, want 2", len(ls))
	}
	ended := lease(t, q, 1, time.Second)
	clk.Advance(2 * time.Second)
	n, err := r.ReleaseLeases(ctx(t))
	must(t, "ReleaseLeases", err)
	if n != 2 {
		t.Errorf("ReleaseLeases = %d, want the 2 leases not ended", n)
	}
	wantDepth(t, "released", q, store.QueueDepth{Ready: 3})
	// Released but not leased again: still current.
	ext, err := q.Extend(ctx(t), ls[1], time.Hour)
	must(t, "Extend(released, not taken)", err)
	must(t, "Ack(released, not taken)", q.Ack(ctx(t), ext))
	again := lease(t, q, 10, time.Hour)
	wantPayloads(t, "lease after the release", again, jobs[0], jobs[2])
	wantErr(t, "Ack(released, taken again)", q.Ack(ctx(t), ls[0]), store.ErrLeaseLost)
	wantErr(t, "Ack(ended, taken again)", q.Ack(ctx(t), ended[0]), store.ErrLeaseLost)
	n, err = r.ReleaseLeases(ctx(t))
	must(t, "ReleaseLeases(again)", err)
	if n != 2 {
		t.Errorf("ReleaseLeases(again) = %d, want 2", n)
	}
}

func testAckWithNext(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	fan := job("fanout", "", 0)
	other := job("deliver", "", 9)
	other.ID = "job-other"
	must(t, "Enqueue", q.Enqueue(ctx(t), fan, other))
	ls := lease(t, q, 1, time.Minute)
	wantPayloads(t, "lease", ls, fan)
	if len(ls) != 1 {
		t.FailNow()
	}
	n1, n2 := job("deliver", "", 1), job("deliver", "", 2)
	clash := job("deliver", "", 3)
	clash.ID = other.ID
	wantErr(t, "Ack with a conflicting next job", q.Ack(ctx(t), ls[0], n1, clash), store.ErrConflict)
	wantDepth(t, "after the refused ack", q, store.QueueDepth{Ready: 1, Leased: 1})
	must(t, "Ack with next", q.Ack(ctx(t), ls[0], n1, n2))
	wantErr(t, "Ack(again, with next)", q.Ack(ctx(t), ls[0], job("deliver", "", 4)), store.ErrLeaseLost)
	wantDepth(t, "after the ack", q, store.QueueDepth{Ready: 3})
	wantPayloads(t, "lease after the ack", lease(t, q, 10, time.Minute), other, n1, n2)
}

func testRetry(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	j := job("deliver", "", 1)
	must(t, "Enqueue", q.Enqueue(ctx(t), j))
	ls := lease(t, q, 1, time.Minute)
	if len(ls) != 1 {
		t.Fatalf("lease = %d jobs, want 1", len(ls))
	}
	at := clk.Now().Add(msec(400)).Truncate(time.Millisecond)
	must(t, "Retry", q.Retry(ctx(t), ls[0], at, "503 from the inbox"))
	wantErr(t, "Ack(retried lease)", q.Ack(ctx(t), ls[0]), store.ErrLeaseLost)
	wantErr(t, "Retry(retried lease)", q.Retry(ctx(t), ls[0], at, "x"), store.ErrLeaseLost)
	wantDepth(t, "retry pending", q, store.QueueDepth{Delayed: 1})
	wantPayloads(t, "lease before the retry time", lease(t, q, 1, time.Minute))
	clk.Advance(at.Sub(clk.Now()) + msec(50))
	again := lease(t, q, 1, time.Minute)
	wantPayloads(t, "lease after the retry time", again, j)
	if len(again) != 1 {
		t.FailNow()
	}
	if again[0].Attempts != 1 || again[0].LastError != "503 from the inbox" || !sameTime(again[0].NotBefore, at) {
		t.Errorf("retried job: Attempts %d, LastError %q, NotBefore %v; want 1, the reason, %v",
			again[0].Attempts, again[0].LastError, again[0].NotBefore, at)
	}
	must(t, "Retry(now)", q.Retry(ctx(t), again[0], clk.Now(), "timeout"))
	third := lease(t, q, 1, time.Minute)
	if len(third) != 1 || third[0].Attempts != 2 || third[0].LastError != "timeout" {
		t.Errorf("second retry leased %+v, want the job with Attempts 2", third)
	}
}

func testNotBefore(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	later := job("deliver", "", 1)
	later.NotBefore = clk.Now().Add(msec(300))
	now := job("deliver", "", 2)
	must(t, "Enqueue", q.Enqueue(ctx(t), later, now))
	wantDepth(t, "before NotBefore", q, store.QueueDepth{Ready: 1, Delayed: 1})
	wantPayloads(t, "lease before NotBefore", lease(t, q, 10, time.Minute), now)
	clk.Advance(later.NotBefore.Sub(clk.Now()) + msec(50))
	wantPayloads(t, "lease after NotBefore", lease(t, q, 10, time.Minute), later)
}

func testDeadLetter(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	j := job("deliver", "", 1)
	must(t, "Enqueue", q.Enqueue(ctx(t), j))
	ls := lease(t, q, 1, msec(100))
	if len(ls) != 1 {
		t.Fatalf("lease = %d jobs, want 1", len(ls))
	}
	must(t, "DeadLetter", q.DeadLetter(ctx(t), ls[0], "410 Gone"))
	wantErr(t, "Ack(dead)", q.Ack(ctx(t), ls[0]), store.ErrLeaseLost)
	wantErr(t, "DeadLetter(again)", q.DeadLetter(ctx(t), ls[0], "x"), store.ErrLeaseLost)
	clk.Advance(msec(200))
	wantPayloads(t, "lease after dead-lettering", lease(t, q, 10, time.Minute))
	wantDepth(t, "dead", q, store.QueueDepth{Dead: 1})
}

func testOrderingKeys(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	create := job("deliver", "obj1 h1", 1)
	del := job("deliver", "obj1 h1", 2)
	other := job("deliver", "obj1 h2", 3)
	free := job("deliver", "", 4)
	must(t, "Enqueue", q.Enqueue(ctx(t), create, del, other, free))
	first := lease(t, q, 10, time.Minute)
	wantPayloads(t, "first lease: heads of each key and unkeyed jobs", first, create, other, free)
	wantDepth(t, "B waits for A", q, store.QueueDepth{Ready: 1, Leased: 3})
	if len(first) != 3 {
		t.FailNow()
	}
	must(t, "Ack(other)", q.Ack(ctx(t), first[1]))
	must(t, "Ack(free)", q.Ack(ctx(t), first[2]))
	wantPayloads(t, "lease while A is leased", lease(t, q, 10, time.Minute))
	must(t, "Retry(A)", q.Retry(ctx(t), first[0], clk.Now().Add(msec(300)), "500"))
	wantPayloads(t, "lease while A waits for its retry", lease(t, q, 10, time.Minute))
	clk.Advance(msec(350))
	again := lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease after A's retry time: A again, not B", again, create)
	if len(again) != 1 {
		t.FailNow()
	}
	must(t, "Ack(A)", q.Ack(ctx(t), again[0]))
	wantPayloads(t, "lease after A is acked", lease(t, q, 10, time.Minute), del)
}

func testOrderingDeadLetter(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	a, b := job("deliver", "k", 1), job("deliver", "k", 2)
	must(t, "Enqueue", q.Enqueue(ctx(t), a))
	ls := lease(t, q, 10, msec(150))
	wantPayloads(t, "lease", ls, a)
	if len(ls) != 1 {
		t.FailNow()
	}
	// A job enqueued behind a leased head waits, also after the head's lease expires.
	must(t, "Enqueue(B)", q.Enqueue(ctx(t), b))
	clk.Advance(msec(250))
	re := lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease after the head's visibility", re, a)
	if len(re) != 1 {
		t.FailNow()
	}
	must(t, "DeadLetter(A)", q.DeadLetter(ctx(t), re[0], "gone"))
	wantPayloads(t, "lease after A is dead", lease(t, q, 10, time.Minute), b)
}

func testConcurrentLeasers(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	const n, workers = 300, 8
	var jobs []store.Job
	for i := range n {
		key := ""
		if i%3 == 0 {
			key = fmt.Sprintf("key%d", i%7)
		}
		j := job("deliver", key, i)
		j.ID = fmt.Sprintf("job-%03d", i)
		jobs = append(jobs, j)
	}
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs...))
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for {
				ls, err := q.Lease(ctx(t), 5, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if len(ls) == 0 {
					return
				}
				for _, l := range ls {
					mu.Lock()
					seen[l.ID]++
					mu.Unlock()
					if err := q.Ack(ctx(t), l); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("worker: %v", err)
	}
	for _, j := range jobs {
		if seen[j.ID] != 1 {
			t.Errorf("job %s leased %d times, want exactly once", j.ID, seen[j.ID])
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct jobs leased, want %d", len(seen), n)
	}
	wantDepth(t, "after the workers", q, store.QueueDepth{})
}

func testDepth(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	wantDepth(t, "empty", q, store.QueueDepth{})
	delayed := job("deliver", "", 3)
	delayed.NotBefore = clk.Now().Add(time.Hour)
	waiting := job("deliver", "k", 5)
	must(t, "Enqueue", q.Enqueue(ctx(t), job("deliver", "", 1), job("deliver", "k", 2), delayed, job("deliver", "", 4), waiting))
	wantDepth(t, "enqueued", q, store.QueueDepth{Ready: 4, Delayed: 1})
	ls := lease(t, q, 2, time.Minute)
	wantDepth(t, "two leased", q, store.QueueDepth{Ready: 2, Delayed: 1, Leased: 2})
	if len(ls) != 2 {
		t.FailNow()
	}
	must(t, "DeadLetter", q.DeadLetter(ctx(t), ls[0], "bad"))
	must(t, "Retry", q.Retry(ctx(t), ls[1], clk.Now().Add(time.Hour), "later"))
	wantDepth(t, "one dead, one retrying", q, store.QueueDepth{Ready: 2, Delayed: 2, Dead: 1})
}

func testQueueCancelled(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	must(t, "Enqueue", q.Enqueue(ctx(t), job("deliver", "", 1)))
	ls := lease(t, q, 1, time.Minute)
	if len(ls) != 1 {
		t.Fatalf("lease = %d jobs, want 1", len(ls))
	}
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"Enqueue", func() error { return q.Enqueue(c, job("deliver", "", 2)) }},
		{"Lease", func() error { _, err := q.Lease(c, 1, time.Minute); return err }},
		{"Ack", func() error { return q.Ack(c, ls[0]) }},
		{"Retry", func() error { return q.Retry(c, ls[0], clk.Now(), "x") }},
		{"DeadLetter", func() error { return q.DeadLetter(c, ls[0], "x") }},
		{"Depth", func() error { _, err := q.Depth(c); return err }},
		{"UnfinishedKeys", func() error { _, err := q.UnfinishedKeys(c, "k"); return err }},
		{"UnfinishedKeys(none)", func() error { _, err := q.UnfinishedKeys(c); return err }},
	}
	for _, cl := range calls {
		if err := cl.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s under a cancelled context: error = %v, want one matching context.Canceled", cl.name, err)
		}
	}
	wantDepth(t, "after the cancelled calls", q, store.QueueDepth{Leased: 1})
	must(t, "Ack", q.Ack(ctx(t), ls[0]))
}

// testAckBatch checks the optional [store.BatchAcker]: current leases are acked, lost ones reported
// without failing the others, and an ordering key's next job is freed.
func testAckBatch(t *testing.T, s store.Delivery, clk *clock) {
	ba := capability[store.BatchAcker](t, s)
	q := queueOf(t, s)
	must(t, "AckBatch(none)", ba.AckBatch(ctx(t), nil))
	jobs := []store.Job{job("deliver", "", 1), job("deliver", "", 2), job("deliver", "k", 3), job("deliver", "", 4)}
	must(t, "Enqueue", q.Enqueue(ctx(t), jobs...))
	next := job("deliver", "k", 5)
	must(t, "Enqueue(after the ordered one)", q.Enqueue(ctx(t), next))
	ls := lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease", ls, jobs...)
	must(t, "Ack(one of the batch)", q.Ack(ctx(t), ls[1]))
	const obj = "https://news.example/articles/batch"
	recs := []store.DeliveryRecord{
		record(obj, "https://news.example/activities/b", "https://a.example/inbox", store.DeliveryDelivered, 1),
		record(obj, "https://news.example/activities/b", "https://b.example/inbox", store.DeliveryDelivered, 2),
	}
	err := ba.AckBatch(ctx(t), ls, recs...)
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("AckBatch with an acked lease: error = %v, want ErrLeaseLost", err)
	}
	if err != nil && !strings.Contains(err.Error(), ls[1].ID) {
		t.Errorf("AckBatch error %q does not name the lost job %s", err, ls[1].ID)
	}
	got := allDeliveries(t, deliveriesOf(t, s), obj, 10)
	if len(got) != len(recs) || !sameRecord(got[0], recs[0]) || !sameRecord(got[1], recs[1]) {
		t.Errorf("records after AckBatch: %+v, want %+v", got, recs)
	}
	ls = lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease after AckBatch", ls, next)
	must(t, "AckBatch(one)", ba.AckBatch(ctx(t), ls))
	d, err := q.Depth(ctx(t))
	must(t, "Depth", err)
	if d != (store.QueueDepth{}) {
		t.Errorf("Depth after AckBatch = %+v, want empty", d)
	}
}

// testAckBatchShapes calls the optional [store.BatchAcker] with batches of every shape: leases only,
// records only, current leases among lost ones (acked before, or leased again since), a lease
// listed twice, and a call under a cancelled context, which writes nothing. Each lost lease is
// reported once, by its job's ID; the others and every record are written.
func testAckBatchShapes(t *testing.T, s store.Delivery, clk *clock) {
	ba := capability[store.BatchAcker](t, s)
	q := queueOf(t, s)
	// leaseNew enqueues n jobs and leases them for vis.
	leaseNew := func(t *testing.T, n int, vis time.Duration) []store.Lease {
		t.Helper()
		jobs := make([]store.Job, n)
		for i := range jobs {
			jobs[i] = job("deliver", "", i)
		}
		must(t, "Enqueue", q.Enqueue(ctx(t), jobs...))
		ls := lease(t, q, n, vis)
		if len(ls) != n {
			t.Fatalf("leased %d jobs, want %d", len(ls), n)
		}
		return ls
	}
	tests := []struct {
		name string
		// prepare leases jobs and returns the call's leases, those of them the call must report
		// lost, and the leases that must still hold their jobs after it.
		prepare func(t *testing.T) (batch, lost, held []store.Lease)
		records int
		cancel  bool
	}{
		{"leases only", func(t *testing.T) (batch, lost, held []store.Lease) {
			return leaseNew(t, 3, time.Minute), nil, nil
		}, 0, false},
		{"records only", func(*testing.T) (batch, lost, held []store.Lease) {
			return nil, nil, nil
		}, 3, false},
		{"current, acked before and leased again", func(t *testing.T) (batch, lost, held []store.Lease) {
			old := leaseNew(t, 2, msec(150))
			clk.Advance(msec(300))
			again := lease(t, q, 2, time.Minute)
			ids := func(ls []store.Lease) []string {
				out := make([]string, len(ls))
				for i, l := range ls {
					out[i] = l.ID
				}
				slices.Sort(out)
				return out
			}
			if !slices.Equal(ids(again), ids(old)) {
				t.Fatalf("lease after the visibility = jobs %q, want %q", ids(again), ids(old))
			}
			acked := leaseNew(t, 1, time.Minute)
			must(t, "Ack", q.Ack(ctx(t), acked[0]))
			cur := leaseNew(t, 2, time.Minute)
			return []store.Lease{cur[0], old[0], acked[0], cur[1], old[1]},
				[]store.Lease{old[0], acked[0], old[1]}, again
		}, 2, false},
		{"a lease twice", func(t *testing.T) (batch, lost, held []store.Lease) {
			ls := leaseNew(t, 2, time.Minute)
			return []store.Lease{ls[0], ls[1], ls[0]}, ls[:1], nil
		}, 1, false},
		{"cancelled context", func(t *testing.T) (batch, lost, held []store.Lease) {
			ls := leaseNew(t, 2, time.Minute)
			return ls, nil, ls
		}, 2, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			batch, lost, held := tc.prepare(t)
			obj := fmt.Sprintf("https://news.example/articles/shape-%d", i)
			var recs []store.DeliveryRecord
			for n := range tc.records {
				recs = append(recs, record(obj, obj+"#create", fmt.Sprintf("https://%c.example/inbox", 'a'+n),
					store.DeliveryDelivered, n+1))
			}
			c := ctx(t)
			if tc.cancel {
				var cancel context.CancelFunc
				c, cancel = context.WithCancel(c)
				cancel()
			}
			err := ba.AckBatch(c, batch, recs...)
			switch {
			case tc.cancel:
				wantErr(t, "AckBatch under a cancelled context", err, context.Canceled)
				recs = nil
			case len(lost) == 0:
				must(t, "AckBatch", err)
			default:
				wantLost(t, err, batch, lost)
			}
			wantRecords(t, len(recs), allDeliveries(t, deliveriesOf(t, s), obj, 10), recs)
			wantDepth(t, "after AckBatch", q, store.QueueDepth{Leased: len(held)})
			for _, l := range held {
				must(t, "Ack(a lease AckBatch left alone)", q.Ack(ctx(t), l))
			}
		})
	}
}

// wantLost checks the error of an AckBatch of batch that had to report lost: it wraps
// [store.ErrLeaseLost] once per lost lease and names each lost lease's job, and no job it acked.
func wantLost(t *testing.T, err error, batch, lost []store.Lease) {
	t.Helper()
	if n := countIs(err, store.ErrLeaseLost); n != len(lost) {
		t.Errorf("AckBatch error %v wraps ErrLeaseLost %d times, want %d", err, n, len(lost))
	}
	if err == nil {
		return
	}
	lostIDs := map[string]bool{}
	for _, l := range lost {
		lostIDs[l.ID] = true
		if !strings.Contains(err.Error(), l.ID) {
			t.Errorf("AckBatch error %q does not name the lost job %s", err, l.ID)
		}
	}
	for _, l := range batch {
		if !lostIDs[l.ID] && strings.Contains(err.Error(), l.ID) {
			t.Errorf("AckBatch error %q names the acked job %s", err, l.ID)
		}
	}
}

// countIs counts the errors in err's tree that are target itself, not merely matching it.
func countIs(err, target error) int {
	if err == target {
		return 1
	}
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		n := 0
		for _, x := range e.Unwrap() {
			n += countIs(x, target)
		}
		return n
	case interface{ Unwrap() error }:
		return countIs(e.Unwrap(), target)
	}
	return 0
}

// testUnfinishedKeys puts jobs of distinct ordering keys in every state and asks which keys have
// an unfinished job.
func testUnfinishedKeys(t *testing.T, s store.Delivery, clk *clock) {
	q := queueOf(t, s)
	// odd holds the bytes JSON and SQL quote, for adapters that pass keys as text.
	const odd = `obj "1" \ h1 ü ✓`
	leased, acked, ackedHead, dead, retried := job("deliver", "leased", 1), job("deliver", "acked", 2),
		job("deliver", "acked-head", 3), job("deliver", "dead", 4), job("deliver", "retried", 5)
	behind := job("deliver", "acked-head", 6)
	must(t, "Enqueue", q.Enqueue(ctx(t), leased, acked, ackedHead, behind, dead, retried))
	ls := lease(t, q, 10, time.Minute)
	wantPayloads(t, "lease", ls, leased, acked, ackedHead, dead, retried)
	if len(ls) != 5 {
		t.FailNow()
	}
	must(t, "Ack", q.Ack(ctx(t), ls[1]))
	must(t, "Ack(head of two)", q.Ack(ctx(t), ls[2]))
	must(t, "DeadLetter", q.DeadLetter(ctx(t), ls[3], "410 Gone"))
	must(t, "Retry", q.Retry(ctx(t), ls[4], clk.Now().Add(time.Hour), "503"))
	delayed := job("deliver", "delayed", 7)
	delayed.NotBefore = clk.Now().Add(time.Hour)
	must(t, "Enqueue(queued)", q.Enqueue(ctx(t), job("deliver", "queued", 8), delayed, job("deliver", odd, 9),
		job("deliver", "", 10)))

	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"none", nil, nil},
		{"unknown and empty", []string{"never", "", "queue", "queued "}, nil},
		{"unfinished", []string{"queued", "delayed", "leased", "retried", odd},
			[]string{"queued", "delayed", "leased", "retried", odd}},
		{"acked and dead-lettered", []string{"acked", "dead"}, nil},
		{"a job still behind an acked head", []string{"acked-head"}, []string{"acked-head"}},
		{"in order, each once", []string{"retried", "never", "queued", "", "acked", "retried", odd, "leased", "queued", "dead"},
			[]string{"retried", "queued", odd, "leased"}},
	}
	for _, tt := range tests {
		got, err := q.UnfinishedKeys(ctx(t), tt.keys...)
		must(t, "UnfinishedKeys "+tt.name, err)
		if !slices.Equal(got, tt.want) {
			t.Errorf("UnfinishedKeys %s = %q, want %q", tt.name, got, tt.want)
		}
	}
}
