package activitypubtest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	verifier *signing.Verifier

	log deliveryLog

	mu                   sync.Mutex
	key                  *rsa.PrivateKey
	movedTo              string
	displayName, iconURL string            // the actor's name and avatar, "" for none
	actorType            string            // Content-Type of the actor document, "" for vocab.MediaType
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
	r := &Remote{t: t, name: name, key: key, log: newDeliveryLog()}
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: http.DefaultClient, InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	r.verifier, err = signing.NewVerifier(signing.VerifierConfig{Keys: resolver})
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

func (r *Remote) serveActor(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	r.fetches++
	key, movedTo, contentType, name, icon := r.key, r.movedTo, r.actorType, r.displayName, r.iconURL
	r.mu.Unlock()
	if contentType == "" {
		contentType = vocab.MediaType
	}
	doc, err := actorDocument(r.ActorID(), r.name, r.srv.URL+"/inbox", &key.PublicKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
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
