package storetest

import (
	"slices"
	"testing"

	"github.com/fedsite/fedsite/store"
)

var blockTests = []test{
	{"AddAndList", testBlocksAddAndList},
	{"Paging", testBlocksPaging},
	{"AddSetsCreatedAt", testBlockSetsCreatedAt},
	{"AddKeepsExisting", testBlockKeepsExisting},
	{"Bad", testBlockBad},
	{"Covers", testBlockedCovers},
	{"Remove", testBlockRemove},
	{"RemovesFollowers", testBlockRemovesFollowers},
	{"RemovesFollowersAgain", testBlockRemovesFollowersAgain},
}

func testBlocksAddAndList(t *testing.T, s store.Site) {
	dom := store.Block{Domain: "Evil.Example.", Reason: "spam", CreatedBy: "mod-1", CreatedAt: base}
	act := store.Block{ActorID: "https://ok.example/users/troll#main-key", Reason: "abuse", CreatedBy: "mod-2", CreatedAt: base.Add(msec(1))}
	for _, b := range []store.Block{dom, act} {
		_, err := s.AddBlock(ctx(t), b)
		must(t, "AddBlock", err)
	}
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 2 || p.Next != "" {
		t.Fatalf("BlocksPage = %+v, want two blocks on one page", p)
	}
	want := []store.Block{
		{ActorID: "https://ok.example/users/troll", Reason: "abuse", CreatedBy: "mod-2", CreatedAt: act.CreatedAt},
		{Domain: "evil.example", Reason: "spam", CreatedBy: "mod-1", CreatedAt: dom.CreatedAt},
	}
	for i, w := range want {
		g := p.Items[i]
		if g.Domain != w.Domain || g.ActorID != w.ActorID || g.Reason != w.Reason || g.CreatedBy != w.CreatedBy || !sameTime(g.CreatedAt, w.CreatedAt) {
			t.Errorf("BlocksPage item %d = %+v, want %+v (normalized, newest first)", i, g, w)
		}
	}
}

func testBlocksPaging(t *testing.T, s store.Site) {
	var want []string
	for i := range 5 {
		b := store.Block{Domain: "h" + string(rune('a'+i)) + ".example", CreatedAt: base.Add(msec(i))}
		_, err := s.AddBlock(ctx(t), b)
		must(t, "AddBlock", err)
		want = append([]string{b.Domain}, want...)
	}
	var got []string
	for _, b := range walkPages(t, "BlocksPage", 2, 10, func(cursor string) (store.Page[store.Block], error) {
		return s.BlocksPage(ctx(t), cursor, 2)
	}) {
		got = append(got, b.Domain)
	}
	if !slices.Equal(got, want) {
		t.Errorf("blocks paged = %v, want %v", got, want)
	}
	_, err := s.BlocksPage(ctx(t), "not-a-cursor", 2)
	wantErr(t, "BlocksPage(forged cursor)", err, store.ErrBadCursor)
}

func testBlockSetsCreatedAt(t *testing.T, s store.Site) {
	_, err := s.AddBlock(ctx(t), store.Block{Domain: "evil.example"})
	must(t, "AddBlock", err)
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 1 || !recent(p.Items[0].CreatedAt) {
		t.Errorf("BlocksPage = %+v, want one block created now", p.Items)
	}
}

func testBlockKeepsExisting(t *testing.T, s store.Site) {
	first := store.Block{Domain: "evil.example", Reason: "spam", CreatedBy: "mod-1", CreatedAt: base}
	_, err := s.AddBlock(ctx(t), first)
	must(t, "AddBlock", err)
	_, err = s.AddBlock(ctx(t), store.Block{Domain: "EVIL.example", Reason: "again", CreatedBy: "mod-2", CreatedAt: base.Add(msec(5))})
	must(t, "AddBlock(again)", err)
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 1 {
		t.Fatalf("BlocksPage = %+v, want the one block", p.Items)
	}
	if g := p.Items[0]; g.Reason != "spam" || g.CreatedBy != "mod-1" || !sameTime(g.CreatedAt, base) {
		t.Errorf("block after adding it again = %+v, want the first one kept", g)
	}
}

func testBlockBad(t *testing.T, s store.Site) {
	for _, b := range []store.Block{
		{},
		{Domain: "evil.example", ActorID: "https://evil.example/users/a"},
		{Domain: "https://evil.example"},
		{Domain: "evil.example:443"},
		{ActorID: "troll"},
	} {
		_, err := s.AddBlock(ctx(t), b)
		wantErr(t, "AddBlock(bad)", err, store.ErrBadBlock)
	}
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 0 {
		t.Errorf("BlocksPage after bad blocks = %+v, want none", p.Items)
	}
}

// testBlockedCovers checks subdomains, ports, case and fragments, all in one call.
func testBlockedCovers(t *testing.T, s store.Site) {
	for _, b := range []store.Block{{Domain: "Evil.Example"}, {ActorID: "https://ok.example/users/troll"}} {
		_, err := s.AddBlock(ctx(t), b)
		must(t, "AddBlock", err)
	}
	tests := []struct {
		iri  string
		want bool
	}{
		{"https://evil.example/users/a", true},
		{"https://EVIL.example:8443/users/a#main-key", true},
		{"https://sub.evil.example/x", true},
		{"https://evil.example./x", true},
		{"https://notevil.example/x", false},
		{"https://evil.example.org/x", false},
		{"https://ok.example/users/troll", true},
		{"https://ok.example/users/troll#main-key", true},
		{"https://ok.example/users/troll2", false},
		{"https://ok.example/users/troll/inbox", true},
		{"https://ok.example/users/troll/statuses/1?page=2", true},
		{"https://ok.example/users/troll2/inbox", false},
		{"https://ok.example/users", false},
		{"https://ok.example/inbox", false},
		{"not a url", false},
	}
	iris := make([]string, len(tests))
	for i, tt := range tests {
		iris[i] = tt.iri
	}
	got, err := s.Blocked(ctx(t), iris...)
	must(t, "Blocked", err)
	if len(got) != len(tests) {
		t.Fatalf("Blocked returned %d answers for %d IRIs", len(got), len(tests))
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("Blocked(%q) = %v, want %v", tt.iri, got[i], tt.want)
		}
	}
	got, err = s.Blocked(ctx(t))
	if err != nil || len(got) != 0 {
		t.Errorf("Blocked() = %v, %v; want no answers", got, err)
	}
}

func testBlockRemove(t *testing.T, s store.Site) {
	dom, err := store.Block{Domain: "evil.example"}.Normalized()
	must(t, "Normalized", err)
	act, err := store.Block{ActorID: "https://ok.example/users/troll"}.Normalized()
	must(t, "Normalized", err)
	for _, b := range []store.Block{dom, act} {
		_, err := s.AddBlock(ctx(t), b)
		must(t, "AddBlock", err)
	}
	must(t, "RemoveBlock(domain)", s.RemoveBlock(ctx(t), dom.Target()))
	wantErr(t, "RemoveBlock(domain again)", s.RemoveBlock(ctx(t), dom.Target()), store.ErrNotFound)
	got, err := s.Blocked(ctx(t), "https://evil.example/users/a", "https://ok.example/users/troll")
	must(t, "Blocked", err)
	if !slices.Equal(got, []bool{false, true}) {
		t.Errorf("Blocked after lifting the domain block = %v, want [false true]", got)
	}
	must(t, "RemoveBlock(actor)", s.RemoveBlock(ctx(t), act.Target()))
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 0 {
		t.Errorf("BlocksPage after removing every block = %+v", p.Items)
	}
	// A lifted block can be made again.
	_, err = s.AddBlock(ctx(t), dom)
	must(t, "AddBlock(again)", err)
	if got, err := s.Blocked(ctx(t), "https://evil.example/users/a"); err != nil || !got[0] {
		t.Errorf("Blocked after blocking again = %v, %v", got, err)
	}
}

// blockedFollowers are followers of two local actors on evil.example and around it.
func blockedFollowers() (covered, kept []store.Follower) {
	f := func(actor, id, shared string, i int) store.Follower {
		return store.Follower{ActorID: actor, FollowerID: id, Inbox: id + "/inbox", SharedInbox: shared,
			FollowID: id + "/follows/" + actor, CreatedAt: base.Add(msec(i))}
	}
	covered = []store.Follower{
		f(actorA, "https://evil.example/users/a", "https://evil.example/inbox", 1),
		f(actorB, "https://evil.example/users/a", "https://evil.example/inbox", 2),
		f(actorA, "https://sub.evil.example/users/b", "", 3),
		f(actorB, "https://EVIL.example/users/c", "https://evil.example/inbox", 4),
	}
	kept = []store.Follower{
		f(actorA, "https://notevil.example/users/d", "", 5),
		f(actorA, "https://evil.example.org/users/e", "https://evil.example.org/inbox", 6),
		f(actorB, "https://ok.example/users/f", "https://ok.example/inbox", 7),
		f(actorA, "https://ok.example/users/troll2", "https://ok.example/inbox", 8),
	}
	return covered, kept
}

// testBlockRemovesFollowers blocks a domain, then an actor, and checks that exactly the
// followers each covers are removed and returned, of every local actor, with their indexes.
func testBlockRemovesFollowers(t *testing.T, s store.Site) {
	covered, kept := blockedFollowers()
	troll := store.Follower{ActorID: actorB, FollowerID: "https://ok.example/users/troll", Inbox: "https://ok.example/users/troll/inbox",
		SharedInbox: "https://ok.example/inbox", FollowID: "https://ok.example/follows/9", CreatedAt: base.Add(msec(9))}
	under := store.Follower{ActorID: actorA, FollowerID: troll.FollowerID + "/alt", Inbox: troll.FollowerID + "/alt/inbox",
		FollowID: "https://ok.example/follows/10", CreatedAt: base.Add(msec(10))}
	for _, fl := range append(append(slices.Clone(covered), kept...), troll, under) {
		must(t, "AddFollower", s.AddFollower(ctx(t), fl))
	}
	check := func(op string, got, want []store.Follower) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s removed %d followers, want %d: %+v", op, len(got), len(want), got)
		}
		for _, w := range want {
			if !slices.ContainsFunc(got, func(g store.Follower) bool { return sameFollower(g, w) }) {
				t.Errorf("%s result lacks %+v", op, w)
			}
			_, err := s.Follower(ctx(t), w.ActorID, w.FollowerID)
			wantErr(t, op+": Follower(removed)", err, store.ErrNotFound)
			_, err = s.FollowerByFollowID(ctx(t), w.FollowID)
			wantErr(t, op+": FollowerByFollowID(removed)", err, store.ErrNotFound)
		}
	}
	got, err := s.AddBlock(ctx(t), store.Block{Domain: "evil.example"})
	must(t, "AddBlock(domain)", err)
	check("AddBlock(domain)", got, covered)
	got, err = s.AddBlock(ctx(t), store.Block{ActorID: troll.FollowerID + "#main-key"})
	must(t, "AddBlock(actor)", err)
	check("AddBlock(actor)", got, []store.Follower{troll, under})
	for _, fl := range kept {
		if _, err := s.Follower(ctx(t), fl.ActorID, fl.FollowerID); err != nil {
			t.Errorf("Follower(%s) that no block covers: %v", fl.FollowerID, err)
		}
	}
	wantInboxes := map[string][]string{
		actorA: {"https://evil.example.org/inbox", "https://notevil.example/users/d/inbox", "https://ok.example/inbox"},
		actorB: {"https://ok.example/inbox"},
	}
	for a, want := range wantInboxes {
		if in := allInboxes(t, s, a, 10); !slices.Equal(in, want) {
			t.Errorf("DeliveryInboxes(%s) = %v, want %v", a, in, want)
		}
	}
	if n, err := store.CountFollowers(ctx(t), s, actorB); err != nil || n != 1 {
		t.Errorf("CountFollowers(B) = %d, %v; want 1", n, err)
	}
	// The by-inbox index lost the removed followers too.
	if got, err := s.RemoveFollowersByInbox(ctx(t), "https://evil.example/inbox"); err != nil || len(got) != 0 {
		t.Errorf("RemoveFollowersByInbox(blocked inbox) = %+v, %v; want none", got, err)
	}
	if got, err := s.RemoveFollowersByInbox(ctx(t), "https://ok.example/inbox"); err != nil || len(got) != 2 {
		t.Errorf("RemoveFollowersByInbox(ok inbox) = %+v, %v; want the two followers no block covers", got, err)
	}
}

// testBlockRemovesFollowersAgain checks that adding a block again removes followers that were
// added since, keeping the block as it was, and that a follower removed otherwise leaves no
// trace a block would find.
func testBlockRemovesFollowersAgain(t *testing.T, s store.Site) {
	covered, _ := blockedFollowers()
	_, err := s.AddBlock(ctx(t), store.Block{Domain: "evil.example", Reason: "spam"})
	must(t, "AddBlock", err)
	for _, fl := range covered {
		must(t, "AddFollower", s.AddFollower(ctx(t), fl))
	}
	must(t, "RemoveFollower", s.RemoveFollower(ctx(t), covered[0].ActorID, covered[0].FollowerID))
	_, err = s.RemoveFollowersByInbox(ctx(t), covered[2].Inbox)
	must(t, "RemoveFollowersByInbox", err)
	got, err := s.AddBlock(ctx(t), store.Block{Domain: "evil.example", Reason: "again"})
	must(t, "AddBlock(again)", err)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ActorID+" "+g.FollowerID)
	}
	slices.Sort(ids)
	want := []string{actorB + " " + covered[1].FollowerID, actorB + " " + covered[3].FollowerID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("AddBlock(again) removed %v, want %v", ids, want)
	}
	p, err := s.BlocksPage(ctx(t), "", 10)
	must(t, "BlocksPage", err)
	if len(p.Items) != 1 || p.Items[0].Reason != "spam" {
		t.Errorf("BlocksPage = %+v, want the first block kept", p.Items)
	}
}
