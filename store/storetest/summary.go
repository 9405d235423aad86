package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// testSummarizeFollowers checks store.SummarizeFollowers, with the store's FollowerSummarizer or
// the fallback: the total, the servers by delivery inbox host (most followers first, ties by
// name, cut at the number asked) and the followers by UTC day from the day asked for.
func testSummarizeFollowers(t *testing.T, s store.Site) {
	day := func(n int) time.Time { return time.Date(2026, 3, 1+n, 0, 0, 0, 0, time.UTC) }
	sum, err := store.SummarizeFollowers(ctx(t), s, actorA, day(0), 5)
	must(t, "SummarizeFollowers(empty)", err)
	if sum.Total != 0 || len(sum.Hosts) != 0 || len(sum.Days) != 0 {
		t.Errorf("SummarizeFollowers(no followers) = %+v, want zero", sum)
	}
	// Host h has h+1 followers, host 4 none; host 1's and 3's have personal inboxes, the others a
	// shared one. Follower i of host h started following on day h at hour 23-i (so host 0's is on
	// the last hour of day 0) and host 5's a day after host 6's, to make the order of days differ
	// from the order of inserts.
	hostFollowers := map[int]int{0: 1, 1: 2, 2: 3, 3: 4, 5: 2, 6: 2}
	wantDays := map[time.Time]int{}
	n := 0
	for _, h := range []int{0, 1, 2, 3, 6, 5} {
		for i := range hostFollowers[h] {
			f := follower(actorA, h, n)
			d := h
			if h == 5 {
				d = 7
			}
			f.CreatedAt = day(d).Add(time.Duration(23-i)*time.Hour + time.Duration(n)*time.Millisecond)
			must(t, "AddFollower", s.AddFollower(ctx(t), f))
			wantDays[day(d)]++
			n++
		}
	}
	// Another actor's followers and one removed follower count nowhere.
	must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorB, 2, 99)))
	gone := follower(actorA, 2, 98)
	gone.CreatedAt = day(2)
	must(t, "AddFollower", s.AddFollower(ctx(t), gone))
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorA, gone.FollowerID))

	hc := func(h, n int) store.HostCount {
		return store.HostCount{Host: fmt.Sprintf("h%03d.example", h), Followers: n}
	}
	tests := []struct {
		name      string
		since     time.Time
		hosts     int
		wantHosts []store.HostCount
		wantFrom  time.Time
	}{
		{"all days, top 3", day(0), 3, []store.HostCount{hc(3, 4), hc(2, 3), hc(1, 2)}, day(0)},
		// Hosts 1, 5 and 6 tie at 2: by name.
		{"ties by name", day(0), 6, []store.HostCount{hc(3, 4), hc(2, 3), hc(1, 2), hc(5, 2), hc(6, 2), hc(0, 1)}, day(0)},
		// A time within day 2 counts the whole of day 2.
		{"since mid-day", day(2).Add(13 * time.Hour), 1, []store.HostCount{hc(3, 4)}, day(2)},
		{"no hosts asked", day(8), 0, nil, day(8)},
	}
	for _, tt := range tests {
		sum, err := store.SummarizeFollowers(ctx(t), s, actorA, tt.since, tt.hosts)
		must(t, "SummarizeFollowers", err)
		if sum.Total != 14 {
			t.Errorf("%s: Total = %d, want 14", tt.name, sum.Total)
		}
		if !slices.Equal(sum.Hosts, tt.wantHosts) {
			t.Errorf("%s: Hosts = %v, want %v", tt.name, sum.Hosts, tt.wantHosts)
		}
		var want []store.DayCount
		for d := tt.wantFrom; !d.After(day(7)); d = d.AddDate(0, 0, 1) {
			if wantDays[d] > 0 {
				want = append(want, store.DayCount{Day: d, Followers: wantDays[d]})
			}
		}
		if len(sum.Days) != len(want) {
			t.Errorf("%s: Days = %v, want %v", tt.name, sum.Days, want)
			continue
		}
		for i := range want {
			if !sum.Days[i].Day.Equal(want[i].Day) || sum.Days[i].Day.Location() != time.UTC || sum.Days[i].Followers != want[i].Followers {
				t.Errorf("%s: Days[%d] = %v, want %v (UTC)", tt.name, i, sum.Days[i], want[i])
			}
		}
	}
}

// testSummarizeAfterWrites checks that the summary and the count, which a store may keep apart
// from the followers, agree with a walk of the followers after every kind of follower write:
// adds, a repeated Follow that moves to another inbox, removals, concurrent adds and removals of
// the same followers, removal by inbox and a domain block.
func testSummarizeAfterWrites(t *testing.T, s store.Site) {
	since := base.AddDate(0, 0, -30)
	check := func(step string) {
		t.Helper()
		for _, actor := range []string{actorA, actorB} {
			var want store.FollowerTally
			for _, f := range walkPages(t, "FollowersPage", 500, 100, func(cursor string) (store.Page[store.Follower], error) {
				return s.FollowersPage(ctx(t), actor, cursor, 500)
			}) {
				want.Add(f)
			}
			got, err := store.SummarizeFollowers(ctx(t), s, actor, since, 100)
			must(t, "SummarizeFollowers", err)
			if w := want.Summary(since, 100); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: SummarizeFollowers(%s) = %+v, want %+v", step, actor, got, w)
			}
			n, err := store.CountFollowers(ctx(t), s, actor)
			must(t, "CountFollowers", err)
			if n != want.Summary(since, 0).Total {
				t.Errorf("%s: CountFollowers(%s) = %d, want %d", step, actor, n, want.Summary(since, 0).Total)
			}
		}
	}
	var all []store.Follower
	for i := range 40 {
		f := follower([]string{actorA, actorB}[i%2], i%5, i)
		f.CreatedAt = base.AddDate(0, 0, -i)
		all = append(all, f)
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
	}
	check("adds")

	moved := all[0]
	moved.SharedInbox, moved.FollowID = "https://h009.example/inbox", moved.FollowID+"/again"
	moved.CreatedAt = base
	must(t, "AddFollower(moved)", s.AddFollower(ctx(t), moved))
	must(t, "AddFollower(again)", s.AddFollower(ctx(t), all[2]))
	check("repeated follows")

	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), all[4].ActorID, all[4].FollowerID))
	wantErr(t, "RemoveFollower(again)", s.RemoveFollower(ctx(t), all[4].ActorID, all[4].FollowerID), store.ErrNotFound)
	check("removal")

	// Every follower of host 1 removed and added again by racing writers, twice each.
	var wg sync.WaitGroup
	for i, f := range all {
		if i%5 != 1 {
			continue
		}
		for range 2 {
			wg.Go(func() {
				// Not found is fine: the other removal may have come first.
				if err := s.RemoveFollower(ctx(t), f.ActorID, f.FollowerID); err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("RemoveFollower: %v", err)
				}
			})
			wg.Go(func() {
				if err := s.AddFollower(ctx(t), f); err != nil {
					t.Errorf("AddFollower: %v", err)
				}
			})
		}
	}
	wg.Wait()
	check("concurrent adds and removals")

	_, err := s.RemoveFollowersByInbox(ctx(t), all[2].DeliveryInbox())
	must(t, "RemoveFollowersByInbox", err)
	check("removal by inbox")

	_, err = s.AddBlock(ctx(t), store.Block{Domain: "h003.example", Reason: "test"})
	must(t, "AddBlock", err)
	check("domain block")
}

// testCountDeliveries checks store.CountDeliveries on a store that has the DeliverySummarizer
// capability: the records updated at or after the time asked for, by host and state, in byte
// order, each record counted once in its latest state.
func testCountDeliveries(t *testing.T, s store.Delivery, clk *clock) {
	capability[store.DeliverySummarizer](t, s)
	counts, ok, err := store.CountDeliveries(ctx(t), s, time.Time{})
	must(t, "CountDeliveries(empty)", err)
	if !ok || len(counts) != 0 {
		t.Errorf("CountDeliveries(empty) = %v, %v; want none, true", counts, ok)
	}
	start := clk.Now()
	rec := func(obj, host string, i int, state store.DeliveryState, at time.Time) store.DeliveryRecord {
		return store.DeliveryRecord{ObjectID: obj, ActivityID: obj + "#create", Inbox: fmt.Sprintf("https://%s/inbox%d", host, i),
			Host: host, State: state, Attempts: 1, UpdatedAt: at}
	}
	const a1, a2 = "https://news.example/a1", "https://news.example/a2"
	must(t, "RecordDelivery", s.RecordDelivery(ctx(t),
		// Old records: before the window.
		rec(a1, "old.example", 0, store.DeliveryDelivered, start.Add(-2*time.Hour)),
		rec(a1, "b.example", 0, store.DeliveryFailed, start.Add(-2*time.Hour)),
		// In the window, over two objects.
		rec(a1, "b.example", 1, store.DeliveryDelivered, start),
		rec(a2, "b.example", 0, store.DeliveryRetrying, start.Add(time.Minute)),
		rec(a2, "a.example", 0, store.DeliveryFailed, start.Add(time.Minute)),
		rec(a2, "a.example", 1, store.DeliveryFailed, start.Add(2*time.Minute)),
		rec(a2, "a.example", 2, store.DeliveryQueued, start.Add(2*time.Minute)),
	))
	// A record that moves on is counted once, in its new state, at its new time; the old failed
	// record of b.example moves into the window.
	must(t, "RecordDelivery", s.RecordDelivery(ctx(t),
		rec(a2, "a.example", 2, store.DeliveryDelivered, start.Add(3*time.Minute)),
		rec(a1, "b.example", 0, store.DeliveryFailed, start.Add(3*time.Minute))))
	hd := func(host string, state store.DeliveryState, n int) store.HostDeliveries {
		return store.HostDeliveries{Host: host, State: state, Count: n}
	}
	want := []store.HostDeliveries{
		hd("a.example", store.DeliveryDelivered, 1),
		hd("a.example", store.DeliveryFailed, 2),
		hd("b.example", store.DeliveryDelivered, 1),
		hd("b.example", store.DeliveryFailed, 1),
		hd("b.example", store.DeliveryRetrying, 1),
	}
	counts, _, err = store.CountDeliveries(ctx(t), s, start)
	must(t, "CountDeliveries", err)
	if !slices.Equal(counts, want) {
		t.Errorf("CountDeliveries(since start) = %v, want %v", counts, want)
	}
	counts, _, err = store.CountDeliveries(ctx(t), s, start.Add(2*time.Minute))
	must(t, "CountDeliveries", err)
	want = []store.HostDeliveries{hd("a.example", store.DeliveryDelivered, 1), hd("a.example", store.DeliveryFailed, 1), hd("b.example", store.DeliveryFailed, 1)}
	if !slices.Equal(counts, want) {
		t.Errorf("CountDeliveries(since start+2m) = %v, want %v", counts, want)
	}
}
