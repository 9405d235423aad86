package activitypubtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Relay is an ActivityPub relay on loopback that follows the protocol of its style, as FEP-ae0c
// documents it: its actor, an Application, is at /actor and its inbox at /inbox.
//
// A Follow delivered to the inbox subscribes its actor: a Mastodon-style relay takes one whose
// object is the public collection, a LitePub-style relay one whose object is the relay actor;
// either answers with a signed Accept embedding the Follow (a Reject after [Relay.RejectFollows]),
// and a LitePub relay then follows the subscriber back. A Create, Update or Delete from a
// subscriber is relayed to every other subscriber, signed by the relay actor: forwarded as it
// came by a Mastodon-style relay, announced by id by a LitePub one. An Undo of the Follow ends the
// subscription. Every delivery is verified with package signing and recorded, as [Remote]
// records its own. It is safe for concurrent use.
type Relay struct {
	t        testing.TB
	srv      *httptest.Server
	style    store.RelayStyle
	key      *rsa.PrivateKey
	verifier checker
	client   *http.Client

	log deliveryLog

	mu          sync.Mutex
	reject      bool
	subscribers map[string]string // actor id to the inbox the relay delivers to
}

// NewRelay starts a relay of that style on loopback and stops it when the test ends.
func NewRelay(t testing.TB, style store.RelayStyle) *Relay {
	t.Helper()
	if style != store.RelayMastodon && style != store.RelayLitePub {
		t.Fatalf("activitypubtest: unknown relay style %q", style)
	}
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{t: t, style: style, key: key, log: newDeliveryLog(), subscribers: make(map[string]string),
		client: &http.Client{Timeout: WaitTimeout}}
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: http.DefaultClient, InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.verifier, err = newChecker(resolver, nil); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", r.serveActor)
	mux.HandleFunc("POST /inbox", r.serveInbox)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// ActorID is the IRI of the relay actor.
func (r *Relay) ActorID() string { return r.srv.URL + "/actor" }

// Inbox is the relay's inbox.
func (r *Relay) Inbox() string { return r.srv.URL + "/inbox" }

// SubscribeURL is what a subscriber names the relay by: the inbox of a Mastodon-style relay, as
// Mastodon's relay settings ask for it, the actor of a LitePub one.
func (r *Relay) SubscribeURL() string {
	if r.style == store.RelayMastodon {
		return r.Inbox()
	}
	return r.ActorID()
}

// RejectFollows makes the relay answer every Follow from now on with a Reject, as a relay whose
// operator refuses the subscriber does.
func (r *Relay) RejectFollows() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reject = true
}

// Subscribers returns the actor ids of the current subscribers, sorted.
func (r *Relay) Subscribers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.subscribers))
}

// Deliveries returns what the relay's inbox received so far.
func (r *Relay) Deliveries() []Delivery { return r.log.all() }

// WaitFor waits up to [WaitTimeout] for a delivery to the relay of an activity of that type and
// returns the first one. It fails the test at once when any delivery was not acceptable.
func (r *Relay) WaitFor(typ string) Delivery {
	r.t.Helper()
	d, err := r.log.wait(context.Background(), func(d Delivery) bool { return d.Activity.Type.Has(typ) })
	if err != nil {
		r.t.Fatalf("activitypubtest: waiting for a %s to the relay: %v", typ, err)
	}
	return d
}

func (r *Relay) serveActor(w http.ResponseWriter, _ *http.Request) {
	doc, err := actorDocument(r.ActorID(), "relay", r.Inbox(), &r.key.PublicKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	doc["type"] = "Application"
	doc["inbox"] = r.Inbox()
	w.Header().Set("Content-Type", vocab.MediaType)
	json.NewEncoder(w).Encode(doc)
}

// serveInbox verifies and records a delivery, then acts on it before answering, so that what it
// sends in turn has arrived when the sender's delivery ends.
func (r *Relay) serveInbox(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	d := decodeDelivery(r.Inbox(), req.URL.Path, body)
	if err != nil {
		d.Err = err
	}
	checkDelivery(r.verifier, req, body, &d)
	d.Status = http.StatusAccepted
	if d.Err == nil && d.Signer != d.Actor {
		d.Err, d.Status = fmt.Errorf("signed by %s for the actor %s", d.Signer, d.Actor), http.StatusUnauthorized
	}
	if d.Err == nil {
		if err := r.act(req.Context(), d, body); err != nil {
			d.Err, d.Status = err, http.StatusBadRequest
		}
	}
	r.log.add(d)
	w.WriteHeader(d.Status)
}

// act applies a verified delivery.
func (r *Relay) act(ctx context.Context, d Delivery, body []byte) error {
	a := d.Activity
	switch {
	case a.Type.Has("Follow"):
		return r.follow(ctx, a)
	case a.Type.Has("Undo"):
		r.mu.Lock()
		delete(r.subscribers, d.Actor)
		r.mu.Unlock()
		return nil
	case a.Type.Has("Create") || a.Type.Has("Update") || a.Type.Has("Delete"):
		return r.relay(ctx, d.Actor, a, body)
	}
	return nil // an Accept of the LitePub follow-back, or anything else: recorded only
}

// follow answers a subscription.
func (r *Relay) follow(ctx context.Context, f *vocab.Object) error {
	want := vocab.PublicIRI
	if r.style == store.RelayLitePub {
		want = r.ActorID()
	}
	if f.Object.ID() != want {
		return fmt.Errorf("a %s relay takes a Follow of %s, not of %s", r.style, want, f.Object.ID())
	}
	subscriber := f.Actor.ID()
	inbox, err := r.inboxOf(ctx, subscriber)
	if err != nil {
		return err
	}
	r.mu.Lock()
	kind := "Accept"
	if r.reject {
		kind = "Reject"
	} else {
		r.subscribers[subscriber] = inbox
	}
	r.mu.Unlock()
	embedded := *f
	embedded.Context = nil
	answer := &vocab.Object{Context: vocab.ContextActivityStreams, ID: r.newID(), Type: vocab.Types{kind},
		Actor: vocab.Ref{IRI: r.ActorID()}, Object: vocab.Ref{Object: &embedded}, To: vocab.Refs{{IRI: subscriber}}}
	if err := r.send(ctx, inbox, answer); err != nil || kind == "Reject" || r.style == store.RelayMastodon {
		return err
	}
	back := &vocab.Object{Context: vocab.ContextActivityStreams, ID: r.newID(), Type: vocab.Types{"Follow"},
		Actor: vocab.Ref{IRI: r.ActorID()}, Object: vocab.Ref{IRI: subscriber}, To: vocab.Refs{{IRI: subscriber}}}
	return r.send(ctx, inbox, back)
}

// relay passes what a subscriber published on to the other subscribers.
func (r *Relay) relay(ctx context.Context, from string, a *vocab.Object, body []byte) error {
	r.mu.Lock()
	_, subscribed := r.subscribers[from]
	var inboxes []string
	for actor, inbox := range r.subscribers {
		if actor != from && !slices.Contains(inboxes, inbox) {
			inboxes = append(inboxes, inbox)
		}
	}
	r.mu.Unlock()
	if !subscribed {
		return nil // a relay relays its subscribers only
	}
	slices.Sort(inboxes)
	var out any = json.RawMessage(body)
	if r.style == store.RelayLitePub {
		out = &vocab.Object{Context: vocab.ContextActivityStreams, ID: r.newID(), Type: vocab.Types{"Announce"},
			Actor: vocab.Ref{IRI: r.ActorID()}, Object: vocab.Ref{IRI: a.Object.ID()},
			To: vocab.Refs{{IRI: r.ActorID() + "/followers"}}, Published: time.Now().UTC()}
	}
	for _, inbox := range inboxes {
		if err := r.send(ctx, inbox, out); err != nil {
			return err
		}
	}
	return nil
}

// inboxOf fetches an actor document and returns its shared inbox, else its inbox.
func (r *Relay) inboxOf(ctx context.Context, actorID string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, actorID, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", vocab.MediaType)
	resp, err := r.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	doc, err := vocab.Decode(body)
	if err != nil {
		return "", fmt.Errorf("actor %s: %w", actorID, err)
	}
	if in := doc.SharedInboxIRI(); in != "" {
		return in, nil
	}
	if doc.Inbox == "" {
		return "", fmt.Errorf("actor %s has no inbox", actorID)
	}
	return doc.Inbox, nil
}

// send POSTs doc to inbox signed by the relay actor and wants a 2xx answer.
func (r *Relay) send(ctx context.Context, inbox string, doc any) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", vocab.MediaType)
	if err := signing.Sign(req, signing.Key{ID: r.ActorID() + "#main-key", Signer: r.key}, body, time.Now()); err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: status %d", inbox, resp.StatusCode)
	}
	return nil
}

// newID returns a fresh activity id on the relay.
func (r *Relay) newID() string {
	var b [8]byte
	rand.Read(b[:])
	return r.srv.URL + "/activities/" + hex.EncodeToString(b[:])
}
