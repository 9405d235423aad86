package fedifypeer_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

// TestPeerActorDocument fetches the peer's actor as ActivityPub JSON.
func TestPeerActorDocument(t *testing.T) {
	p := fedifypeer.StartForTest(t)
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL() = %q, want http://127.0.0.1:PORT", p.URL())
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.ActorID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", p.ActorID(), resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("Content-Type = %q, want a JSON type", ct)
	}
	var actor struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Inbox     string `json:"inbox"`
		PublicKey struct {
			ID           string `json:"id"`
			Owner        string `json:"owner"`
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
		AssertionMethod []struct {
			Type string `json:"type"`
		} `json:"assertionMethod"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&actor); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name, got, want string
	}{
		{"id", actor.ID, p.ActorID()},
		{"type", actor.Type, "Person"},
		{"inbox", actor.Inbox, p.ActorID() + "/inbox"},
		{"publicKey.owner", actor.PublicKey.Owner, p.ActorID()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(actor.PublicKey.ID, p.ActorID()+"#") {
		t.Errorf("publicKey.id = %q, want a fragment of the actor id", actor.PublicKey.ID)
	}
	block, _ := pem.Decode([]byte(actor.PublicKey.PublicKeyPem))
	if block == nil {
		t.Fatalf("publicKeyPem is not PEM: %q", actor.PublicKey.PublicKeyPem)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse publicKeyPem: %v", err)
	}
	if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("public key is %T, want a 2048-bit RSA key", pub)
	}
	if len(actor.AssertionMethod) == 0 || actor.AssertionMethod[0].Type != "Multikey" {
		t.Errorf("assertionMethod = %+v, want a Multikey (Ed25519)", actor.AssertionMethod)
	}
}

// delivery is one POST the Go actor's inbox received.
type delivery struct {
	header http.Header
	body   []byte
}

// goActor is a minimal ActivityPub actor served by httptest: an actor
// document with an RSA public key and an inbox that records POSTs and
// answers 202. It does not verify signatures.
type goActor struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []delivery
	new chan struct{}
}

func newGoActor(t *testing.T) *goActor {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	a := &goActor{new: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", func(w http.ResponseWriter, r *http.Request) {
		id := a.ID()
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                id,
			"type":              "Person",
			"preferredUsername": "gopher",
			"inbox":             a.srv.URL + "/inbox",
			"publicKey": map[string]any{
				"id":           id + "#main-key",
				"owner":        id,
				"publicKeyPem": pubPEM,
			},
		})
	})
	mux.HandleFunc("POST /inbox", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.got = append(a.got, delivery{header: r.Header.Clone(), body: body})
		a.mu.Unlock()
		select {
		case a.new <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *goActor) ID() string { return a.srv.URL + "/actor" }

// waitFor returns the first delivery whose activity has the given type.
func (a *goActor) waitFor(t *testing.T, typ string) (delivery, map[string]any) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		a.mu.Lock()
		got := append([]delivery(nil), a.got...)
		a.mu.Unlock()
		for _, d := range got {
			var doc map[string]any
			if json.Unmarshal(d.body, &doc) == nil && doc["type"] == typ {
				return d, doc
			}
		}
		select {
		case <-a.new:
		case <-deadline:
			t.Fatalf("no %s delivered to the Go inbox; got %d deliveries", typ, len(got))
		}
	}
}

func hasSignature(h http.Header) bool {
	return h.Get("Signature") != "" || h.Get("Signature-Input") != ""
}

// TestPeerFollowsGoActor has the peer follow a Go actor, then send it a
// Create, and checks what the Go inbox received.
func TestPeerFollowsGoActor(t *testing.T) {
	p := fedifypeer.StartForTest(t)
	a := newGoActor(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	followID, err := p.Follow(ctx, a.ID())
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	if !strings.HasPrefix(followID, p.URL()+"/") {
		t.Errorf("Follow id = %q, want one under %s", followID, p.URL())
	}
	d, doc := a.waitFor(t, "Follow")
	if doc["object"] != a.ID() {
		t.Errorf("Follow.object = %v, want %s", doc["object"], a.ID())
	}
	if doc["actor"] != p.ActorID() {
		t.Errorf("Follow.actor = %v, want %s", doc["actor"], p.ActorID())
	}
	if doc["id"] != followID {
		t.Errorf("Follow.id = %v, want %s", doc["id"], followID)
	}
	if !hasSignature(d.header) {
		t.Errorf("Follow delivered without Signature or Signature-Input header: %v", d.header)
	}
	t.Logf("Follow signature headers: Signature-Input=%q Signature=%q", d.header.Get("Signature-Input"), d.header.Get("Signature"))
	st, err := p.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Following) != 1 || st.Following[0].Actor != a.ID() || st.Following[0].State != "pending" {
		t.Errorf("State().Following = %+v, want one pending follow of %s", st.Following, a.ID())
	}

	sentID, err := p.Send(ctx, a.ID(), map[string]any{
		"type": "Create",
		"to":   []string{a.ID()},
		"object": map[string]any{
			"type":         "Note",
			"content":      "<p>hello from Fedify</p>",
			"attributedTo": p.ActorID(),
			"to":           []string{a.ID()},
		},
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	d, doc = a.waitFor(t, "Create")
	if doc["id"] != sentID {
		t.Errorf("Create.id = %v, want %s", doc["id"], sentID)
	}
	if doc["actor"] != p.ActorID() {
		t.Errorf("Create.actor = %v, want %s (filled in by the peer)", doc["actor"], p.ActorID())
	}
	if obj, _ := doc["object"].(map[string]any); obj["content"] != "<p>hello from Fedify</p>" {
		t.Errorf("Create.object = %v, want the Note", doc["object"])
	}
	if !hasSignature(d.header) {
		t.Errorf("Create delivered without a signature header: %v", d.header)
	}
}

// TestPeerInboxRecords has the peer follow itself: Fedify signs the Follow,
// verifies it on arrival, records it and answers with an Accept, which it
// records as well.
func TestPeerInboxRecords(t *testing.T) {
	p := fedifypeer.StartForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	followID, err := p.Follow(ctx, p.ActorID())
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	accept, err := p.WaitFor(ctx, func(a fedifypeer.Activity) bool { return a.Type == "Accept" })
	if err != nil {
		t.Fatalf("WaitFor Accept: %v", err)
	}
	if !accept.Verified || accept.Actor != p.ActorID() {
		t.Errorf("Accept = %+v, want verified, from %s", accept, p.ActorID())
	}
	var doc struct {
		Object any `json:"object"`
	}
	if err := json.Unmarshal(accept.Document, &doc); err != nil {
		t.Fatalf("Accept document: %v", err)
	}
	if !strings.Contains(string(accept.Document), followID) {
		t.Errorf("Accept document does not mention the Follow %s: %s", followID, accept.Document)
	}

	got, err := p.Received(ctx)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(got))
	for i, a := range got {
		types[i] = a.Type
		if a.ReceivedAt.IsZero() {
			t.Errorf("activity %d has no ReceivedAt", i)
		}
	}
	if len(got) != 2 || got[0].Type != "Follow" || got[0].ID != followID || !got[0].Verified {
		t.Errorf("Received() types = %v, first = %+v; want a verified Follow %s then an Accept", types, got[0], followID)
	}

	// The Accept updates the following record; the Follow the followers.
	st, err := p.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Followers) != 1 || st.Followers[0] != p.ActorID() {
		t.Errorf("State().Followers = %v, want [%s]", st.Followers, p.ActorID())
	}
	if len(st.Following) != 1 || st.Following[0].State != "accepted" {
		t.Errorf("State().Following = %+v, want one accepted", st.Following)
	}
}

// TestPeerRecordsUnverified posts an unsigned activity: Fedify answers 401
// and the peer records it with Verified false.
func TestPeerRecordsUnverified(t *testing.T) {
	p := fedifypeer.StartForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + p.URL() + `/unsigned/1","type":"Like","actor":"` + p.ActorID() + `","object":"` + p.ActorID() + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.ActorID()+"/inbox", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned POST: status %d, want 401", resp.StatusCode)
	}
	a, err := p.WaitFor(ctx, func(a fedifypeer.Activity) bool { return a.ID == p.URL()+"/unsigned/1" })
	if err != nil {
		t.Fatal(err)
	}
	if a.Verified || a.Reason == "" || a.Type != "Like" {
		t.Errorf("recorded %+v, want an unverified Like with a reason", a)
	}
}

// TestPeerControlErrors checks that failed control calls come back as
// *ControlError and that Close makes later calls fail with ErrClosed.
func TestPeerControlErrors(t *testing.T) {
	p := fedifypeer.StartForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	tests := []struct {
		name string
		call func() error
	}{
		{"follow unreachable", func() error { _, err := p.Follow(ctx, "http://127.0.0.1:1/nobody"); return err }},
		{"send non-object", func() error { _, err := p.Send(ctx, p.ActorID(), nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			ce, ok := errors.AsType[*fedifypeer.ControlError](err)
			if !ok {
				t.Fatalf("error = %v (%T), want *ControlError", err, err)
			}
			if ce.Status < 400 || ce.Message == "" {
				t.Errorf("ControlError = %+v, want a 4xx/5xx with a message", ce)
			}
		})
	}
	entries, err := p.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Errorf("Log() is empty after a failed follow; want the error logged")
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := p.Received(ctx); !errors.Is(err, fedifypeer.ErrClosed) {
		t.Errorf("Received after Close: %v, want ErrClosed", err)
	}
}

// BenchmarkPeerReceived measures one control-API round trip to the peer
// (GET /_control/inbox with an empty inbox).
func BenchmarkPeerReceived(b *testing.B) {
	p := fedifypeer.StartForTest(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Received(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
