package delivery

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestHeartbeat: the heartbeat keeps a held job's lease from ending, so another worker cannot take
// the job however long it runs; a lease the Engine no longer holds ends on time, and one found lost
// is dropped.
func TestHeartbeat(t *testing.T) {
	start := time.Now().Truncate(time.Millisecond)
	clk := &clock{begin: start, now: start}
	e := newEnvAt(t, clk.Now, func(c *Config) { c.LeaseTimeout = 30 * time.Second })
	ctx := t.Context()
	if err := e.st.Enqueue(ctx, store.Job{Kind: KindDeliver, Payload: []byte(`{}`)}, store.Job{Kind: KindDeliver, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ls, err := e.st.Lease(ctx, 1, e.eng.cfg.LeaseTimeout)
	if err != nil || len(ls) != 1 {
		t.Fatalf("Lease = %d, %v; want 1 job", len(ls), err)
	}
	kept := ls[0]
	// The other job's lease runs out before any beat and another worker takes it.
	if ls, err = e.st.Lease(ctx, 1, time.Second); err != nil || len(ls) != 1 {
		t.Fatalf("Lease = %d, %v; want 1 job", len(ls), err)
	}
	lost := ls[0]
	e.eng.held.hold(kept)
	e.eng.held.hold(lost)
	step := func(d time.Duration) { clk.advance(clk.Now().Add(d)) }
	step(2 * time.Second)
	if taken, err := e.st.Lease(ctx, 10, time.Hour); err != nil || len(taken) != 1 || taken[0].ID != lost.ID {
		t.Fatalf("lease after the short lease ran out = %v, %v; want %s", taken, err, lost.ID)
	}

	// Four beats, 10 s apart, carry the lease 12 s past its first end of 30 s.
	for range 4 {
		step(e.eng.beatEvery())
		e.eng.beat(ctx)
		if e.eng.lapsing(kept) {
			t.Errorf("at %v: the kept lease is lapsing, until %v", clk.Now().Sub(start), e.eng.held.until(kept))
		}
	}
	if got := e.eng.held.all(); len(got) != 1 || got[0].Token != kept.Token {
		t.Errorf("held after the beats = %v, want only the kept lease (the other was lost)", got)
	}
	if again, err := e.st.Lease(ctx, 10, time.Hour); err != nil || len(again) != 0 {
		t.Errorf("lease while the heartbeat keeps the job = %v, %v; want none", again, err)
	}

	// Once dropped (its job finished or put back), the lease ends on time.
	e.eng.held.drop(kept)
	step(e.eng.cfg.LeaseTimeout + time.Second)
	e.eng.beat(ctx)
	if again, err := e.st.Lease(ctx, 10, time.Hour); err != nil || len(again) != 1 || again[0].ID != kept.ID {
		t.Errorf("lease after the dropped lease ended = %v, %v; want %s", again, err, kept.ID)
	}
}

// TestSoleInstanceTakesBack: a sole instance's first Run takes back at once the jobs its killed
// predecessor left leased, here a page leased for an hour.
func TestSoleInstanceTakesBack(t *testing.T) {
	in := newInbox(t, nil)
	e := newEnv(t, func(c *Config) { c.SoleInstance = true })
	inboxes := []string{in.url("/inbox/0"), in.url("/inbox/1")}
	e.enqueuePage(t, testActivity, inboxes...)
	if ls, err := e.st.Lease(t.Context(), 10, time.Hour); err != nil || len(ls) != 1 {
		t.Fatalf("the killed run's lease = %v, %v; want the page", ls, err)
	}
	e.run(t)
	wantOnce(t, e, in, inboxes)
}
