package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var queueAdminTests = []deliveryTest{
	{"DeadLettersListAndReplay", testDeadLetters},
	{"ReplaySkipsUnfinished", testReplayUnfinished},
	{"HostsPage", testHostsPage},
	{"KeyedJobsAndHurry", testKeyedJobs},
}

// leaseAll leases every ready job and fails unless there are n.
func leaseAll(t *testing.T, q store.Queue, n int) []store.Lease {
	t.Helper()
	ls := lease(t, q, 100, time.Hour)
	if len(ls) != n {
		t.Fatalf("leased %d jobs, want %d", len(ls), n)
	}
	return ls
}

func testDeadLetters(t *testing.T, s store.Delivery, clk *clock) {
	a, b := job("deliver", "deliver o a.example", 1), job("deliver", "", 2)
	must(t, "Enqueue", s.Enqueue(ctx(t), a, b))
	ls := leaseAll(t, s, 2)
	must(t, "Retry", s.Retry(ctx(t), ls[0], clk.Now(), "503"))
	ls[0] = leaseAll(t, s, 1)[0]
	diedA := clk.Now()
	must(t, "DeadLetter", s.DeadLetter(ctx(t), ls[0], "410 Gone"))
	clk.Advance(msec(5))
	must(t, "DeadLetter", s.DeadLetter(ctx(t), ls[1], "bad key"))

	p, err := s.DeadLettersPage(ctx(t), "", 1)
	must(t, "DeadLettersPage", err)
	if len(p.Items) != 1 || p.Items[0].ID != ls[1].ID || p.Next == "" {
		t.Fatalf("first page %+v, want the latest dead letter and a cursor", p)
	}
	p, err = s.DeadLettersPage(ctx(t), p.Next, 1)
	must(t, "DeadLettersPage", err)
	if len(p.Items) != 1 || p.Next != "" {
		t.Fatalf("second page %+v, want the other dead letter and no cursor", p)
	}
	d := p.Items[0]
	if d.ID != ls[0].ID || d.Kind != a.Kind || d.OrderingKey != a.OrderingKey || string(d.Payload) != string(a.Payload) ||
		d.Attempts != 1 || d.LastError != "410 Gone" || !sameTime(d.DiedAt, diedA) || !recent(d.EnqueuedAt) {
		t.Errorf("dead letter %+v, want job %s with Attempts 1, its reason, died %v", d, ls[0].ID, diedA)
	}
	_, err = s.DeadLettersPage(ctx(t), "not a cursor", 1)
	wantErr(t, "DeadLettersPage(bad cursor)", err, store.ErrBadCursor)

	n, err := s.Replay(ctx(t), ls[0].ID, "no such job", ls[0].ID)
	must(t, "Replay", err)
	if n != 1 {
		t.Errorf("Replay = %d, want 1", n)
	}
	wantDepth(t, "replayed", s, store.QueueDepth{Ready: 1, Dead: 1})
	again := leaseAll(t, s, 1)
	if j := again[0]; j.ID != ls[0].ID || j.Attempts != 0 || j.LastError != "" || string(j.Payload) != string(a.Payload) ||
		j.OrderingKey != a.OrderingKey {
		t.Errorf("replayed job %+v, want job %s afresh", j.Job, ls[0].ID)
	}
	if n, err := s.Replay(ctx(t), ls[0].ID); err != nil || n != 0 {
		t.Errorf("Replay(replayed) = %d, %v; want 0", n, err)
	}
	p, err = s.DeadLettersPage(ctx(t), "", 10)
	must(t, "DeadLettersPage", err)
	if len(p.Items) != 1 || p.Items[0].ID != ls[1].ID {
		t.Errorf("dead letters after replay %+v, want only %s", p.Items, ls[1].ID)
	}
}

func testReplayUnfinished(t *testing.T, s store.Delivery, clk *clock) {
	j := job("deliver", "", 1)
	j.ID = "job-1"
	must(t, "Enqueue", s.Enqueue(ctx(t), j))
	must(t, "DeadLetter", s.DeadLetter(ctx(t), leaseAll(t, s, 1)[0], "gave up"))
	must(t, "Enqueue(same id)", s.Enqueue(ctx(t), j))
	if n, err := s.Replay(ctx(t), j.ID); err != nil || n != 0 {
		t.Errorf("Replay(id of an unfinished job) = %d, %v; want 0", n, err)
	}
	wantDepth(t, "kept", s, store.QueueDepth{Ready: 1, Dead: 1})
}

func testHostsPage(t *testing.T, s store.Delivery, clk *clock) {
	now := clk.Now()
	_, err := s.HostFailed(ctx(t), "b.example", now)
	must(t, "HostFailed", err)
	_, err = s.HostFailed(ctx(t), "a.example", now)
	must(t, "HostFailed", err)
	must(t, "OpenHost", s.OpenHost(ctx(t), "c.example", now.Add(time.Hour)))
	var got []store.HostState
	cursor := ""
	for range 3 {
		p, err := s.HostsPage(ctx(t), cursor, 2)
		must(t, "HostsPage", err)
		got = append(got, p.Items...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	want := []store.HostState{{Host: "a.example", Failures: 1, LastFailure: now}, {Host: "b.example", Failures: 1, LastFailure: now},
		{Host: "c.example", OpenUntil: now.Add(time.Hour)}}
	if !slices.EqualFunc(got, want, sameHost) {
		t.Errorf("hosts %+v, want %+v", got, want)
	}
	must(t, "HostSucceeded", s.HostSucceeded(ctx(t), "b.example"))
	p, err := s.HostsPage(ctx(t), "", 10)
	must(t, "HostsPage", err)
	if len(p.Items) != 2 || p.Items[0].Host != "a.example" || p.Items[1].Host != "c.example" || p.Next != "" {
		t.Errorf("hosts after b.example succeeded %+v, want a.example and c.example", p)
	}
	_, err = s.HostsPage(ctx(t), "", 0)
	if err == nil {
		t.Error("HostsPage(limit 0) succeeded, want an error")
	}
}

func testKeyedJobs(t *testing.T, s store.Delivery, clk *clock) {
	a1, a2 := job("deliver", "deliver o1 a.example", 1), job("deliver", "deliver o2 a.example", 2)
	b := job("deliver", "deliver o1 b.example", 3)
	must(t, "Enqueue", s.Enqueue(ctx(t), a1, a2, b))
	ls := leaseAll(t, s, 3)
	soon, later := clk.Now().Add(time.Hour), clk.Now().Add(2*time.Hour)
	must(t, "Retry", s.Retry(ctx(t), ls[1], later, "timeout"))
	must(t, "Retry", s.Retry(ctx(t), ls[0], soon, "503"))

	// next is the job a.example's deliveries wait for first.
	next := store.Job{ID: ls[0].ID, Kind: a1.Kind, OrderingKey: a1.OrderingKey, Payload: a1.Payload, NotBefore: soon,
		Attempts: 1, LastError: "503"}
	tests := []struct {
		suffix string
		jobs   int
		next   store.Job
	}{
		{" a.example", 2, next},
		{" b.example", 1, store.Job{}},
		{" c.example", 0, store.Job{}},
		{"a.example", 2, next},
	}
	for _, tt := range tests {
		got, err := s.KeyedJobs(ctx(t), tt.suffix)
		must(t, "KeyedJobs", err)
		n := got.Next
		if got.Jobs != tt.jobs || n.ID != tt.next.ID || n.Kind != tt.next.Kind || n.OrderingKey != tt.next.OrderingKey ||
			string(n.Payload) != string(tt.next.Payload) || !sameTime(n.NotBefore, tt.next.NotBefore) ||
			n.Attempts != tt.next.Attempts || n.LastError != tt.next.LastError {
			t.Errorf("KeyedJobs(%q) = %d jobs, next %+v; want %d, %+v", tt.suffix, got.Jobs, n, tt.jobs, tt.next)
		}
	}
	if _, err := s.KeyedJobs(ctx(t), ""); err == nil {
		t.Error("KeyedJobs(\"\") succeeded, want an error")
	}
	if _, err := s.HurryJobs(ctx(t), ""); err == nil {
		t.Error("HurryJobs(\"\") succeeded, want an error")
	}
	if n, err := s.HurryJobs(ctx(t), " b.example"); err != nil || n != 0 {
		t.Errorf("HurryJobs(leased job's host) = %d, %v; want 0", n, err)
	}
	if n, err := s.HurryJobs(ctx(t), " a.example"); err != nil || n != 2 {
		t.Errorf("HurryJobs = %d, %v; want 2", n, err)
	}
	// Both are due: in which order they come is the queue's.
	got := payloads(lease(t, s, 10, time.Minute))
	slices.Sort(got)
	if want := []string{string(a1.Payload), string(a2.Payload)}; !slices.Equal(got, want) {
		t.Errorf("lease after hurrying: leased %q, want %q", got, want)
	}
}
