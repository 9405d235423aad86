package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var relayTests = []test{
	{"PutAndList", testRelayPutAndList},
	{"PutReplacesKeepsCreatedAt", testRelayReplace},
	{"Remove", testRelayRemove},
	{"WithoutCapability", testRelayFallback},
}

// relay is the subscription of actor to the nth relay, in state.
func relay(actor string, n int, state store.RelayState) store.Relay {
	style := store.RelayMastodon
	id := fmt.Sprintf("https://relay%d.example/inbox", n)
	if n%2 == 0 {
		style, id = store.RelayLitePub, fmt.Sprintf("https://relay%d.example/actor", n)
	}
	return store.Relay{
		ActorID:   actor,
		ID:        id,
		Style:     style,
		Inbox:     fmt.Sprintf("https://relay%d.example/inbox", n),
		FollowID:  fmt.Sprintf("%s/activities/follow-%d", actor, n),
		State:     state,
		CreatedAt: base.Add(msec(n)),
	}
}

// sameRelays reports whether got and want hold the same subscriptions in the same order.
func sameRelays(got, want []store.Relay) bool {
	return slices.EqualFunc(got, want, func(a, b store.Relay) bool {
		ta, tb := a.CreatedAt, b.CreatedAt
		a.CreatedAt, b.CreatedAt = tb, tb
		return a == b && sameTime(ta, tb)
	})
}

func testRelayPutAndList(t *testing.T, s store.Site) {
	rs := capability[store.Relays](t, s)
	// Put out of order: the listing is in byte order of ID, and per actor.
	subs := []store.Relay{relay(actorA, 3, store.RelayAccepted), relay(actorA, 1, store.RelayPending),
		relay(actorA, 2, store.RelayRejected), relay(actorB, 4, store.RelayAccepted)}
	for _, r := range subs {
		must(t, "PutRelay", rs.PutRelay(ctx(t), r))
	}
	got, err := rs.ActorRelays(ctx(t), actorA)
	must(t, "ActorRelays", err)
	want := []store.Relay{subs[1], subs[2], subs[0]}
	slices.SortFunc(want, func(a, b store.Relay) int { return strings.Compare(a.ID, b.ID) })
	if !sameRelays(got, want) {
		t.Errorf("ActorRelays(A) = %+v, want %+v", got, want)
	}
	if got, err := rs.ActorRelays(ctx(t), actorB); err != nil || !sameRelays(got, subs[3:]) {
		t.Errorf("ActorRelays(B) = %+v, %v; want %+v", got, err, subs[3:])
	}
	if got, err := rs.ActorRelays(ctx(t), "https://news.example/actors/none"); err != nil || len(got) != 0 {
		t.Errorf("ActorRelays of an actor without relays = %+v, %v; want none", got, err)
	}
	if err := rs.PutRelay(ctx(t), store.Relay{ActorID: actorA}); err == nil {
		t.Error("PutRelay without an ID: no error")
	}
}

func testRelayReplace(t *testing.T, s store.Site) {
	rs := capability[store.Relays](t, s)
	first := relay(actorA, 1, store.RelayPending)
	must(t, "PutRelay", rs.PutRelay(ctx(t), first))
	again := first
	again.State, again.FollowID, again.CreatedAt = store.RelayAccepted, first.FollowID+"-again", base.Add(msec(999))
	must(t, "PutRelay again", rs.PutRelay(ctx(t), again))
	got, err := rs.ActorRelays(ctx(t), actorA)
	must(t, "ActorRelays", err)
	want := again
	want.CreatedAt = first.CreatedAt
	if !sameRelays(got, []store.Relay{want}) {
		t.Errorf("after a second PutRelay: %+v, want %+v (its first CreatedAt kept)", got, want)
	}
	// A zero CreatedAt is set by the adapter.
	zero := relay(actorA, 2, store.RelayPending)
	zero.CreatedAt = time.Time{}
	must(t, "PutRelay", rs.PutRelay(ctx(t), zero))
	got, err = rs.ActorRelays(ctx(t), actorA)
	must(t, "ActorRelays", err)
	if i := slices.IndexFunc(got, func(r store.Relay) bool { return r.ID == zero.ID }); i < 0 || !recent(got[i].CreatedAt) {
		t.Errorf("relay put with a zero CreatedAt: %+v, want it listed with the time it was put", got)
	}
}

func testRelayRemove(t *testing.T, s store.Site) {
	rs := capability[store.Relays](t, s)
	a, b := relay(actorA, 1, store.RelayAccepted), relay(actorA, 2, store.RelayAccepted)
	must(t, "PutRelay", rs.PutRelay(ctx(t), a))
	must(t, "PutRelay", rs.PutRelay(ctx(t), b))
	must(t, "RemoveRelay", rs.RemoveRelay(ctx(t), actorA, a.ID))
	if got, err := rs.ActorRelays(ctx(t), actorA); err != nil || !sameRelays(got, []store.Relay{b}) {
		t.Errorf("after RemoveRelay: %+v, %v; want only %s", got, err, b.ID)
	}
	wantErr(t, "RemoveRelay again", rs.RemoveRelay(ctx(t), actorA, a.ID), store.ErrNotFound)
	wantErr(t, "RemoveRelay of another actor's", rs.RemoveRelay(ctx(t), actorB, b.ID), store.ErrNotFound)
}

// testRelayFallback checks the helpers of package store: through the capability on a store that
// has it, and the documented fallback on one that does not.
func testRelayFallback(t *testing.T, s store.Site) {
	r := relay(actorA, 1, store.RelayPending)
	err := store.PutRelay(ctx(t), s, r)
	got, listErr := store.ActorRelays(ctx(t), s, actorA)
	must(t, "store.ActorRelays", listErr)
	if _, ok := s.(store.Relays); ok {
		must(t, "store.PutRelay", err)
		if !sameRelays(got, []store.Relay{r}) {
			t.Errorf("store.ActorRelays = %+v, want %+v", got, r)
		}
		must(t, "store.RemoveRelay", store.RemoveRelay(ctx(t), s, actorA, r.ID))
		return
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("store.PutRelay without the capability: error = %v, want one matching errors.ErrUnsupported", err)
	}
	if len(got) != 0 {
		t.Errorf("store.ActorRelays without the capability = %+v, want none", got)
	}
	wantErr(t, "store.RemoveRelay without the capability", store.RemoveRelay(ctx(t), s, actorA, r.ID), store.ErrNotFound)
}
