package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

const (
	actorA = "https://news.example/actors/desk"
	actorB = "https://news.example/actors/sport"
)

var followerTests = []test{
	{"AddAndGet", testAddAndGet},
	{"AddSetsCreatedAt", testAddSetsCreatedAt},
	{"AddIsIdempotent", testAddIsIdempotent},
	{"Remove", testRemove},
	{"ByFollowID", testByFollowID},
	{"PageNewestFirst", testFollowersPageOrder},
	{"PageStableUnderConcurrentInserts", testFollowersPageConcurrent},
	{"PageBadCursor", testFollowersBadCursor},
	{"Count", testCountFollowers},
	{"Summarize", testSummarizeFollowers},
	{"SummarizeAfterWrites", testSummarizeAfterWrites},
	{"DeliveryInboxes", testDeliveryInboxes},
	{"DeliveryInboxesFollowChanges", testDeliveryInboxesChanges},
	{"ActorsAreSeparate", testActorsSeparate},
	{"RemoveByInbox", testRemoveByInbox},
	{"RemoveByInboxAfterMove", testRemoveByInboxAfterMove},
}

// follower returns follower number i of a remote host; hosts with an even number have a shared inbox.
func follower(actor string, host, i int) store.Follower {
	h := fmt.Sprintf("https://h%03d.example", host)
	f := store.Follower{
		ActorID:    actor,
		FollowerID: fmt.Sprintf("%s/users/u%04d", h, i),
		Inbox:      fmt.Sprintf("%s/users/u%04d/inbox", h, i),
		FollowID:   fmt.Sprintf("%s/follows/%s/%d", h, actor, i),
		CreatedAt:  base.Add(msec(i)),
	}
	if host%2 == 0 {
		f.SharedInbox = h + "/inbox"
	}
	return f
}

func sameFollower(got, want store.Follower) bool {
	return got.ActorID == want.ActorID && got.FollowerID == want.FollowerID && got.Inbox == want.Inbox &&
		got.SharedInbox == want.SharedInbox && got.FollowID == want.FollowID && sameTime(got.CreatedAt, want.CreatedAt)
}

func testAddAndGet(t *testing.T, s store.Site) {
	want := follower(actorA, 2, 1)
	must(t, "AddFollower", s.AddFollower(ctx(t), want))
	got, err := s.Follower(ctx(t), actorA, want.FollowerID)
	must(t, "Follower", err)
	if !sameFollower(got, want) {
		t.Errorf("Follower = %+v, want %+v", got, want)
	}
	_, err = s.Follower(ctx(t), actorA, "https://nobody.example/u")
	wantErr(t, "Follower(unknown)", err, store.ErrNotFound)
	_, err = s.Follower(ctx(t), actorB, want.FollowerID)
	wantErr(t, "Follower(other actor)", err, store.ErrNotFound)
}

func testAddSetsCreatedAt(t *testing.T, s store.Site) {
	f := follower(actorA, 1, 1)
	f.CreatedAt = f.CreatedAt.AddDate(-1, 0, 0)
	z := follower(actorA, 1, 2)
	z.CreatedAt = time.Time{}
	must(t, "AddFollower(given CreatedAt)", s.AddFollower(ctx(t), f))
	must(t, "AddFollower(zero CreatedAt)", s.AddFollower(ctx(t), z))
	got, err := s.Follower(ctx(t), actorA, f.FollowerID)
	must(t, "Follower", err)
	if !sameTime(got.CreatedAt, f.CreatedAt) {
		t.Errorf("CreatedAt = %v, want the given %v", got.CreatedAt, f.CreatedAt)
	}
	got, err = s.Follower(ctx(t), actorA, z.FollowerID)
	must(t, "Follower", err)
	if !recent(got.CreatedAt) {
		t.Errorf("CreatedAt of a follower added with zero CreatedAt = %v, want about now", got.CreatedAt)
	}
}

func testAddIsIdempotent(t *testing.T, s store.Site) {
	fs := []store.Follower{follower(actorA, 1, 1), follower(actorA, 2, 2), follower(actorA, 3, 3)}
	for _, f := range fs {
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
	}
	// The oldest follows again from a new server setup: new inboxes, a new Follow id, a later time.
	again := fs[0]
	again.Inbox = "https://moved.example/users/u1/inbox"
	again.SharedInbox = "https://moved.example/inbox"
	again.FollowID = "https://h001.example/follows/again"
	again.CreatedAt = base.AddDate(1, 0, 0)
	must(t, "AddFollower(again)", s.AddFollower(ctx(t), again))
	must(t, "AddFollower(again, unchanged)", s.AddFollower(ctx(t), again))

	got, err := s.Follower(ctx(t), actorA, again.FollowerID)
	must(t, "Follower", err)
	want := again
	want.CreatedAt = fs[0].CreatedAt
	if !sameFollower(got, want) {
		t.Errorf("after re-adding, Follower = %+v, want %+v (new inboxes and FollowID, first CreatedAt)", got, want)
	}
	byFollow, err := s.FollowerByFollowID(ctx(t), again.FollowID)
	must(t, "FollowerByFollowID(new id)", err)
	if byFollow.FollowerID != again.FollowerID {
		t.Errorf("FollowerByFollowID(new id) = %s, want %s", byFollow.FollowerID, again.FollowerID)
	}
	n, err := store.CountFollowers(ctx(t), s, actorA)
	wantCount(t, "CountFollowers after re-adding", n, err, 3)
	ids := followerIDs(t, s, actorA, 2)
	wantIDs := []string{fs[2].FollowerID, fs[1].FollowerID, fs[0].FollowerID}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("listing after re-adding = %v, want %v (same place)", ids, wantIDs)
	}
	inboxes := allInboxes(t, s, actorA, 10)
	if slices.Contains(inboxes, fs[0].DeliveryInbox()) || !slices.Contains(inboxes, again.DeliveryInbox()) {
		t.Errorf("DeliveryInboxes after re-adding = %v, want %s replaced by %s", inboxes, fs[0].DeliveryInbox(), again.DeliveryInbox())
	}
}

func testRemove(t *testing.T, s store.Site) {
	f := follower(actorA, 1, 1)
	other := follower(actorA, 1, 2)
	must(t, "AddFollower", s.AddFollower(ctx(t), f))
	must(t, "AddFollower", s.AddFollower(ctx(t), other))
	wantErr(t, "RemoveFollower(unknown)", s.RemoveFollower(ctx(t), actorA, "https://nobody.example/u"), store.ErrNotFound)
	wantErr(t, "RemoveFollower(other actor)", s.RemoveFollower(ctx(t), actorB, f.FollowerID), store.ErrNotFound)
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorA, f.FollowerID))
	wantErr(t, "RemoveFollower(again)", s.RemoveFollower(ctx(t), actorA, f.FollowerID), store.ErrNotFound)
	_, err := s.Follower(ctx(t), actorA, f.FollowerID)
	wantErr(t, "Follower(removed)", err, store.ErrNotFound)
	_, err = s.FollowerByFollowID(ctx(t), f.FollowID)
	wantErr(t, "FollowerByFollowID(removed)", err, store.ErrNotFound)
	if ids := followerIDs(t, s, actorA, 10); !slices.Equal(ids, []string{other.FollowerID}) {
		t.Errorf("listing after removal = %v, want [%s]", ids, other.FollowerID)
	}
	n, err := store.CountFollowers(ctx(t), s, actorA)
	wantCount(t, "CountFollowers after removal", n, err, 1)
	// Following again after an Undo is a new follow.
	must(t, "AddFollower(after removal)", s.AddFollower(ctx(t), f))
	if ids := followerIDs(t, s, actorA, 10); !slices.Equal(ids, []string{f.FollowerID, other.FollowerID}) {
		t.Errorf("listing after following again = %v, want the returning follower first", ids)
	}
}

func testByFollowID(t *testing.T, s store.Site) {
	a := follower(actorA, 1, 1)
	b := follower(actorB, 1, 1)
	must(t, "AddFollower", s.AddFollower(ctx(t), a))
	must(t, "AddFollower", s.AddFollower(ctx(t), b))
	for _, want := range []store.Follower{a, b} {
		got, err := s.FollowerByFollowID(ctx(t), want.FollowID)
		must(t, "FollowerByFollowID", err)
		if !sameFollower(got, want) {
			t.Errorf("FollowerByFollowID(%s) = %+v, want %+v", want.FollowID, got, want)
		}
	}
	_, err := s.FollowerByFollowID(ctx(t), "https://h001.example/follows/unknown")
	wantErr(t, "FollowerByFollowID(unknown)", err, store.ErrNotFound)
}

func testFollowersPageOrder(t *testing.T, s store.Site) {
	var want []string
	for i := range 23 {
		f := follower(actorA, i%4, i)
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
		want = append([]string{f.FollowerID}, want...)
	}
	for _, limit := range []int{1, 5, 23, 100} {
		got := followerIDs(t, s, actorA, limit)
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: followers = %v, want newest first %v", limit, got, want)
		}
	}
	p, err := s.FollowersPage(ctx(t), "https://news.example/actors/none", "", 10)
	must(t, "FollowersPage(no followers)", err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Errorf("FollowersPage(no followers) = %+v, want an empty last page", p)
	}
}

func testFollowersPageConcurrent(t *testing.T, s store.Site) {
	const before, during = 60, 60
	var want []string
	for i := range before {
		f := follower(actorA, i%7, i)
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
		want = append(want, f.FollowerID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, during)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < during; i += 4 {
				if err := s.AddFollower(ctx(t), follower(actorA, 100+i%7, before+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	seen := make(map[string]int)
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > before+during {
			t.Fatalf("paging did not end after %d pages", pages)
		}
		p, err := s.FollowersPage(ctx(t), actorA, cursor, 7)
		must(t, "FollowersPage", err)
		for _, f := range p.Items {
			seen[f.FollowerID]++
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent AddFollower: %v", err)
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("follower %s present before paging began was listed %d times, want exactly once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("follower %s listed %d times while followers were added", id, n)
		}
	}
}

func testFollowersBadCursor(t *testing.T, s store.Site) {
	must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorA, 1, 1)))
	_, err := s.FollowersPage(ctx(t), actorA, "%%not a cursor%%", 10)
	wantErr(t, "FollowersPage(forged cursor)", err, store.ErrBadCursor)
}

func testCountFollowers(t *testing.T, s store.Site) {
	n, err := store.CountFollowers(ctx(t), s, actorA)
	wantCount(t, "CountFollowers(empty)", n, err, 0)
	for i := range 9 {
		must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorA, i%3, i)))
		must(t, "AddFollower(again)", s.AddFollower(ctx(t), follower(actorA, i%3, i)))
	}
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorA, follower(actorA, 0, 0).FollowerID))
	n, err = store.CountFollowers(ctx(t), s, actorA)
	wantCount(t, "CountFollowers after 9 adds (each twice) and 1 removal", n, err, 8)
}

func testDeliveryInboxes(t *testing.T, s store.Site) {
	// 6 hosts, 5 followers each: even hosts share one inbox, odd hosts give one inbox per follower.
	wantSet := make(map[string]bool)
	for host := range 6 {
		for i := range 5 {
			f := follower(actorA, host, host*10+i)
			must(t, "AddFollower", s.AddFollower(ctx(t), f))
			wantSet[f.DeliveryInbox()] = true
		}
	}
	var want []string
	for in := range wantSet {
		want = append(want, in)
	}
	slices.Sort(want)
	if len(want) != 3+3*5 {
		t.Fatalf("test setup: %d distinct inboxes, want 18", len(want))
	}
	for _, limit := range []int{1, 4, 18, 50} {
		if got := allInboxes(t, s, actorA, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: DeliveryInboxes = %v, want distinct and ascending %v", limit, got, want)
		}
	}
	// Resuming after an inbox that is not stored starts at the next one up.
	after := want[4] + "/"
	got, err := s.DeliveryInboxes(ctx(t), actorA, after, 3)
	must(t, "DeliveryInboxes", err)
	if !slices.Equal(got, want[5:8]) {
		t.Errorf("DeliveryInboxes(after %q, 3) = %v, want %v", after, got, want[5:8])
	}
	got, err = s.DeliveryInboxes(ctx(t), actorA, want[len(want)-1], 10)
	must(t, "DeliveryInboxes", err)
	if len(got) != 0 {
		t.Errorf("DeliveryInboxes(after the last) = %v, want none", got)
	}
	got, err = s.DeliveryInboxes(ctx(t), actorB, "", 10)
	must(t, "DeliveryInboxes", err)
	if len(got) != 0 {
		t.Errorf("DeliveryInboxes(actor with no followers) = %v, want none", got)
	}
}

func testDeliveryInboxesChanges(t *testing.T, s store.Site) {
	shared1 := follower(actorA, 0, 1)
	shared2 := follower(actorA, 0, 2)
	solo := follower(actorA, 1, 3)
	for _, f := range []store.Follower{shared1, shared2, solo} {
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
	}
	check := func(step string, want ...string) {
		t.Helper()
		if got := allInboxes(t, s, actorA, 10); !slices.Equal(got, want) {
			t.Errorf("after %s: DeliveryInboxes = %v, want %v", step, got, want)
		}
	}
	check("adding", shared1.SharedInbox, solo.Inbox)
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorA, shared1.FollowerID))
	check("removing one of two followers behind a shared inbox", shared1.SharedInbox, solo.Inbox)
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorA, shared2.FollowerID))
	check("removing the last follower behind a shared inbox", solo.Inbox)
	moved := solo
	moved.SharedInbox = "https://h001.example/inbox"
	must(t, "AddFollower(moved)", s.AddFollower(ctx(t), moved))
	check("a follower's server gaining a shared inbox", moved.SharedInbox)
}

func testActorsSeparate(t *testing.T, s store.Site) {
	must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorA, 1, 1)))
	must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorB, 1, 1)))
	must(t, "AddFollower", s.AddFollower(ctx(t), follower(actorB, 2, 2)))
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), actorB, follower(actorB, 1, 1).FollowerID))
	if got := followerIDs(t, s, actorA, 10); !slices.Equal(got, []string{follower(actorA, 1, 1).FollowerID}) {
		t.Errorf("followers of %s = %v; removing the same follower from %s must not touch it", actorA, got, actorB)
	}
	if got := allInboxes(t, s, actorA, 10); !slices.Equal(got, []string{follower(actorA, 1, 1).Inbox}) {
		t.Errorf("inboxes of %s = %v, want only its own follower's", actorA, got)
	}
	n, err := store.CountFollowers(ctx(t), s, actorB)
	wantCount(t, "CountFollowers("+actorB+")", n, err, 1)
}

// followerIDs walks every page of an actor's followers and checks page sizes on the way.
func followerIDs(t *testing.T, s store.Site, actor string, limit int) []string {
	t.Helper()
	var ids []string
	for _, f := range walkPages(t, "FollowersPage", limit, 10_000, func(cursor string) (store.Page[store.Follower], error) {
		return s.FollowersPage(ctx(t), actor, cursor, limit)
	}) {
		if f.ActorID != actor {
			t.Errorf("FollowersPage(%s) listed a follower of %s", actor, f.ActorID)
		}
		ids = append(ids, f.FollowerID)
	}
	return ids
}

// allInboxes walks DeliveryInboxes from the start, resuming after the last inbox of each batch.
func allInboxes(t *testing.T, s store.Site, actor string, limit int) []string {
	t.Helper()
	var all []string
	after := ""
	for range 10_000 {
		batch, err := s.DeliveryInboxes(ctx(t), actor, after, limit)
		must(t, "DeliveryInboxes", err)
		if len(batch) > limit {
			t.Fatalf("DeliveryInboxes(limit %d) returned %d inboxes", limit, len(batch))
		}
		if len(batch) == 0 {
			return all
		}
		all = append(all, batch...)
		after = batch[len(batch)-1]
	}
	t.Fatalf("DeliveryInboxes: no end after 10000 batches")
	return nil
}

// testRemoveByInbox removes the followers behind one shared inbox, of two actors, and leaves
// everyone else alone.
func testRemoveByInbox(t *testing.T, s store.Site) {
	shared := []store.Follower{follower(actorA, 2, 1), follower(actorA, 2, 2), follower(actorB, 2, 3)}
	others := []store.Follower{follower(actorA, 4, 4), follower(actorA, 1, 5), follower(actorB, 3, 6)}
	for _, f := range append(slices.Clone(shared), others...) {
		must(t, "AddFollower", s.AddFollower(ctx(t), f))
	}
	inbox := shared[0].SharedInbox
	got, err := s.RemoveFollowersByInbox(ctx(t), inbox)
	must(t, "RemoveFollowersByInbox", err)
	if len(got) != len(shared) {
		t.Fatalf("RemoveFollowersByInbox returned %d followers, want %d: %+v", len(got), len(shared), got)
	}
	for _, want := range shared {
		if !slices.ContainsFunc(got, func(f store.Follower) bool { return sameFollower(f, want) }) {
			t.Errorf("RemoveFollowersByInbox result lacks %+v", want)
		}
		_, err := s.Follower(ctx(t), want.ActorID, want.FollowerID)
		wantErr(t, "Follower(removed)", err, store.ErrNotFound)
		_, err = s.FollowerByFollowID(ctx(t), want.FollowID)
		wantErr(t, "FollowerByFollowID(removed)", err, store.ErrNotFound)
	}
	for _, f := range others {
		if _, err := s.Follower(ctx(t), f.ActorID, f.FollowerID); err != nil {
			t.Errorf("Follower(%s) after removing another inbox: %v", f.FollowerID, err)
		}
	}
	if n, err := store.CountFollowers(ctx(t), s, actorA); err != nil || n != 2 {
		t.Errorf("CountFollowers(A) = %d, %v; want 2", n, err)
	}
	if n, err := store.CountFollowers(ctx(t), s, actorB); err != nil || n != 1 {
		t.Errorf("CountFollowers(B) = %d, %v; want 1", n, err)
	}
	for _, a := range []string{actorA, actorB} {
		if in := allInboxes(t, s, a, 10); slices.Contains(in, inbox) {
			t.Errorf("DeliveryInboxes(%s) = %v still lists %s", a, in, inbox)
		}
	}
	p, err := s.FollowersPage(ctx(t), actorA, "", 10)
	must(t, "FollowersPage", err)
	if len(p.Items) != 2 {
		t.Errorf("FollowersPage(A) after removal has %d items, want 2", len(p.Items))
	}
	got, err = s.RemoveFollowersByInbox(ctx(t), inbox)
	must(t, "RemoveFollowersByInbox(again)", err)
	if len(got) != 0 {
		t.Errorf("RemoveFollowersByInbox(again) = %+v, want none", got)
	}
	got, err = s.RemoveFollowersByInbox(ctx(t), others[1].Inbox)
	must(t, "RemoveFollowersByInbox(personal inbox)", err)
	if len(got) != 1 || !sameFollower(got[0], others[1]) {
		t.Errorf("RemoveFollowersByInbox(personal inbox) = %+v, want [%+v]", got, others[1])
	}
}

// testRemoveByInboxAfterMove checks that a follower whose delivery inbox changed (a repeated
// Follow naming new inboxes) is found by its new inbox only.
func testRemoveByInboxAfterMove(t *testing.T, s store.Site) {
	f := follower(actorA, 1, 1)
	must(t, "AddFollower", s.AddFollower(ctx(t), f))
	old := f.DeliveryInbox()
	f.SharedInbox = "https://moved.example/inbox"
	must(t, "AddFollower(moved)", s.AddFollower(ctx(t), f))
	got, err := s.RemoveFollowersByInbox(ctx(t), old)
	must(t, "RemoveFollowersByInbox(old inbox)", err)
	if len(got) != 0 {
		t.Errorf("RemoveFollowersByInbox(old inbox) = %+v, want none", got)
	}
	got, err = s.RemoveFollowersByInbox(ctx(t), f.SharedInbox)
	must(t, "RemoveFollowersByInbox(new inbox)", err)
	if len(got) != 1 || got[0].FollowerID != f.FollowerID {
		t.Errorf("RemoveFollowersByInbox(new inbox) = %+v, want the moved follower", got)
	}
	if n, err := store.CountFollowers(ctx(t), s, actorA); err != nil || n != 0 {
		t.Errorf("CountFollowers = %d, %v; want 0", n, err)
	}
}
