package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// deliveryOnly hides every optional capability of the store it holds.
type deliveryOnly struct{ store.Delivery }

// failingRecords is a delivery store whose RecordDelivery always fails.
type failingRecords struct{ store.Delivery }

func (failingRecords) RecordDelivery(context.Context, ...store.DeliveryRecord) error {
	return errors.New("records: broken")
}

// TestAckBatchFallback checks AckBatch on a store without BatchAcker: the records are written, the
// current leases acked, a lost lease reported by its job without stopping the others, and nothing
// acked when the records cannot be written.
func TestAckBatchFallback(t *testing.T) {
	ctx := t.Context()
	const obj = "https://news.example/articles/1"
	rec := store.DeliveryRecord{ObjectID: obj, ActivityID: obj + "#create", Inbox: "https://a.example/inbox",
		Host: "a.example", State: store.DeliveryDelivered, Attempts: 1}
	tests := []struct {
		name      string
		wrap      func(store.Delivery) store.Delivery
		lose      bool // ack the second lease before the batch
		wantErr   func(error) bool
		wantAcked bool
		wantRecs  int
	}{
		{"all current", func(d store.Delivery) store.Delivery { return deliveryOnly{d} }, false,
			func(err error) bool { return err == nil }, true, 1},
		{"one lost", func(d store.Delivery) store.Delivery { return deliveryOnly{d} }, true,
			func(err error) bool { return errors.Is(err, store.ErrLeaseLost) }, true, 1},
		{"records fail", func(d store.Delivery) store.Delivery { return failingRecords{d} }, false,
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "records: broken") }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := memstore.New()
			d := tt.wrap(m)
			if _, ok := d.(store.BatchAcker); ok {
				t.Fatalf("%T offers BatchAcker: the fallback is not tested", d)
			}
			if err := m.Enqueue(ctx, store.Job{Kind: "deliver"}, store.Job{Kind: "deliver"}); err != nil {
				t.Fatal(err)
			}
			ls, err := m.Lease(ctx, 2, time.Minute)
			if err != nil || len(ls) != 2 {
				t.Fatalf("Lease = %d, %v; want 2", len(ls), err)
			}
			if tt.lose {
				if err := m.Ack(ctx, ls[1]); err != nil {
					t.Fatal(err)
				}
			}
			err = store.AckBatch(ctx, d, ls, rec)
			if !tt.wantErr(err) {
				t.Fatalf("AckBatch: unexpected error %v", err)
			}
			if tt.lose && !strings.Contains(err.Error(), ls[1].ID) {
				t.Errorf("AckBatch error %q does not name the lost job %s", err, ls[1].ID)
			}
			depth, err := m.Depth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if acked := depth.Leased == 0; acked != tt.wantAcked {
				t.Errorf("depth after AckBatch %+v, want acked %v", depth, tt.wantAcked)
			}
			p, err := m.DeliveriesPage(ctx, obj, "", 10)
			if err != nil || len(p.Items) != tt.wantRecs {
				t.Errorf("records %+v, %v; want %d", p.Items, err, tt.wantRecs)
			}
		})
	}
}

// siteOnly hides every optional capability of the site store it holds.
type siteOnly struct{ store.Site }

// TestCountFallbacks checks that the counting helpers give, by walking pages, what the adapter's
// own counters give, over more items than one page of the walk holds.
func TestCountFallbacks(t *testing.T) {
	ctx := t.Context()
	const actor, article, n = "https://news.example/ap/users/news", "https://news.example/articles/1", 1203
	m := memstore.New()
	for i := range n {
		id := fmt.Sprintf("https://r%d.example/users/u", i)
		if err := m.AddFollower(ctx, store.Follower{ActorID: actor, FollowerID: id, Inbox: id + "/inbox"}); err != nil {
			t.Fatal(err)
		}
		act := fmt.Sprintf("https://news.example/ap/activities/%d", i)
		if err := m.AppendOutbox(ctx, store.Object{ID: act, ActorID: actor, Type: "Create", Document: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.AddInteraction(ctx, store.Interaction{ID: id + "/likes/1", Kind: store.InteractionLike, ObjectID: article, ActorID: id}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := m.AddInteraction(ctx, store.Interaction{ID: id + "/replies/1", Kind: store.InteractionReply, ObjectID: article, ActorID: id, Document: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := siteOnly{m}
	if _, ok := store.Site(s).(store.FollowerCounter); ok {
		t.Fatal("siteOnly offers a counter: the fallback is not tested")
	}
	for _, c := range []struct {
		name      string
		got, want func() (int, error)
	}{
		{"followers", func() (int, error) { return store.CountFollowers(ctx, s, actor) }, func() (int, error) { return m.CountFollowers(ctx, actor) }},
		{"outbox", func() (int, error) { return store.CountOutbox(ctx, s, actor) }, func() (int, error) { return m.CountOutbox(ctx, actor) }},
	} {
		got, err := c.got()
		want, werr := c.want()
		if err != nil || werr != nil || got != want || got != n {
			t.Errorf("%s: fallback %d, %v; counter %d, %v; want %d", c.name, got, err, want, werr, n)
		}
	}
	got, err := store.CountInteractions(ctx, s, article)
	want, werr := m.CountInteractions(ctx, article)
	if err != nil || werr != nil || !maps.Equal(got, want) || got[store.InteractionLike] != n {
		t.Errorf("interactions: fallback %v, %v; counter %v, %v", got, err, want, werr)
	}
}

// TestReleaseLeases checks that ReleaseLeases ends a held lease through the store's LeaseReleaser,
// and without one ends none and reports no error.
func TestReleaseLeases(t *testing.T) {
	tests := []struct {
		name       string
		wrap       func(store.Delivery) store.Queue
		wantN      int
		wantLeased int
	}{
		{"releaser", func(d store.Delivery) store.Queue { return d }, 1, 0},
		{"no releaser", func(d store.Delivery) store.Queue { return deliveryOnly{d} }, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			m := memstore.New()
			if err := m.Enqueue(ctx, store.Job{Kind: "deliver"}); err != nil {
				t.Fatal(err)
			}
			if ls, err := m.Lease(ctx, 1, time.Hour); err != nil || len(ls) != 1 {
				t.Fatalf("Lease = %d, %v; want 1", len(ls), err)
			}
			n, err := store.ReleaseLeases(ctx, tt.wrap(m))
			if err != nil || n != tt.wantN {
				t.Errorf("ReleaseLeases = %d, %v; want %d, nil", n, err, tt.wantN)
			}
			depth, err := m.Depth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if depth.Leased != tt.wantLeased {
				t.Errorf("depth after ReleaseLeases %+v, want %d leased", depth, tt.wantLeased)
			}
		})
	}
}

// followersOnly hides every optional capability of the followers store it holds.
type followersOnly struct{ store.Followers }

// TestSummarizeFollowersFallback: without a FollowerSummarizer, SummarizeFollowers walks the
// followers (over several pages) and gives what memstore's own summary gives.
func TestSummarizeFollowersFallback(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	const actor = "https://news.example/actors/news"
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 1234 {
		host := fmt.Sprintf("h%d.example", i%7)
		id := fmt.Sprintf("https://%s/users/u%d", host, i)
		f := store.Follower{ActorID: actor, FollowerID: id, Inbox: id + "/inbox", CreatedAt: start.Add(time.Duration(i) * 37 * time.Minute)}
		if i%3 == 0 {
			f.SharedInbox = "https://" + host + "/inbox"
		}
		if err := st.AddFollower(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, since := range []time.Time{{}, start.AddDate(0, 0, 20), start.AddDate(0, 0, 40)} {
		want, err := store.SummarizeFollowers(ctx, st, actor, since, 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.SummarizeFollowers(ctx, followersOnly{st}, actor, since, 5)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != 1234 || len(got.Hosts) != 5 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("since %v: fallback gives %+v, memstore %+v", since, got, want)
		}
	}
}
