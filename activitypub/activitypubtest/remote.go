package activitypubtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// Remote is a fake fediverse server with one actor, at /users/{name}, with a personal inbox and a
// shared inbox at /inbox; its actor document names /users/{name}/followers as the followers
// collection, as Mastodon's do. It is safe for concurrent use.
type Remote struct {
	t        testing.TB
	srv      *httptest.Server
	name     string
	verifier checker

	log deliveryLog

	// ed is the actor's Ed25519 key, published in assertionMethod as a Multikey (see ProofKey).
	ed ed25519.PrivateKey

	mu                   sync.Mutex
	key                  *rsa.PrivateKey
	movedTo              string
	displayName, iconURL string            // the actor's name and avatar, "" for none
	actorType            string            // Content-Type of the actor document, "" for vocab.MediaType
	gone                 bool              // the actor document answers 410 Gone
	fetches              int               // GETs of the actor document
	userAgents           []string          // User-Agent of every request received
	objects              map[string][]byte // documents served by path (see Serve)
	objectFetches        int               // GETs of them
}

// NewRemote starts a remote server with an actor of that name and stops it when the test ends.
// Its verifier fetches keys over plain http, as servers on loopback need.
func NewRemote(t testing.TB, name string) *Remote {
	t.Helper()
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ed, err := signing.GenerateEd25519Key()
	if err != nil {
		t.Fatal(err)
	}
	r := &Remote{t: t, name: name, key: key, ed: ed, log: newDeliveryLog()}
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: http.DefaultClient, InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	r.verifier, err = newChecker(resolver, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/"+name, r.serveActor)
	mux.HandleFunc("POST /users/"+name+"/inbox", r.serveInbox)
	mux.HandleFunc("POST /inbox", r.serveInbox)
	mux.HandleFunc("GET /", r.serveObject)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.userAgents = append(r.userAgents, req.Header.Get("User-Agent"))
		r.mu.Unlock()
		mux.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// Serve makes the server answer GETs of its URL plus path with doc, as JSON of the ActivityPub
// media type, such as a post another post answers.
func (r *Remote) Serve(path string, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.objects == nil {
		r.objects = make(map[string][]byte)
	}
	r.objects[path] = b
}

// ObjectFetches is how many GETs of the documents of Serve the server answered.
func (r *Remote) ObjectFetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.objectFetches
}

func (r *Remote) serveObject(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	b, ok := r.objects[req.URL.Path]
	if ok {
		r.objectFetches++
	}
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", vocab.MediaType)
	_, _ = w.Write(b)
}

// URL is the server's base URL.
func (r *Remote) URL() string { return r.srv.URL }

// ActorID is the IRI of the remote's actor.
func (r *Remote) ActorID() string { return r.srv.URL + "/users/" + r.name }

// Key is the actor's signing key, with its keyId.
func (r *Remote) Key() signing.Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	return signing.Key{ID: r.ActorID() + "#main-key", Signer: r.key}
}

// ProofKey is the actor's Ed25519 key, with its keyId: the actor document lists it in
// assertionMethod as an FEP-521a Multikey, so FEP-8b32 proofs made with it ([signing.AddProof])
// verify as the actor's.
func (r *Remote) ProofKey() signing.Key {
	return signing.Key{ID: r.ActorID() + "#ed25519-key", Signer: r.ed}
}

// RotateKey replaces the actor's key with a new one under the same keyId, as a server rotating
// its keys does: the actor document publishes it and Post signs with it from now on.
func (r *Remote) RotateKey() {
	r.t.Helper()
	key, err := signing.GenerateKey()
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.key = key
}

// SetMovedTo makes the actor document carry movedTo with target, as the document of an account
// that moved away does; "" removes it again.
func (r *Remote) SetMovedTo(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.movedTo = target
}

// SetProfile makes the actor document carry a display name and an avatar (an icon Image at
// iconURL), as a real account's does; "" leaves either out.
func (r *Remote) SetProfile(name, iconURL string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.displayName, r.iconURL = name, iconURL
}

// SetActorContentType makes the actor document served with that Content-Type, as servers that
// send application/ld+json or add a charset do; "" restores application/activity+json.
func (r *Remote) SetActorContentType(contentType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actorType = contentType
}

// ActorFetches returns how many times the actor document was fetched so far.
func (r *Remote) ActorFetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

// UserAgents returns the User-Agent header of every request the remote received so far, fetches
// and deliveries alike, in order of arrival.
func (r *Remote) UserAgents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.userAgents...)
}

// SetGone makes the actor document, and so its key, answer 410 Gone, as a deleted account's do.
func (r *Remote) SetGone() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = true
}

func (r *Remote) serveActor(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	r.fetches++
	key, movedTo, contentType, name, icon, gone := r.key, r.movedTo, r.actorType, r.displayName, r.iconURL, r.gone
	r.mu.Unlock()
	if gone {
		http.Error(w, "gone", http.StatusGone)
		return
	}
	if contentType == "" {
		contentType = vocab.MediaType
	}
	doc, err := actorDocument(r.ActorID(), r.name, r.srv.URL+"/inbox", &key.PublicKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	mk, err := signing.NewMultikey(r.ProofKey().ID, r.ActorID(), r.ed.Public())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	doc["@context"] = []string{vocab.ContextActivityStreams, vocab.ContextSecurity, "https://w3id.org/security/multikey/v1"}
	doc["assertionMethod"] = []signing.Multikey{mk}
	if movedTo != "" {
		doc["movedTo"] = movedTo
	}
	if name != "" {
		doc["name"] = name
	}
	if icon != "" {
		doc["icon"] = map[string]string{"type": "Image", "url": icon}
	}
	w.Header().Set("Content-Type", contentType)
	json.NewEncoder(w).Encode(doc)
}

func (r *Remote) serveInbox(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	d := decodeDelivery(r.srv.URL+req.URL.Path, req.URL.Path, body)
	if err != nil {
		d.Err = err
	}
	checkDelivery(r.verifier, req, body, &d)
	d.Status = http.StatusAccepted
	r.log.add(d)
	w.WriteHeader(d.Status)
}

// Deliveries returns what the remote received so far.
func (r *Remote) Deliveries() []Delivery { return r.log.all() }

// WaitFor waits up to [WaitTimeout] for a delivery of an activity of that type and returns the
// first one. It fails the test at once when any delivery was not acceptable (see Delivery.Err).
func (r *Remote) WaitFor(typ string) Delivery {
	r.t.Helper()
	d, err := r.log.wait(context.Background(), func(d Delivery) bool { return d.Activity.Type.Has(typ) })
	if err != nil {
		r.t.Fatalf("activitypubtest: waiting for a %s to %s: %v", typ, r.ActorID(), err)
	}
	return d
}

// Post sends doc as JSON to url, signed with the actor's key as a fediverse server signs a
// delivery, and returns the response with its body drained and closed.
func (r *Remote) Post(url string, doc any) *http.Response {
	r.t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		r.t.Fatal(err)
	}
	k := r.Key()
	return r.PostRaw(url, body, vocab.MediaType, &k)
}

// PostRaw sends body as is with that Content-Type, signed with key, or unsigned when key is nil.
func (r *Remote) PostRaw(url string, body []byte, contentType string, key *signing.Key) *http.Response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != nil {
		if err := signing.Sign(req, *key, body, time.Now()); err != nil {
			r.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// FollowMove acts on move, a Move the remote received, as Mastodon does with one from an account
// it follows (ActivityPub::Activity::Move, then UnfollowFollowWorker): the Move's object must be
// its actor, the account that moved, and its target, fetched afresh, must list that account in
// alsoKnownAs; then the remote follows the target and undoes its Follow of the account that
// moved, each signed and posted to that actor's inbox; the Undo embeds the remote's Follow of the
// account that moved, whose id is followID, as Mastodon's does. It returns the Follow it sent,
// which the target answers with an Accept. A Move that breaks a rule is an error and sends
// nothing.
func (r *Remote) FollowMove(ctx context.Context, move Delivery, followID string) (map[string]any, error) {
	act := move.Activity
	if act == nil || !act.Type.Has("Move") {
		return nil, fmt.Errorf("activitypubtest: %s is not a Move", move.Type)
	}
	origin, target := act.Actor.ID(), act.Target.ID()
	if origin == "" || act.Object.ID() != origin || move.Signer != origin {
		return nil, fmt.Errorf("activitypubtest: Move %s: its object %q is not its signed actor %q", act.ID, act.Object.ID(), origin)
	}
	to, err := fetchActor(ctx, target)
	if err != nil {
		return nil, err
	}
	var aka vocab.Refs
	if raw, ok := to.Extra["alsoKnownAs"]; ok {
		if err := json.Unmarshal(raw, &aka); err != nil {
			return nil, fmt.Errorf("activitypubtest: Move %s: alsoKnownAs of %s: %w", act.ID, target, err)
		}
	}
	if !aka.Has(origin) {
		return nil, fmt.Errorf("activitypubtest: Move %s: %s does not list %s in alsoKnownAs", act.ID, target, origin)
	}
	from, err := fetchActor(ctx, origin)
	if err != nil {
		return nil, err
	}
	follow := map[string]any{"@context": vocab.ContextActivityStreams, "id": r.ActorID() + "/follows/" + url.PathEscape(target),
		"type": "Follow", "actor": r.ActorID(), "object": target}
	undo := map[string]any{"@context": vocab.ContextActivityStreams, "id": r.ActorID() + "/undos/" + url.PathEscape(origin),
		"type": "Undo", "actor": r.ActorID(),
		"object": map[string]any{"id": followID, "type": "Follow", "actor": r.ActorID(), "object": origin}}
	for _, p := range []struct {
		inbox string
		doc   map[string]any
	}{{to.Inbox, follow}, {from.Inbox, undo}} {
		if resp := r.Post(p.inbox, p.doc); resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("activitypubtest: %s to %s: status %d", p.doc["type"], p.inbox, resp.StatusCode)
		}
	}
	return follow, nil
}

// fetchActor GETs the actor document at id, unsigned, and checks it names an inbox.
func fetchActor(ctx context.Context, id string) (*vocab.Object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: fetch %s: %w", id, err)
	}
	req.Header.Set("Accept", vocab.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: fetch %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("activitypubtest: fetch %s: status %d: %v", id, resp.StatusCode, err)
	}
	doc, err := vocab.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: fetch %s: %w", id, err)
	}
	if !doc.IsActor() || doc.Inbox == "" {
		return nil, fmt.Errorf("activitypubtest: fetch %s: not an actor with an inbox", id)
	}
	return doc, nil
}
