package storetest

import (
	"maps"
	"slices"
	"testing"

	"github.com/fedsite/fedsite/store"
)

func testHideReply(t *testing.T, s store.Site) {
	// A store with the ReplyHider capability keeps each reply in its place; the fallback of
	// package store adds it again, so only the set of ids is the same there.
	_, inPlace := s.(store.ReplyHider)
	listed := func(got, want []string) bool {
		if inPlace {
			return slices.Equal(got, want)
		}
		return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
	}
	var r []store.Interaction
	for i := range 3 {
		r = append(r, interaction(articleA, store.InteractionReply, i))
		wantAdded(t, s, r[i], true)
	}
	like := interaction(articleA, store.InteractionLike, 9)
	wantAdded(t, s, like, true)
	ids := func(kind store.InteractionKind) []string {
		t.Helper()
		p, err := s.InteractionsPage(ctx(t), articleA, kind, "", 10)
		must(t, "InteractionsPage", err)
		return interactionIDs(p.Items)
	}
	must(t, "HideReply", store.HideReply(ctx(t), s, r[1].ID, true))
	if got, want := ids(store.InteractionReply), []string{r[2].ID, r[0].ID}; !listed(got, want) {
		t.Errorf("replies after hiding %s = %v, want %v", r[1].ID, got, want)
	}
	if got, want := ids(store.InteractionHiddenReply), []string{r[1].ID}; !slices.Equal(got, want) {
		t.Errorf("hidden replies = %v, want %v", got, want)
	}
	got, err := s.Interaction(ctx(t), r[1].ID)
	must(t, "Interaction", err)
	if got.Kind != store.InteractionHiddenReply || string(got.Document) != string(r[1].Document) || !sameTime(got.CreatedAt, r[1].CreatedAt) {
		t.Errorf("hidden reply %+v, want kind %q with its document and time", got, store.InteractionHiddenReply)
	}
	counts, err := store.CountInteractions(ctx(t), s, articleA)
	must(t, "CountInteractions", err)
	want := map[store.InteractionKind]int{store.InteractionReply: 2, store.InteractionHiddenReply: 1, store.InteractionLike: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	// An edit of a hidden reply keeps it hidden.
	edited := r[1]
	edited.Document = []byte(`{"type":"Note","content":"edited"}`)
	wantAdded(t, s, edited, true)
	if got, err := s.Interaction(ctx(t), r[1].ID); err != nil || got.Kind != store.InteractionHiddenReply {
		t.Errorf("edited hidden reply: kind %q, %v; want still hidden", got.Kind, err)
	}
	refused := []struct {
		id     string
		hidden bool
	}{{r[1].ID, true}, {r[0].ID, false}, {like.ID, true}, {"https://nowhere.example/1", true}}
	for _, tt := range refused {
		wantErr(t, "HideReply("+tt.id+")", store.HideReply(ctx(t), s, tt.id, tt.hidden), store.ErrNotFound)
	}
	must(t, "HideReply(unhide)", store.HideReply(ctx(t), s, r[1].ID, false))
	if got, want := ids(store.InteractionReply), []string{r[2].ID, r[1].ID, r[0].ID}; !listed(got, want) {
		t.Errorf("replies after unhiding = %v, want %v in their places", got, want)
	}
	if got := ids(store.InteractionHiddenReply); len(got) != 0 {
		t.Errorf("hidden replies after unhiding = %v, want none", got)
	}
}
