package activitypub_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// waitRelay waits until the actor's subscription to relayURL is in state and returns it.
func waitRelay(t *testing.T, s *site, username, relayURL string, state store.RelayState) store.Relay {
	t.Helper()
	deadline := time.Now().Add(activitypubtest.WaitTimeout)
	for {
		relays, err := s.fed.Relays(t.Context(), username)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(relays, func(r store.Relay) bool { return r.ID == relayURL })
		if i >= 0 && relays[i].State == state {
			return relays[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("relays of %s = %+v, want %s %s", username, relays, relayURL, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFollowed waits until actorID follows the site actor username, or no longer does.
func waitFollowed(t *testing.T, s *site, username, actorID string, follows bool) {
	t.Helper()
	deadline := time.Now().Add(activitypubtest.WaitTimeout)
	for {
		_, err := s.store.Follower(t.Context(), s.fed.ActorID(username), actorID)
		if (err == nil) == follows {
			return
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s follows %s: %v, want %v", actorID, username, err == nil, follows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relayCreates returns the ids of the objects of the Creates the relay received.
func relayCreates(r *activitypubtest.Relay) []string {
	var ids []string
	for _, d := range r.Deliveries() {
		if d.Err == nil && d.Activity.Type.Has("Create") {
			ids = append(ids, d.ObjectID)
		}
	}
	return ids
}

// TestRelaySubscription runs a subscription to a relay of each style end to end, over loopback
// with real signatures: the Follow as the style wants it, the relay's signed Accept, an article
// delivered to the relay once and passed on to another subscriber as the style does, then the
// Undo, after which the next article does not reach the relay.
func TestRelaySubscription(t *testing.T) {
	tests := []struct {
		style store.RelayStyle
		// passedOn is the type of what the other subscriber gets of the site's article.
		passedOn string
	}{
		{store.RelayMastodon, "Create"},
		{store.RelayLitePub, "Announce"},
	}
	for _, tt := range tests {
		t.Run(string(tt.style), func(t *testing.T) {
			s := newTestSite(t)
			relay := activitypubtest.NewRelay(t, tt.style)
			reader := activitypubtest.NewRemote(t, "reader")
			follow(t, s, reader, s.fed.ActorID("news"), "1")
			object := vocab.PublicIRI
			if tt.style == store.RelayLitePub {
				object = relay.ActorID()
			}

			if err := s.fed.SubscribeRelay(t.Context(), "news", relay.SubscribeURL(), tt.style); err != nil {
				t.Fatal(err)
			}
			f := relay.WaitFor("Follow")
			if f.Actor != s.fed.ActorID("news") || f.Signer != f.Actor {
				t.Errorf("Follow by %s signed by %s, want both %s", f.Actor, f.Signer, s.fed.ActorID("news"))
			}
			if f.ObjectID != object {
				t.Errorf("Follow of %q, want %q", f.ObjectID, object)
			}
			if tt.style == store.RelayLitePub && !f.Activity.To.Has(relay.ActorID()) {
				t.Errorf("LitePub Follow addressed to %v, want the relay actor", f.Activity.To)
			}
			got := waitRelay(t, s, "news", relay.SubscribeURL(), store.RelayAccepted)
			if got.Style != tt.style || got.Inbox != relay.Inbox() || got.FollowID != f.Activity.ID {
				t.Errorf("subscription %+v, want style %s, inbox %s, follow %s", got, tt.style, relay.Inbox(), f.Activity.ID)
			}
			if tt.style == store.RelayLitePub {
				// The relay follows back: that is how it gets the posts.
				waitFollowed(t, s, "news", relay.ActorID(), true)
			}

			// Another server subscribes to the relay.
			other := activitypubtest.NewRemote(t, "other")
			if resp := other.Post(relay.Inbox(), map[string]any{"@context": vocab.ContextActivityStreams,
				"id": other.ActorID() + "/follows/relay", "type": "Follow", "actor": other.ActorID(), "object": object}); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("the other server's Follow of the relay: status %d", resp.StatusCode)
			}
			other.WaitFor("Accept")

			first := s.url("/articles/relayed")
			if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: first, Title: "Relayed"}); err != nil {
				t.Fatal(err)
			}
			reader.WaitFor("Create")
			c := relay.WaitFor("Create")
			if c.ObjectID != first || c.Signer != s.fed.ActorID("news") {
				t.Errorf("the relay got a Create of %s signed by %s, want %s by the actor", c.ObjectID, c.Signer, first)
			}
			passed := other.WaitFor(tt.passedOn)
			if passed.Signer != relay.ActorID() {
				t.Errorf("the other subscriber got a %s signed by %s, want the relay", tt.passedOn, passed.Signer)
			}
			// Either way the article is named: the Create forwarded as it came carries it, the
			// Announce names it by id.
			if passed.ObjectID != first {
				t.Errorf("the other subscriber got a %s of %s, want %s", tt.passedOn, passed.ObjectID, first)
			}

			if err := s.fed.UnsubscribeRelay(t.Context(), "news", relay.SubscribeURL()); err != nil {
				t.Fatal(err)
			}
			u := relay.WaitFor("Undo")
			if u.ObjectID != f.Activity.ID {
				t.Errorf("Undo of %s, want of the Follow %s", u.ObjectID, f.Activity.ID)
			}
			if relays, err := s.fed.Relays(t.Context(), "news"); err != nil || len(relays) != 0 {
				t.Errorf("relays after unsubscribing = %+v, %v; want none", relays, err)
			}
			waitFollowed(t, s, "news", relay.ActorID(), false)
			if slices.Contains(relay.Subscribers(), s.fed.ActorID("news")) {
				t.Errorf("the relay still lists the actor among %v", relay.Subscribers())
			}

			second := s.url("/articles/after")
			if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: second, Title: "After"}); err != nil {
				t.Fatal(err)
			}
			waitN(t, reader, "Create", 2)
			relayHost := hostOf(t, relay.Inbox())
			st, err := s.fed.DeliveryStatus(t.Context(), second)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range st.Hosts {
				if h.Host == relayHost {
					t.Errorf("the article published after unsubscribing was queued for the relay: %+v", h)
				}
			}
			if got := relayCreates(relay); !slices.Equal(got, []string{first}) {
				t.Errorf("the relay got Creates of %v, want only %s, once", got, first)
			}
		})
	}
}

// hostOf is the host:port of a URL.
func hostOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// TestRelayRejected: a relay that rejects the Follow gets no articles; unsubscribing from it
// forgets it without an Undo.
func TestRelayRejected(t *testing.T) {
	for _, style := range []store.RelayStyle{store.RelayMastodon, store.RelayLitePub} {
		t.Run(string(style), func(t *testing.T) {
			s := newTestSite(t)
			relay := activitypubtest.NewRelay(t, style)
			relay.RejectFollows()
			reader := activitypubtest.NewRemote(t, "reader")
			follow(t, s, reader, s.fed.ActorID("news"), "1")
			if err := s.fed.SubscribeRelay(t.Context(), "news", relay.SubscribeURL(), style); err != nil {
				t.Fatal(err)
			}
			waitRelay(t, s, "news", relay.SubscribeURL(), store.RelayRejected)
			article := s.url("/articles/unrelayed")
			if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "Unrelayed"}); err != nil {
				t.Fatal(err)
			}
			reader.WaitFor("Create")
			if got := relayCreates(relay); len(got) != 0 {
				t.Errorf("a relay that rejected the subscription got Creates of %v", got)
			}
			if err := s.fed.UnsubscribeRelay(t.Context(), "news", relay.SubscribeURL()); err != nil {
				t.Fatal(err)
			}
			if relays, err := s.fed.Relays(t.Context(), "news"); err != nil || len(relays) != 0 {
				t.Errorf("relays after unsubscribing = %+v, %v; want none", relays, err)
			}
		})
	}
}

// TestRelayBadInput: what SubscribeRelay refuses stores and sends nothing, and only the relay's
// own origin may answer its Follow.
func TestRelayBadInput(t *testing.T) {
	s := newTestSite(t)
	relay := activitypubtest.NewRelay(t, store.RelayMastodon)
	tests := []struct {
		name     string
		username string
		url      string
		style    store.RelayStyle
		want     func(error) bool
	}{
		{"unknown actor", "nobody", relay.Inbox(), store.RelayMastodon, func(err error) bool { return errors.Is(err, activitypub.ErrNotFound) }},
		{"relative URL", "news", "/inbox", store.RelayMastodon, isInvalid},
		{"credentials in the URL", "news", "http://u:p@127.0.0.1/inbox", store.RelayMastodon, isInvalid},
		{"unknown style", "news", relay.Inbox(), "diaspora", isInvalid},
		{"LitePub relay that is no actor", "news", relay.Inbox(), store.RelayLitePub, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.fed.SubscribeRelay(t.Context(), tt.username, tt.url, tt.style)
			if !tt.want(err) {
				t.Errorf("SubscribeRelay(%q, %q, %q) = %v", tt.username, tt.url, tt.style, err)
			}
			if relays, err := s.fed.Relays(t.Context(), "news"); err != nil || len(relays) != 0 {
				t.Errorf("relays = %+v, %v; want none", relays, err)
			}
		})
	}
	if err := s.fed.UnsubscribeRelay(t.Context(), "news", relay.Inbox()); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("UnsubscribeRelay of no subscription = %v, want ErrNotFound", err)
	}

	// An Accept of the pending Follow from another server is refused and changes nothing.
	relay.RejectFollows() // the relay answers, but with a Reject that the forged Accept must not override
	if err := s.fed.SubscribeRelay(t.Context(), "news", relay.Inbox(), store.RelayMastodon); err != nil {
		t.Fatal(err)
	}
	f := relay.WaitFor("Follow")
	waitRelay(t, s, "news", relay.Inbox(), store.RelayRejected)
	forger := activitypubtest.NewRemote(t, "forger")
	resp := forger.Post(s.fed.ActorID("news")+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
		"id": forger.ActorID() + "/accepts/1", "type": "Accept", "actor": forger.ActorID(), "object": f.Activity.ID})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged Accept: status %d, want 403", resp.StatusCode)
	}
	waitRelay(t, s, "news", relay.Inbox(), store.RelayRejected)
}

// TestRelayWithoutCapability: a Store without store.Relays lists no relays and refuses a
// subscription with errors.ErrUnsupported, sending nothing.
func TestRelayWithoutCapability(t *testing.T) {
	fed := newFederation(t, activitypub.Config{BaseURL: "https://news.example", Store: siteOnly{memstore.New()},
		DeliveryStore: memstore.New()})
	err := fed.SubscribeRelay(context.Background(), "news", "https://relay.example/inbox", store.RelayMastodon)
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SubscribeRelay = %v, want errors.ErrUnsupported", err)
	}
	if relays, err := fed.Relays(context.Background(), "news"); err != nil || len(relays) != 0 {
		t.Errorf("Relays = %+v, %v; want none", relays, err)
	}
}
