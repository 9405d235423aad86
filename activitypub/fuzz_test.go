package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// offlineRemote answers fedsite's outgoing requests in memory: the actor document of one remote
// actor, 404 for anything else. No request leaves the process.
type offlineRemote struct {
	actorID string
	doc     []byte
}

func (o offlineRemote) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	if r.URL.Scheme+"://"+r.URL.Host+r.URL.Path != o.actorID {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
	}
	h := http.Header{"Content-Type": {vocab.MediaType}}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(o.doc)), Header: h, Request: r}, nil
}

// FuzzInbox posts arbitrary bodies and signature headers to the shared inbox of an in-process
// site: the handler must never panic and never answer 5xx, only the statuses it documents.
// Seeds: every activity of the Mastodon folder of the corpus, unsigned, and a correctly signed
// Follow that reaches the activity handling.
func FuzzInbox(f *testing.F) {
	const base = "https://site.example"
	const actorID = "https://remote.example/users/alice"
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, err := signing.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	pub, _ := signing.EncodePublicKey(&key.PublicKey)
	ed, err := signing.GenerateEd25519Key()
	if err != nil {
		f.Fatal(err)
	}
	mk, err := signing.NewMultikey(actorID+"#ed25519-key", actorID, ed.Public())
	if err != nil {
		f.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"@context": vocab.ContextActivityStreams, "id": actorID, "type": "Person",
		"inbox": actorID + "/inbox", "publicKey": map[string]string{"id": actorID + "#main-key", "owner": actorID, "publicKeyPem": string(pub)},
		"assertionMethod": []signing.Multikey{mk}})
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: base,
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name == "news" {
				return &activitypub.Actor{Username: "news"}, nil
			}
			return nil, activitypub.ErrNotFound
		}),
		Store:  memstore.New(),
		Client: &http.Client{Transport: offlineRemote{actorID: actorID, doc: doc}, Timeout: time.Second},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	h := fed.Middleware(http.NotFoundHandler())

	for _, c := range corpus.JSON(f, "mastodon") {
		f.Add(c.Data, vocab.MediaType, "", "", "", "")
	}
	for _, c := range corpus.JSON(f, "mitra") { // FEP-8b32 proofs
		f.Add(c.Data, vocab.MediaType, "", "", "", "")
	}
	follow, _ := json.Marshal(map[string]any{"id": actorID + "/follows/1", "type": "Follow", "actor": actorID, "object": base + "/ap/users/news"})
	// The same Follow, under another id, with an FEP-8b32 proof by the actor.
	proved, _ := json.Marshal(map[string]any{"@context": []string{vocab.ContextActivityStreams, signing.ContextDataIntegrity},
		"id": actorID + "/follows/2", "type": "Follow", "actor": actorID, "object": base + "/ap/users/news"})
	if proved, err = signing.AddProof(proved, signing.Key{ID: mk.ID, Signer: ed}, signing.ProofOptions{Created: now}); err != nil {
		f.Fatal(err)
	}
	for _, body := range [][]byte{follow, proved} {
		req, _ := http.NewRequest(http.MethodPost, base+"/ap/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", vocab.MediaType)
		if err := signing.Sign(req, signing.Key{ID: actorID + "#main-key", Signer: key}, body, now); err != nil {
			f.Fatal(err)
		}
		f.Add(body, vocab.MediaType, req.Header.Get("Signature"), "", req.Header.Get("Digest"), req.Header.Get("Date"))
		// The signed seeds must get through verification to the activity handling, so that the
		// fuzzer starts from the deep end too.
		check := httptest.NewRequest(http.MethodPost, base+"/ap/inbox", bytes.NewReader(body))
		for _, name := range []string{"Content-Type", "Signature", "Digest", "Date"} {
			check.Header.Set(name, req.Header.Get(name))
		}
		if w := httptest.NewRecorder(); func() int { h.ServeHTTP(w, check); return w.Code }() != http.StatusAccepted {
			f.Fatalf("signed seed %s refused: %d %s", body, w.Code, w.Body)
		}
	}
	f.Add(follow, vocab.MediaType, "", `sig1=("@method" "@target-uri" "content-digest");created=1772366400;keyid="`+actorID+`#main-key"`,
		"", "")

	allowed := map[int]bool{202: true, 400: true, 401: true, 403: true, 404: true, 413: true, 415: true}
	f.Fuzz(func(t *testing.T, body []byte, ct, sig, sigInput, digest, date string) {
		r := httptest.NewRequest(http.MethodPost, base+"/ap/inbox", bytes.NewReader(body))
		set := func(name, v string) {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		set("Content-Type", ct)
		set("Signature", sig)
		set("Signature-Input", sigInput)
		set("Digest", digest)
		set("Date", date)
		if sigInput != "" {
			set("Content-Digest", digest)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
	})
}
