package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

const (
	articleA = "https://news.example/articles/a"
	articleB = "https://news.example/articles/b"
	// actorNews and actorDesk are local actors, the objects of mentions.
	actorNews = "https://news.example/ap/users/news"
	actorDesk = "https://news.example/ap/users/desk"
)

var interactionTests = []test{
	{"AddAndGet", testInteractionAddAndGet},
	{"AddSetsCreatedAt", testInteractionCreatedAt},
	{"ReAddReplacesDocumentKeepsPlace", testInteractionReAdd},
	{"Remove", testInteractionRemove},
	{"PageNewestFirstByKind", testInteractionsPage},
	{"PageBadCursor", testInteractionsBadCursor},
	{"CountByKind", testCountInteractions},
	{"OnePerActor", testInteractionOnePerActor},
	{"OnePerActorConcurrent", testInteractionOnePerActorConcurrent},
	{"LikeAndAnnounceBySameActor", testInteractionLikeAndAnnounce},
	{"InteractionBy", testInteractionBy},
	{"MentionsOfAnActor", testMentions},
	{"HideReplyKeepsPlace", testHideReply},
	{"ReactionsPerEmoji", testReactionsPerEmoji},
	{"ReactionReAddKeepsEmoji", testReactionReAdd},
}

var followRequestTests = []test{
	{"AddAndGet", testRequestAddAndGet},
	{"RepeatReplacesKeepsPlace", testRequestRepeat},
	{"Remove", testRequestRemove},
	{"PageNewestFirst", testRequestsPage},
	{"PageBadCursor", testRequestsBadCursor},
}

// interaction returns interaction number i of a kind on an object; replies and mentions carry a
// document, reactions an emoji (one of reactionEmoji) and, for a custom emoji, a document.
func interaction(object string, kind store.InteractionKind, i int) store.Interaction {
	in := store.Interaction{
		ID:        fmt.Sprintf("https://r%d.example/%s/%d", i%3, kind, i),
		Kind:      kind,
		ObjectID:  object,
		ActorID:   fmt.Sprintf("https://r%d.example/users/u%d", i%3, i),
		CreatedAt: base.Add(msec(i)),
	}
	switch {
	case kind == store.InteractionReaction:
		in.Emoji = reactionEmoji[i%len(reactionEmoji)]
		if strings.HasPrefix(in.Emoji, ":") {
			in.Document = fmt.Appendf(nil, `{"type":"Emoji","name":":blobcat:","icon":{"url":"https://r.example/e/%d.png"}}`, i)
		}
	case !kind.OnePerActor():
		in.Document = fmt.Appendf(nil, `{"type":"Note","content":"%s %d"}`, kind, i)
	}
	return in
}

// reactionEmoji are emoji as activitypub spells them: Unicode ones (one of several code points)
// and custom ones, whose names differ by host only or by case only.
var reactionEmoji = []string{"👍", ":blobcat@r.example:", "👨‍👩‍👧", ":blobcat@s.example:", ":BlobCat@r.example:"}

// wantAdded adds in and fails the test unless AddInteraction succeeds and reports added as want.
func wantAdded(t *testing.T, s store.Site, in store.Interaction, want bool) {
	t.Helper()
	added, err := s.AddInteraction(ctx(t), in)
	must(t, "AddInteraction("+in.ID+")", err)
	if added != want {
		t.Errorf("AddInteraction(%s %s) added = %t, want %t", in.Kind, in.ID, added, want)
	}
}

func sameInteraction(got, want store.Interaction) bool {
	return got.ID == want.ID && got.Kind == want.Kind && got.ObjectID == want.ObjectID && got.ActorID == want.ActorID &&
		got.Emoji == want.Emoji && bytes.Equal(got.Document, want.Document) && sameTime(got.CreatedAt, want.CreatedAt)
}

func testInteractionAddAndGet(t *testing.T, s store.Site) {
	for _, want := range []store.Interaction{
		interaction(articleA, store.InteractionLike, 1),
		interaction(articleA, store.InteractionAnnounce, 2),
		interaction(articleA, store.InteractionReply, 3),
		interaction(actorNews, store.InteractionMention, 4),
		interaction(articleA, store.InteractionDislike, 5),
		interaction(articleA, store.InteractionReaction, 6), // a custom emoji, with a document
		interaction(articleA, store.InteractionReaction, 7), // a Unicode one, without
		interaction(articleA, store.InteractionQuote, 8),
	} {
		wantAdded(t, s, want, true)
		got, err := s.Interaction(ctx(t), want.ID)
		must(t, "Interaction", err)
		if !sameInteraction(got, want) {
			t.Errorf("Interaction = %+v, want %+v", got, want)
		}
		if len(want.Document) == 0 && len(got.Document) != 0 {
			t.Errorf("%s Document = %q, want empty", want.Kind, got.Document)
		}
	}
	_, err := s.Interaction(ctx(t), "https://nobody.example/like/1")
	wantErr(t, "Interaction(unknown)", err, store.ErrNotFound)
}

func testInteractionCreatedAt(t *testing.T, s store.Site) {
	in := interaction(articleA, store.InteractionLike, 1)
	in.CreatedAt = time.Time{}
	wantAdded(t, s, in, true)
	got, err := s.Interaction(ctx(t), in.ID)
	must(t, "Interaction", err)
	if !recent(got.CreatedAt) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
}

func testInteractionReAdd(t *testing.T, s store.Site) {
	first := interaction(articleA, store.InteractionReply, 1)
	wantAdded(t, s, first, true)
	wantAdded(t, s, interaction(articleA, store.InteractionReply, 2), true)
	edited := first
	edited.Document = []byte(`{"type":"Note","content":"edited"}`)
	edited.CreatedAt = base.AddDate(1, 0, 0)
	wantAdded(t, s, edited, true) // recorded: the known id gets the new Document
	got, err := s.Interaction(ctx(t), first.ID)
	must(t, "Interaction", err)
	if !bytes.Equal(got.Document, edited.Document) {
		t.Errorf("Document = %q, want the edited %q", got.Document, edited.Document)
	}
	if !sameTime(got.CreatedAt, first.CreatedAt) {
		t.Errorf("CreatedAt = %v, want the first %v", got.CreatedAt, first.CreatedAt)
	}
	p, err := s.InteractionsPage(ctx(t), articleA, store.InteractionReply, "", 10)
	must(t, "InteractionsPage", err)
	if len(p.Items) != 2 || p.Items[1].ID != first.ID {
		t.Errorf("page = %v, want the edited reply still second (oldest)", interactionIDs(p.Items))
	}
}

func testInteractionRemove(t *testing.T, s store.Site) {
	in := interaction(articleA, store.InteractionLike, 1)
	wantAdded(t, s, in, true)
	must(t, "RemoveInteraction", s.RemoveInteraction(ctx(t), in.ID))
	_, err := s.Interaction(ctx(t), in.ID)
	wantErr(t, "Interaction(removed)", err, store.ErrNotFound)
	wantErr(t, "RemoveInteraction(again)", s.RemoveInteraction(ctx(t), in.ID), store.ErrNotFound)
	p, err := s.InteractionsPage(ctx(t), articleA, store.InteractionLike, "", 10)
	must(t, "InteractionsPage", err)
	if len(p.Items) != 0 {
		t.Errorf("page after remove = %v, want empty", interactionIDs(p.Items))
	}
	counts, err := store.CountInteractions(ctx(t), s, articleA)
	must(t, "CountInteractions", err)
	if len(counts) != 0 {
		t.Errorf("counts after remove = %v, want none", counts)
	}
}

func interactionIDs(items []store.Interaction) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func testInteractionsPage(t *testing.T, s store.Site) {
	const n = 7
	var want []string
	for i := range n {
		in := interaction(articleA, store.InteractionLike, i)
		wantAdded(t, s, in, true)
		want = append([]string{in.ID}, want...)
		// Other kinds and other objects must not show up.
		wantAdded(t, s, interaction(articleA, store.InteractionAnnounce, 100+i), true)
		wantAdded(t, s, interaction(articleB, store.InteractionLike, 200+i), true)
	}
	tests := []struct{ limit, pages int }{{1, 7}, {3, 3}, {7, 1}, {100, 1}}
	for _, tt := range tests {
		var got []string
		cursor, pages := "", 0
		for {
			p, err := s.InteractionsPage(ctx(t), articleA, store.InteractionLike, cursor, tt.limit)
			must(t, "InteractionsPage", err)
			pages++
			if len(p.Items) > tt.limit {
				t.Fatalf("limit %d: page holds %d items", tt.limit, len(p.Items))
			}
			got = append(got, interactionIDs(p.Items)...)
			if p.Next == "" || pages > n+1 {
				break
			}
			cursor = p.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || pages != tt.pages {
			t.Errorf("limit %d: %d pages %v, want %d pages %v", tt.limit, pages, got, tt.pages, want)
		}
	}
	p, err := s.InteractionsPage(ctx(t), "https://news.example/articles/none", store.InteractionLike, "", 10)
	must(t, "InteractionsPage(no object)", err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Errorf("page of an unknown object = %+v, want empty", p)
	}
	if _, err := s.InteractionsPage(ctx(t), articleA, store.InteractionLike, "", 0); err == nil {
		t.Error("InteractionsPage(limit 0) succeeded, want an error")
	}
}

func testInteractionsBadCursor(t *testing.T, s store.Site) {
	_, err := s.InteractionsPage(ctx(t), articleA, store.InteractionLike, "not a cursor!", 10)
	wantErr(t, "InteractionsPage(bad cursor)", err, store.ErrBadCursor)
}

func testCountInteractions(t *testing.T, s store.Site) {
	add := map[store.InteractionKind]int{store.InteractionLike: 3, store.InteractionReply: 2, store.InteractionQuote: 1}
	for kind, n := range add {
		for i := range n {
			wantAdded(t, s, interaction(articleA, kind, i), true)
		}
	}
	wantAdded(t, s, interaction(articleB, store.InteractionAnnounce, 9), true)
	counts, err := store.CountInteractions(ctx(t), s, articleA)
	must(t, "CountInteractions", err)
	if len(counts) != 3 || counts[store.InteractionLike] != 3 || counts[store.InteractionReply] != 2 || counts[store.InteractionQuote] != 1 {
		t.Errorf("counts = %v, want like 3, reply 2, quote 1 and no announce key", counts)
	}
	if _, ok := counts[store.InteractionAnnounce]; ok {
		t.Errorf("counts has an announce entry %v, want it absent", counts)
	}
}

// repeat is in's actor interacting again with the same object, under another id.
func repeat(in store.Interaction, n int) store.Interaction {
	in.ID = fmt.Sprintf("%s/again/%d", in.ID, n)
	in.CreatedAt = in.CreatedAt.Add(time.Hour)
	if !in.Kind.OnePerActor() {
		in.Document = fmt.Appendf(nil, `{"type":"Note","content":"again %d"}`, n)
	}
	return in
}

// otherEmoji is in's actor reacting again to the same object with another emoji.
func otherEmoji(in store.Interaction) store.Interaction {
	in.ID += "/other"
	in.Emoji = reactionEmoji[(slices.Index(reactionEmoji, in.Emoji)+1)%len(reactionEmoji)]
	return in
}

func testInteractionOnePerActor(t *testing.T, s store.Site) {
	// undo is how activitypub withdraws a Like or Announce named by id: by id, else by actor.
	undo := func(t *testing.T, in store.Interaction) {
		t.Helper()
		err := s.RemoveInteraction(ctx(t), in.ID)
		if errors.Is(err, store.ErrNotFound) {
			var kept store.Interaction
			kept, err = s.InteractionBy(ctx(t), in.ActorID, in.ObjectID, in.Kind, in.Emoji)
			must(t, "InteractionBy", err)
			err = s.RemoveInteraction(ctx(t), kept.ID)
		}
		must(t, "RemoveInteraction", err)
	}
	// second says how the second interaction relates to the first.
	type second int
	const (
		repeated    second = iota // the same actor under another id
		redelivered               // the same id again
		otherActor
		anotherEmoji // the same actor reacting with another emoji
	)
	tests := []struct {
		name   string
		kind   store.InteractionKind
		second second
		added  bool // what AddInteraction reports for the second
		undo   int  // 0: no undo; 1 or 2: undo by the first or second id
		want   int  // count after it all
	}{
		{"like twice", store.InteractionLike, repeated, false, 0, 1},
		{"like twice, undo by first id", store.InteractionLike, repeated, false, 1, 0},
		{"like twice, undo by second id", store.InteractionLike, repeated, false, 2, 0},
		{"like redelivered", store.InteractionLike, redelivered, true, 0, 1},
		{"two actors like", store.InteractionLike, otherActor, true, 0, 2},
		{"announce twice", store.InteractionAnnounce, repeated, false, 0, 1},
		{"announce twice, undo by first id", store.InteractionAnnounce, repeated, false, 1, 0},
		{"announce twice, undo by second id", store.InteractionAnnounce, repeated, false, 2, 0},
		{"announce redelivered", store.InteractionAnnounce, redelivered, true, 0, 1},
		{"two actors announce", store.InteractionAnnounce, otherActor, true, 0, 2},
		{"dislike twice", store.InteractionDislike, repeated, false, 0, 1},
		{"dislike twice, undo by second id", store.InteractionDislike, repeated, false, 2, 0},
		{"two actors dislike", store.InteractionDislike, otherActor, true, 0, 2},
		{"reaction twice", store.InteractionReaction, repeated, false, 0, 1},
		{"reaction twice, undo by first id", store.InteractionReaction, repeated, false, 1, 0},
		{"reaction twice, undo by second id", store.InteractionReaction, repeated, false, 2, 0},
		{"reaction redelivered", store.InteractionReaction, redelivered, true, 0, 1},
		{"two actors react", store.InteractionReaction, otherActor, true, 0, 2},
		{"one actor, two emoji", store.InteractionReaction, anotherEmoji, true, 0, 2},
		{"reply twice", store.InteractionReply, repeated, true, 0, 2},
		{"two actors reply", store.InteractionReply, otherActor, true, 0, 2},
		{"mention twice", store.InteractionMention, repeated, true, 0, 2},
		{"mention redelivered", store.InteractionMention, redelivered, true, 0, 1},
		{"two actors mention", store.InteractionMention, otherActor, true, 0, 2},
		{"quote twice", store.InteractionQuote, repeated, true, 0, 2},
		{"quote redelivered", store.InteractionQuote, redelivered, true, 0, 1},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			object := fmt.Sprintf("%s/%d", articleA, n)
			first := interaction(object, tt.kind, 10*n+1) // ids unique across cases
			var next store.Interaction
			switch tt.second {
			case repeated:
				next = repeat(first, 2)
			case redelivered:
				next = first
				next.CreatedAt = first.CreatedAt.Add(time.Hour) // the first's stays
			case otherActor:
				next = interaction(object, tt.kind, 10*n+2)
			case anotherEmoji:
				next = otherEmoji(first)
			}
			wantAdded(t, s, first, true)
			wantAdded(t, s, next, tt.added)
			kept := []store.Interaction{first, next}
			if tt.want == 1 {
				kept = kept[:1] // the older one stays
			}
			if !tt.added {
				_, err := s.Interaction(ctx(t), next.ID)
				wantErr(t, "Interaction(dropped repeat)", err, store.ErrNotFound)
			}
			switch tt.undo {
			case 1:
				undo(t, first)
				kept = nil
			case 2:
				undo(t, next)
				kept = nil
			}
			counts, err := store.CountInteractions(ctx(t), s, object)
			must(t, "CountInteractions", err)
			if counts[tt.kind] != tt.want || len(counts) > 1 {
				t.Errorf("counts = %v, want %s %d", counts, tt.kind, tt.want)
			}
			p, err := s.InteractionsPage(ctx(t), object, tt.kind, "", 10)
			must(t, "InteractionsPage", err)
			if len(p.Items) != len(kept) {
				t.Fatalf("page = %v, want %d items", interactionIDs(p.Items), len(kept))
			}
			for j, want := range kept {
				if got := p.Items[len(kept)-1-j]; !sameInteraction(got, want) {
					t.Errorf("page item %d = %+v, want %+v", len(kept)-1-j, got, want)
				}
			}
		})
	}
}

// testInteractionOnePerActorConcurrent adds one actor's Like of an object under many ids at once,
// then one new id from as many calls at once.
func testInteractionOnePerActorConcurrent(t *testing.T, s store.Site) {
	const n = 16
	// addAll adds every interaction of ins at once and returns what each call reported.
	addAll := func(ins []store.Interaction) []bool {
		added := make([]bool, len(ins))
		start := make(chan struct{}) // closed once every goroutine is started, so that the calls overlap
		var wg sync.WaitGroup
		for j, in := range ins {
			wg.Go(func() {
				<-start
				var err error
				if added[j], err = s.AddInteraction(ctx(t), in); err != nil {
					t.Errorf("concurrent AddInteraction(%s): %v", in.ID, err)
				}
			})
		}
		close(start)
		wg.Wait()
		return added
	}
	like := interaction(articleA, store.InteractionLike, 1)
	repeats := make([]store.Interaction, n)
	for j := range repeats {
		repeats[j] = repeat(like, j)
	}
	var kept []string
	for j, added := range addAll(repeats) {
		if added {
			kept = append(kept, repeats[j].ID)
		}
	}
	if len(kept) != 1 {
		t.Fatalf("%d concurrent Likes of one actor under different ids: %v reported added, want exactly one", n, kept)
	}
	got, err := s.InteractionBy(ctx(t), like.ActorID, articleA, store.InteractionLike, "")
	must(t, "InteractionBy", err)
	if got.ID != kept[0] {
		t.Errorf("InteractionBy = %s, want %s, the one reported added", got.ID, kept[0])
	}

	// Each call with one id records it: it adds the interaction or finds its id known.
	same := interaction(articleB, store.InteractionLike, 2)
	for j, added := range addAll(slices.Repeat([]store.Interaction{same}, n)) {
		if !added {
			t.Errorf("concurrent AddInteraction(%s) call %d: added = false, want true", same.ID, j)
		}
	}
	for _, object := range []string{articleA, articleB} {
		counts, err := store.CountInteractions(ctx(t), s, object)
		must(t, "CountInteractions", err)
		if counts[store.InteractionLike] != 1 {
			t.Errorf("likes of %s = %d, want 1", object, counts[store.InteractionLike])
		}
	}
}

// testInteractionLikeAndAnnounce checks that an actor's Like and Announce of one object are both
// kept: the limit is one of each kind.
func testInteractionLikeAndAnnounce(t *testing.T, s store.Site) {
	like := interaction(articleA, store.InteractionLike, 1)
	announce := like
	announce.ID, announce.Kind = like.ID+"/announce", store.InteractionAnnounce
	wantAdded(t, s, like, true)
	wantAdded(t, s, announce, true)
	for _, want := range []store.Interaction{like, announce} {
		got, err := s.InteractionBy(ctx(t), want.ActorID, want.ObjectID, want.Kind, want.Emoji)
		must(t, "InteractionBy", err)
		if !sameInteraction(got, want) {
			t.Errorf("InteractionBy(%s) = %+v, want %+v", want.Kind, got, want)
		}
	}
	counts, err := store.CountInteractions(ctx(t), s, articleA)
	must(t, "CountInteractions", err)
	if len(counts) != 2 || counts[store.InteractionLike] != 1 || counts[store.InteractionAnnounce] != 1 {
		t.Errorf("counts = %v, want like 1, announce 1", counts)
	}
}

func testInteractionBy(t *testing.T, s store.Site) {
	like := interaction(articleA, store.InteractionLike, 1)
	reply := interaction(articleA, store.InteractionReply, 1)
	wantAdded(t, s, like, true)
	wantAdded(t, s, repeat(like, 2), false)
	wantAdded(t, s, reply, true)
	wantAdded(t, s, interaction(articleB, store.InteractionLike, 4), true)
	tests := []struct {
		name          string
		actor, object string
		kind          store.InteractionKind
		want          string // the id found, "" for ErrNotFound
	}{
		{"the older of two likes", like.ActorID, articleA, store.InteractionLike, like.ID},
		{"no announce", like.ActorID, articleA, store.InteractionAnnounce, ""},
		{"another actor", "https://r2.example/users/u2", articleA, store.InteractionLike, ""},
		{"another object", like.ActorID, articleB, store.InteractionLike, ""},
		{"replies are not looked up", reply.ActorID, articleA, store.InteractionReply, ""},
	}
	for _, tt := range tests {
		got, err := s.InteractionBy(ctx(t), tt.actor, tt.object, tt.kind, "")
		if tt.want == "" {
			wantErr(t, tt.name, err, store.ErrNotFound)
			continue
		}
		must(t, tt.name, err)
		if got.ID != tt.want || !sameInteraction(got, like) {
			t.Errorf("%s: InteractionBy = %+v, want %+v", tt.name, got, like)
		}
	}
	// Once removed, the actor may like again under a new id.
	must(t, "RemoveInteraction", s.RemoveInteraction(ctx(t), like.ID))
	_, err := s.InteractionBy(ctx(t), like.ActorID, articleA, store.InteractionLike, "")
	wantErr(t, "InteractionBy(removed)", err, store.ErrNotFound)
	again := repeat(like, 3)
	wantAdded(t, s, again, true)
	got, err := s.InteractionBy(ctx(t), like.ActorID, articleA, store.InteractionLike, "")
	must(t, "InteractionBy(again)", err)
	if !sameInteraction(got, again) {
		t.Errorf("InteractionBy(again) = %+v, want %+v", got, again)
	}
}

func request(actor string, i int) store.FollowRequest {
	h := fmt.Sprintf("https://q%d.example", i)
	return store.FollowRequest{
		ActorID:     actor,
		FollowerID:  h + "/users/u",
		Inbox:       h + "/users/u/inbox",
		SharedInbox: h + "/inbox",
		FollowID:    fmt.Sprintf("%s/follows/%d", h, i),
		Document:    fmt.Appendf(nil, `{"type":"Follow","id":"%s/follows/%d"}`, h, i),
		CreatedAt:   base.Add(msec(i)),
	}
}

func sameRequest(got, want store.FollowRequest) bool {
	return got.ActorID == want.ActorID && got.FollowerID == want.FollowerID && got.Inbox == want.Inbox &&
		got.SharedInbox == want.SharedInbox && got.FollowID == want.FollowID &&
		bytes.Equal(got.Document, want.Document) && sameTime(got.CreatedAt, want.CreatedAt)
}

func testRequestAddAndGet(t *testing.T, s store.Site) {
	want := request(actorA, 1)
	must(t, "AddFollowRequest", s.AddFollowRequest(ctx(t), want))
	got, err := s.FollowRequest(ctx(t), actorA, want.FollowerID)
	must(t, "FollowRequest", err)
	if !sameRequest(got, want) {
		t.Errorf("FollowRequest = %+v, want %+v", got, want)
	}
	_, err = s.FollowRequest(ctx(t), actorB, want.FollowerID)
	wantErr(t, "FollowRequest(other actor)", err, store.ErrNotFound)
	// A pending request is not a follower.
	_, err = s.Follower(ctx(t), actorA, want.FollowerID)
	wantErr(t, "Follower(pending)", err, store.ErrNotFound)
	z := request(actorA, 2)
	z.CreatedAt = time.Time{}
	must(t, "AddFollowRequest(zero CreatedAt)", s.AddFollowRequest(ctx(t), z))
	got, err = s.FollowRequest(ctx(t), actorA, z.FollowerID)
	must(t, "FollowRequest", err)
	if !recent(got.CreatedAt) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
}

func testRequestRepeat(t *testing.T, s store.Site) {
	first := request(actorA, 1)
	must(t, "AddFollowRequest(1)", s.AddFollowRequest(ctx(t), first))
	must(t, "AddFollowRequest(2)", s.AddFollowRequest(ctx(t), request(actorA, 2)))
	again := first
	again.FollowID += "/again"
	again.Document = []byte(`{"type":"Follow","id":"again"}`)
	again.CreatedAt = base.AddDate(1, 0, 0)
	must(t, "AddFollowRequest(repeat)", s.AddFollowRequest(ctx(t), again))
	got, err := s.FollowRequest(ctx(t), actorA, first.FollowerID)
	must(t, "FollowRequest", err)
	want := again
	want.CreatedAt = first.CreatedAt
	if !sameRequest(got, want) {
		t.Errorf("FollowRequest = %+v, want %+v", got, want)
	}
	p, err := s.FollowRequestsPage(ctx(t), actorA, "", 10)
	must(t, "FollowRequestsPage", err)
	if len(p.Items) != 2 || p.Items[1].FollowerID != first.FollowerID {
		t.Errorf("page = %+v, want the repeated request still oldest of 2", p.Items)
	}
}

func testRequestRemove(t *testing.T, s store.Site) {
	r := request(actorA, 1)
	must(t, "AddFollowRequest", s.AddFollowRequest(ctx(t), r))
	must(t, "RemoveFollowRequest", s.RemoveFollowRequest(ctx(t), actorA, r.FollowerID))
	_, err := s.FollowRequest(ctx(t), actorA, r.FollowerID)
	wantErr(t, "FollowRequest(removed)", err, store.ErrNotFound)
	wantErr(t, "RemoveFollowRequest(again)", s.RemoveFollowRequest(ctx(t), actorA, r.FollowerID), store.ErrNotFound)
	p, err := s.FollowRequestsPage(ctx(t), actorA, "", 10)
	must(t, "FollowRequestsPage", err)
	if len(p.Items) != 0 {
		t.Errorf("page after remove = %+v, want empty", p.Items)
	}
}

func testRequestsPage(t *testing.T, s store.Site) {
	const n = 5
	var want []string
	for i := range n {
		r := request(actorA, i)
		must(t, "AddFollowRequest", s.AddFollowRequest(ctx(t), r))
		must(t, "AddFollowRequest(other actor)", s.AddFollowRequest(ctx(t), request(actorB, 50+i)))
		want = append([]string{r.FollowerID}, want...)
	}
	for _, limit := range []int{1, 2, 5, 50} {
		var got []string
		cursor := ""
		for range n + 1 {
			p, err := s.FollowRequestsPage(ctx(t), actorA, cursor, limit)
			must(t, "FollowRequestsPage", err)
			if len(p.Items) > limit {
				t.Fatalf("limit %d: page holds %d", limit, len(p.Items))
			}
			for _, r := range p.Items {
				got = append(got, r.FollowerID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("limit %d: %v, want %v", limit, got, want)
		}
	}
}

func testRequestsBadCursor(t *testing.T, s store.Site) {
	_, err := s.FollowRequestsPage(ctx(t), actorA, "not a cursor!", 10)
	wantErr(t, "FollowRequestsPage(bad cursor)", err, store.ErrBadCursor)
}

// testMentions keeps mentions per local actor, as activitypub does: an actor may mention a local
// actor any number of times, each is listed newest first under that actor only, counted as
// mentions, edited in place and removed by id.
func testMentions(t *testing.T, s store.Site) {
	const n = 5
	var want []string
	for i := range n {
		in := interaction(actorNews, store.InteractionMention, i)
		in.ActorID = "https://r.example/users/u" // one remote actor, many mentions
		wantAdded(t, s, in, true)
		want = append([]string{in.ID}, want...)
	}
	// Other actors' mentions and replies to articles stay apart.
	wantAdded(t, s, interaction(actorDesk, store.InteractionMention, 100), true)
	wantAdded(t, s, interaction(articleA, store.InteractionReply, 101), true)

	var got []string
	for cursor, pages := "", 0; pages <= n; pages++ {
		p, err := s.InteractionsPage(ctx(t), actorNews, store.InteractionMention, cursor, 2)
		must(t, "InteractionsPage", err)
		for _, it := range p.Items {
			if it.Kind != store.InteractionMention || it.ObjectID != actorNews || len(it.Document) == 0 {
				t.Errorf("page item %+v, want a mention of %s with its document", it, actorNews)
			}
		}
		got = append(got, interactionIDs(p.Items)...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("mentions of %s = %v, want %v", actorNews, got, want)
	}
	counts, err := store.CountInteractions(ctx(t), s, actorNews)
	must(t, "CountInteractions", err)
	if len(counts) != 1 || counts[store.InteractionMention] != n {
		t.Errorf("counts of %s = %v, want mention %d only", actorNews, counts, n)
	}
	_, err = s.InteractionBy(ctx(t), "https://r.example/users/u", actorNews, store.InteractionMention, "")
	wantErr(t, "InteractionBy(mention)", err, store.ErrNotFound)

	// An edit replaces the document and keeps the place; a removal takes one away.
	edited := interaction(actorNews, store.InteractionMention, 0)
	edited.ActorID = "https://r.example/users/u"
	edited.Document = []byte(`{"content":"edited"}`)
	wantAdded(t, s, edited, true)
	must(t, "RemoveInteraction", s.RemoveInteraction(ctx(t), want[0]))
	p, err := s.InteractionsPage(ctx(t), actorNews, store.InteractionMention, "", 10)
	must(t, "InteractionsPage", err)
	if ids := interactionIDs(p.Items); !slices.Equal(ids, want[1:]) {
		t.Errorf("after edit and removal: %v, want %v", ids, want[1:])
	} else if last := p.Items[len(p.Items)-1]; !bytes.Equal(last.Document, edited.Document) {
		t.Errorf("edited mention document = %q, want %q", last.Document, edited.Document)
	}
	counts, err = store.CountInteractions(ctx(t), s, actorNews)
	must(t, "CountInteractions", err)
	if counts[store.InteractionMention] != n-1 {
		t.Errorf("counts after removal = %v, want mention %d", counts, n-1)
	}
}

// testReactionsPerEmoji checks reactions counted and looked up per emoji: emoji that differ by
// host or by case only are different ones, one actor may react with several, and an undo takes
// one away.
func testReactionsPerEmoji(t *testing.T, s store.Site) {
	react := func(actor int, emoji string) store.Interaction {
		r := store.Interaction{ID: fmt.Sprintf("https://r.example/reactions/%d/%x", actor, emoji), Kind: store.InteractionReaction,
			ObjectID: articleA, ActorID: fmt.Sprintf("https://r.example/users/u%d", actor), Emoji: emoji,
			CreatedAt: base.Add(msec(actor))}
		if strings.HasPrefix(emoji, ":") {
			r.Document = fmt.Appendf(nil, `{"icon":"%d"}`, actor)
		}
		return r
	}
	thumbs, family, cat, catS, catUpper := reactionEmoji[0], reactionEmoji[2], reactionEmoji[1], reactionEmoji[3], reactionEmoji[4]
	added := []store.Interaction{
		react(1, thumbs), react(2, thumbs), react(3, thumbs),
		react(1, cat), react(2, cat),
		react(4, catS), react(5, catUpper), react(6, family),
	}
	for _, r := range added {
		wantAdded(t, s, r, true)
	}
	wantAdded(t, s, interaction(articleA, store.InteractionLike, 1), true) // not a reaction
	wantAdded(t, s, react(7, thumbs), true)
	must(t, "RemoveInteraction", s.RemoveInteraction(ctx(t), react(7, thumbs).ID)) // undone
	wantAdded(t, s, repeat(react(2, cat), 1), false)                               // a repeat under another id

	got, err := store.CountReactions(ctx(t), s, articleA)
	must(t, "CountReactions", err)
	type count struct {
		emoji string
		n     int
		doc   string
	}
	want := []count{{thumbs, 3, ""}, {cat, 2, `{"icon":"2"}`}, {family, 1, ""}, {catUpper, 1, `{"icon":"5"}`}, {catS, 1, `{"icon":"4"}`}}
	var have []count
	for _, c := range got {
		have = append(have, count{c.Emoji, c.Count, string(c.Document)})
	}
	if !slices.Equal(have, want) {
		t.Errorf("CountReactions = %v, want %v (most used first, then most recently used)", have, want)
	}
	counts, err := store.CountInteractions(ctx(t), s, articleA)
	must(t, "CountInteractions", err)
	if counts[store.InteractionReaction] != len(added) || counts[store.InteractionLike] != 1 {
		t.Errorf("CountInteractions = %v, want reaction %d, like 1", counts, len(added))
	}
	for _, tt := range []struct {
		actor int
		emoji string
		want  bool
	}{{1, thumbs, true}, {1, cat, true}, {1, catS, false}, {4, catS, true}, {4, cat, false}, {5, catUpper, true}, {5, cat, false}, {7, thumbs, false}} {
		r, err := s.InteractionBy(ctx(t), react(tt.actor, tt.emoji).ActorID, articleA, store.InteractionReaction, tt.emoji)
		if !tt.want {
			wantErr(t, fmt.Sprintf("InteractionBy(u%d, %s)", tt.actor, tt.emoji), err, store.ErrNotFound)
			continue
		}
		must(t, "InteractionBy", err)
		if w := react(tt.actor, tt.emoji); !sameInteraction(r, w) {
			t.Errorf("InteractionBy(u%d, %s) = %+v, want %+v", tt.actor, tt.emoji, r, w)
		}
	}
	_, err = s.InteractionBy(ctx(t), react(1, thumbs).ActorID, articleA, store.InteractionReaction, "")
	wantErr(t, "InteractionBy(no emoji)", err, store.ErrNotFound)
}

// testReactionReAdd checks that adding a known reaction id again keeps its emoji and takes the
// new document.
func testReactionReAdd(t *testing.T, s store.Site) {
	r := interaction(articleA, store.InteractionReaction, 1) // a custom emoji
	wantAdded(t, s, r, true)
	again := r
	again.Emoji, again.Document = reactionEmoji[0], []byte(`{"icon":"new"}`)
	wantAdded(t, s, again, true)
	got, err := s.Interaction(ctx(t), r.ID)
	must(t, "Interaction", err)
	if got.Emoji != r.Emoji || string(got.Document) != `{"icon":"new"}` {
		t.Errorf("re-added reaction = emoji %q document %q, want emoji %q document %q", got.Emoji, got.Document, r.Emoji, `{"icon":"new"}`)
	}
	must(t, "RemoveInteraction", s.RemoveInteraction(ctx(t), r.ID))
	_, err = s.InteractionBy(ctx(t), r.ActorID, articleA, store.InteractionReaction, r.Emoji)
	wantErr(t, "InteractionBy(removed)", err, store.ErrNotFound)
	wantAdded(t, s, repeat(r, 2), true) // the actor may react with it again
}
