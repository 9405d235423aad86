package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var pruneSiteTests = []test{
	{"RemoteActorsAndSeen", testPruneSite},
}

var pruneDeliveryTests = []deliveryTest{
	{"Deliveries", testPruneDeliveries},
	{"DeadLetters", testPruneDeadLetters},
}

func testPruneSite(t *testing.T, s store.Site) {
	p := capability[store.Pruner](t, s)
	actor := func(n int, fetched time.Time) store.RemoteActor {
		id := "https://r.example/users/" + string(rune('a'+n))
		return store.RemoteActor{ID: id, Inbox: id + "/inbox", Keys: []store.RemoteKey{{ID: id + "#key", PublicKeyPEM: "pem"}},
			Document: []byte(`{}`), FetchedAt: fetched}
	}
	old, fresh := actor(0, base), actor(1, base.Add(2*time.Hour))
	must(t, "PutRemoteActor", s.PutRemoteActor(ctx(t), old))
	must(t, "PutRemoteActor", s.PutRemoteActor(ctx(t), fresh))
	for _, id := range []string{"short", "long"} {
		ttl := time.Millisecond
		if id == "long" {
			ttl = time.Hour
		}
		ok, err := s.MarkSeen(ctx(t), id, ttl)
		if err != nil || !ok {
			t.Fatalf("MarkSeen(%s) = %v, %v; want true", id, ok, err)
		}
	}
	time.Sleep(5 * time.Millisecond)

	n, err := p.PruneOperational(ctx(t), store.PruneBefore{RemoteActors: base.Add(time.Hour), Seen: time.Now()})
	must(t, "PruneOperational", err)
	// A store that expires seen ids by itself (Redis) may have none left to delete.
	if n.RemoteActors != 1 || n.Seen > 1 || n.Deliveries != 0 || n.DeadLetters != 0 {
		t.Errorf("PruneOperational = %+v, want 1 remote actor, at most 1 seen id, nothing else", n)
	}
	_, err = s.RemoteActor(ctx(t), old.ID)
	wantErr(t, "RemoteActor(pruned)", err, store.ErrNotFound)
	_, err = s.RemoteActorByKey(ctx(t), old.Keys[0].ID)
	wantErr(t, "RemoteActorByKey(pruned)", err, store.ErrNotFound)
	if a, err := s.RemoteActorByKey(ctx(t), fresh.Keys[0].ID); err != nil || a.ID != fresh.ID {
		t.Errorf("RemoteActorByKey(kept) = %+v, %v; want %s", a, err, fresh.ID)
	}
	if ok, err := s.MarkSeen(ctx(t), "long", time.Hour); err != nil || ok {
		t.Errorf("MarkSeen(long) after prune = %v, %v; want false: it has not expired", ok, err)
	}
	if ok, err := s.MarkSeen(ctx(t), "short", time.Hour); err != nil || !ok {
		t.Errorf("MarkSeen(short) after prune = %v, %v; want true: it expired", ok, err)
	}

	n, err = p.PruneOperational(ctx(t), store.PruneBefore{})
	must(t, "PruneOperational(no cut-offs)", err)
	if n != (store.PruneCounts{}) {
		t.Errorf("PruneOperational(no cut-offs) = %+v, want nothing", n)
	}
	if _, err := s.RemoteActor(ctx(t), fresh.ID); err != nil {
		t.Errorf("RemoteActor(kept) after an empty prune: %v", err)
	}
}

func testPruneDeliveries(t *testing.T, s store.Delivery, _ *clock) {
	p := capability[store.Pruner](t, s)
	cut := base.Add(time.Hour)
	at := func(r store.DeliveryRecord, when time.Time) store.DeliveryRecord { r.UpdatedAt = when; return r }
	recs := []store.DeliveryRecord{
		at(record("o1", "a1", "https://x.example/inbox", store.DeliveryDelivered, 1), base),                 // goes
		at(record("o1", "a1", "https://y.example/inbox", store.DeliveryFailed, 2), base),                    // goes
		at(record("o1", "a1", "https://z.example/inbox", store.DeliveryRetrying, 3), base),                  // not over
		at(record("o1", "a2", "https://x.example/inbox", store.DeliveryDelivered, 4), cut.Add(time.Minute)), // newer
		at(record("o2", "a3", "https://x.example/inbox", store.DeliveryDelivered, 5), base),                 // not named
		at(record("o3", "a4", "https://x.example/inbox", store.DeliveryDelivered, 6), base),                 // goes, o3 with it
	}
	must(t, "RecordDelivery", s.RecordDelivery(ctx(t), recs...))
	objects := func() []string {
		ids := walkPages(t, "DeliveryObjects", 1, 10, func(cursor string) (store.Page[string], error) {
			return p.DeliveryObjects(ctx(t), cursor, 1)
		})
		slices.Sort(ids)
		return slices.Compact(ids)
	}
	if got := objects(); !slices.Equal(got, []string{"o1", "o2", "o3"}) {
		t.Errorf("DeliveryObjects = %q, want o1, o2, o3", got)
	}

	n, err := p.PruneOperational(ctx(t), store.PruneBefore{Deliveries: cut, Objects: []string{"o1", "o3", "o9"}})
	must(t, "PruneOperational", err)
	if n != (store.PruneCounts{Deliveries: 3}) {
		t.Errorf("PruneOperational = %+v, want 3 deliveries", n)
	}
	wantRecords(t, 0, allDeliveries(t, s, "o1", 10), []store.DeliveryRecord{recs[2], recs[3]})
	wantRecords(t, 0, allDeliveries(t, s, "o2", 10), []store.DeliveryRecord{recs[4]})
	wantRecords(t, 0, allDeliveries(t, s, "o3", 10), nil)
	wantStates(t, "after prune", s, "o1", "a1", []string{"https://x.example/inbox", "https://z.example/inbox"},
		[]store.DeliveryState{"", store.DeliveryRetrying})
	if got := objects(); !slices.Equal(got, []string{"o1", "o2"}) {
		t.Errorf("DeliveryObjects after prune = %q, want o1, o2", got)
	}
	// Without a cut-off, or without objects, no record goes.
	for _, pb := range []store.PruneBefore{{Objects: []string{"o2"}}, {Deliveries: cut.Add(time.Hour)}} {
		n, err := p.PruneOperational(ctx(t), pb)
		must(t, "PruneOperational", err)
		if n != (store.PruneCounts{}) {
			t.Errorf("PruneOperational(%+v) = %+v, want nothing", pb, n)
		}
	}
	// A record recorded again after a prune is kept like any other.
	must(t, "RecordDelivery", s.RecordDelivery(ctx(t), recs[5]))
	wantRecords(t, 0, allDeliveries(t, s, "o3", 10), []store.DeliveryRecord{recs[5]})
}

func testPruneDeadLetters(t *testing.T, s store.Delivery, clk *clock) {
	p := capability[store.Pruner](t, s)
	must(t, "Enqueue", s.Enqueue(ctx(t), job("deliver", "", 1), job("deliver", "", 2), job("deliver", "", 3)))
	ls := leaseAll(t, s, 3)
	must(t, "DeadLetter", s.DeadLetter(ctx(t), ls[0], "410 Gone"))
	must(t, "DeadLetter", s.DeadLetter(ctx(t), ls[1], "410 Gone"))
	cut := clk.Now().Add(time.Hour)
	clk.Advance(2 * time.Hour)
	must(t, "DeadLetter", s.DeadLetter(ctx(t), ls[2], "bad key"))

	n, err := p.PruneOperational(ctx(t), store.PruneBefore{DeadLetters: cut})
	must(t, "PruneOperational", err)
	if n != (store.PruneCounts{DeadLetters: 2}) {
		t.Errorf("PruneOperational = %+v, want 2 dead letters", n)
	}
	pg, err := s.DeadLettersPage(ctx(t), "", 10)
	must(t, "DeadLettersPage", err)
	if len(pg.Items) != 1 || pg.Items[0].ID != ls[2].ID {
		t.Errorf("dead letters after prune %+v, want only %s", pg.Items, ls[2].ID)
	}
	wantDepth(t, "after prune", s, store.QueueDepth{Dead: 1})
	if r, err := s.Replay(ctx(t), ls[0].ID); err != nil || r != 0 {
		t.Errorf("Replay(pruned) = %d, %v; want 0", r, err)
	}
}
