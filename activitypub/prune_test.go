package activitypub_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// runUntil runs fed.Run until done reports true (checked every 10ms, for at most 10s), then stops
// it and fails the test unless Run returned nil.
func runUntil(t *testing.T, fed *activitypub.Federation, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- fed.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestRunPrunesOperationalData checks that Run prunes, under Retention.Operational, the dead
// letters, the cached remote actors not fetched since the cut-off, the expired seen ids and the
// delivery records of an article deleted before the cut-off, and keeps the delivery records of a
// live article however old (an Update or Delete of it needs them), the records of an article
// deleted after the cut-off, and what is newer. A legal hold over everything changes nothing: it
// holds the record of activities, not operational data. The counts are logged at Info.
func TestRunPrunesOperationalData(t *testing.T) {
	t0 := time.Now().Truncate(time.Millisecond)
	var now atomic.Pointer[time.Time]
	now.Store(&t0)
	clock := func() time.Time { return *now.Load() }
	st := memstore.NewWithClock(clock)
	c := t.Context()
	const base = "https://news.example"
	var logs lockedBuffer
	fed := newFederation(t, activitypub.Config{
		BaseURL: base, Store: st, Now: clock,
		Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Retention: activitypub.Retention{Operational: 30 * 24 * time.Hour, Every: time.Hour},
	})
	actor := fed.ActorID("news")
	if _, err := st.PutLegalHold(c, store.LegalHold{Reason: "every entry, for the test"}); err != nil {
		t.Fatal(err)
	}

	// Articles: live, deleted long ago, deleted lately; each delivered at t0 to two inboxes.
	articles := map[string]time.Duration{"live": 0, "gone": 24 * time.Hour, "lately": 55 * 24 * time.Hour}
	var recs []store.DeliveryRecord
	for name := range articles {
		id := base + "/articles/" + name
		if err := st.PutObject(c, store.Object{ID: id, ActorID: actor, Type: "Article", Document: []byte(`{}`), Published: t0}); err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{"https://a.example/inbox", "https://b.example/inbox"} {
			recs = append(recs, store.DeliveryRecord{ObjectID: id, ActivityID: id + "#create", Inbox: in, Host: "h",
				State: store.DeliveryDelivered, Attempts: 1, UpdatedAt: t0})
		}
	}
	if err := st.RecordDelivery(c, recs...); err != nil {
		t.Fatal(err)
	}
	for name, after := range articles {
		if after > 0 {
			if err := st.DeleteObject(c, base+"/articles/"+name, t0.Add(after)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A dead letter from t0, remote actors fetched at t0 and lately, a seen id.
	if err := st.Enqueue(c, store.Job{ID: "j1", Kind: "none", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ls, err := st.Lease(c, 1, time.Hour)
	if err != nil || len(ls) != 1 {
		t.Fatalf("Lease = %v, %v", ls, err)
	}
	if err := st.DeadLetter(c, ls[0], "410 Gone"); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(60 * 24 * time.Hour)
	for id, fetched := range map[string]time.Time{"https://r.example/old": t0, "https://r.example/new": later.Add(-time.Hour)} {
		if err := st.PutRemoteActor(c, store.RemoteActor{ID: id, Inbox: id + "/inbox", FetchedAt: fetched}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.MarkSeen(c, "https://r.example/activities/1", time.Hour); err != nil {
		t.Fatal(err)
	}

	now.Store(&later)
	records := func(name string) int {
		p, err := st.DeliveriesPage(c, base+"/articles/"+name, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	pruned := "activitypub: pruned operational data\" deliveries=2 dead_letters=1 remote_actors=1 seen=1"
	runUntil(t, fed, func() bool { return strings.Contains(logs.String(), pruned) })
	if !strings.Contains(logs.String(), pruned) {
		t.Errorf("logs %q lack %q", logs.String(), pruned)
	}
	for name, want := range map[string]int{"live": 2, "gone": 0, "lately": 2} {
		if got := records(name); got != want {
			t.Errorf("delivery records of %s: %d, want %d", name, got, want)
		}
	}
	if d, err := st.Depth(c); err != nil || d.Dead != 0 {
		t.Errorf("Depth = %+v, %v; want no dead letters", d, err)
	}
	if _, err := st.RemoteActor(c, "https://r.example/old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoteActor(old) = %v, want ErrNotFound", err)
	}
	if _, err := st.RemoteActor(c, "https://r.example/new"); err != nil {
		t.Errorf("RemoteActor(new) = %v, want it kept", err)
	}
}

// TestRunWithoutPruner checks that Run over stores without store.Pruner says once, at Info, that
// they keep operational data for ever, and runs as before; a negative Retention.Operational
// turns the prune off without a word.
func TestRunWithoutPruner(t *testing.T) {
	for _, tt := range []struct {
		name        string
		operational time.Duration
		want        int
	}{{"default", 0, 2}, {"off", -1, 0}} {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			fed := newFederation(t, activitypub.Config{
				BaseURL: "https://news.example", Store: plainStore{memstore.New()},
				Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
				Retention: activitypub.Retention{Operational: tt.operational},
			})
			said := func() int { return strings.Count(logs.String(), "does not prune") }
			runUntil(t, fed, func() bool { return said() >= tt.want })
			if got := said(); got != tt.want {
				t.Errorf("%d notes that a store does not prune, want %d: %s", got, tt.want, logs.String())
			}
		})
	}
}

// plainStore is a store.Store without any optional capability.
type plainStore struct{ store.Store }
