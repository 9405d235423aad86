package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// newSiteWith starts a test site like newTestSite, with cfg adjusted by mod. The base config
// allows loopback; a mod may take that back.
func newSiteWith(t *testing.T, st store.Store, mod func(*activitypub.Config)) *site {
	t.Helper()
	return startSite(t, st, nil, mod, nil)
}

// snapshot renders everything an inbox request could change in the memstore: both local actors'
// followers and outboxes, the quotes of what the outboxes carry, the audit log, the interactions
// of every kind with reactedArticle, and the cached remote actors named.
func snapshot(t *testing.T, s *site, remotes ...string) string {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	for _, kind := range store.InteractionKinds() {
		p, err := s.store.InteractionsPage(ctx, s.url(reactedArticle), kind, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range p.Items {
			fmt.Fprintf(&b, "interaction %s %s %s %s %q\n", i.ID, i.Kind, i.ActorID, i.Emoji, i.Document)
		}
	}
	for _, name := range []string{"news", "desk"} {
		id := s.fed.ActorID(name)
		for cursor := ""; ; {
			p, err := s.store.FollowersPage(ctx, id, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Items {
				fmt.Fprintf(&b, "follower %s %s %s %s %s %s\n", f.ActorID, f.FollowerID, f.Inbox, f.SharedInbox, f.FollowID, f.CreatedAt)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		p, err := s.store.OutboxPage(ctx, id, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			fmt.Fprintf(&b, "outbox %s %s %q\n", o.ID, o.Type, o.Document)
			if o.ObjectID == "" {
				continue
			}
			q, err := s.store.InteractionsPage(ctx, o.ObjectID, store.InteractionQuote, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range q.Items {
				fmt.Fprintf(&b, "quote %s of %s by %s %q\n", i.ID, i.ObjectID, i.ActorID, i.Document)
			}
		}
	}
	p, err := s.store.AuditPage(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Items {
		fmt.Fprintf(&b, "audit %s %s %s %s %s\n", e.Time, e.Actor, e.Action, e.Object, e.Detail)
	}
	for _, id := range remotes {
		ra, err := s.store.RemoteActor(ctx, id)
		fmt.Fprintf(&b, "remote %s %v %s %q\n", id, err, ra.FetchedAt, ra.Document)
	}
	return b.String()
}

// serve runs one request through the site's middleware in process and returns the status.
func serve(s *site, req *http.Request) int {
	req.RequestURI = req.URL.RequestURI()
	if h := req.Header.Get("Host"); h != "" { // as net/http's server keeps it
		req.Host = h
		req.Header.Del("Host")
	}
	rec := httptest.NewRecorder()
	s.fed.Middleware(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec.Code
}

// probe is a loopback server counting the requests it gets, to prove a fetch never happened.
func probe(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func mustJSONBytes(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// nested returns a Like whose object is an array nested depth deep.
func nested(actor string, depth int) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":"Like","actor":%q,"object":%s1%s}`,
		actor+"/likes/deep", actor, strings.Repeat("[", depth), strings.Repeat("]", depth)))
}

// reactedArticle is the path of the article that alice reacts to before the hostile requests.
const reactedArticle = "/articles/reacted"

// hiddenLength hides a body's length so the server must count while reading.
type hiddenLength struct{ io.Reader }

// TestHostileInbox sends the inbox requests a hostile or broken peer might and checks each status
// and that the store is byte-for-byte as before: nothing a refused (or duplicate, or ignored)
// request carries may leave a trace.
func TestHostileInbox(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	// strict has the SSRF guard at its default: loopback is refused too.
	strict := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.Insecure.AllowAddresses = nil })
	blocking := newSiteWith(t, memstore.New(), nil)

	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	newsID := s.fed.ActorID("news")
	inbox := newsID + "/inbox"
	aliceKey, malloryKey := alice.Key(), mallory.Key()
	A, M := alice.ActorID(), mallory.ActorID()

	act := func(id, typ, actor string, object any, extra ...any) []byte {
		m := map[string]any{"@context": vocab.ContextActivityStreams, "id": id, "type": typ, "actor": actor, "object": object}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return mustJSONBytes(m)
	}
	follow := func(actor, target string) []byte { return act(actor+"/follows/1", "Follow", actor, target) }
	note := func(id, attributedTo string) map[string]any {
		return map[string]any{"id": id, "type": "Note", "attributedTo": attributedTo, "content": "hi"}
	}

	// Baseline: alice follows @news, so there is state to protect and ids to replay.
	if code := postSigned(t, s, inbox, follow(A, newsID), &aliceKey, time.Now(), nil); code != http.StatusAccepted {
		t.Fatalf("baseline Follow: status %d", code)
	}
	waitFor(t, func() bool { return len(alice.Deliveries()) > 0 }) // the Accept left
	// alice reacts to an article on s and on blocking, so there are reactions to undo.
	react := func(actor, object string) []byte {
		return act(actor+"/reactions/1", "EmojiReact", actor, object, "content", "👍")
	}
	for _, site := range []*site{s, blocking} {
		reacted := site.url(reactedArticle)
		if err := site.fed.Publish(t.Context(), "news", activitypub.Article{URL: reacted, Title: "Reacted", Content: "<p>R</p>"}); err != nil {
			t.Fatal(err)
		}
		if code := postSigned(t, site, site.url("/ap/inbox"), react(A, reacted), &aliceKey, time.Now(), nil); code != http.StatusAccepted {
			t.Fatalf("baseline EmojiReact: status %d", code)
		}
	}
	// An article alice quotes with an authorization: one that others may try to reuse.
	quoted := s.url("/articles/quoted")
	if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: quoted, Title: "Quoted"}); err != nil {
		t.Fatal(err)
	}
	if code := postSigned(t, s, inbox, act(A+"/quote-requests/1", "QuoteRequest", A, quoted, "instrument", A+"/notes/quoting"),
		&aliceKey, time.Now(), nil); code != http.StatusAccepted {
		t.Fatalf("baseline QuoteRequest: status %d", code)
	}
	var stamp string
	waitFor(t, func() bool { // the article reached its follower alice, and the Accept left
		created := false
		for _, d := range alice.Deliveries() {
			created = created || (d.Type == "Create" && d.ObjectID == quoted)
		}
		for _, d := range alice.Deliveries() {
			if created && d.Type == "Accept" && d.ObjectID == A+"/quote-requests/1" {
				_, err := d.Activity.DecodeExtra("result", &stamp)
				return err == nil && stamp != ""
			}
		}
		return false
	})
	quoting := func(id, attributedTo, authorization string) map[string]any {
		n := note(id, attributedTo)
		n["quote"], n["quoteAuthorization"] = quoted, authorization
		return n
	}
	sentBefore := len(alice.Deliveries())

	// Key servers for the SSRF rows; none may ever be asked.
	keySrv, keyHits := probe(t, nil)
	redirector, _ := probe(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/key", http.StatusFound)
	})
	blockedSrv, blockedHits := probe(t, nil)
	blockedBase := strings.Replace(blockedSrv.URL, "127.0.0.1", "localhost", 1)
	for _, err := range []error{
		blocking.fed.BlockDomain(t.Context(), "localhost", "test"),
		blocking.fed.BlockActor(t.Context(), M, "test"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	keyAt := func(id string) *signing.Key { return &signing.Key{ID: id, Signer: aliceKey.Signer} }
	wrongKey := signing.Key{ID: aliceKey.ID, Signer: malloryKey.Signer}

	// Forwarded: HTTP-signed by mallory, LD-signed for alice.
	forwarded := func(ldKey signing.Key) []byte {
		return signLD(t, map[string]any{"@context": vocab.ContextActivityStreams, "id": A + "/c/fwd", "type": "Create", "actor": A,
			"object": map[string]any{"id": A + "/notes/fwd", "type": "Note", "attributedTo": A, "content": "original",
				"inReplyTo": s.url("/articles/1")}}, ldKey)
	}
	ldChanged := bytes.Replace(forwarded(aliceKey), []byte(`"original"`), []byte(`"changed!"`), 1)
	liveActor, liveActorKey := liveActorGoneKey(t)

	// FEP-8b32 proofs: a proof present must verify, be unexpired and be the actor's.
	withProof := func(body []byte, key signing.Key, opts signing.ProofOptions) []byte {
		if opts.Created.IsZero() {
			opts.Created = time.Now()
		}
		out, err := signing.AddProof(body, key, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	aliceProof, malloryProof := alice.ProofKey(), mallory.ProofKey()
	proved := withProof(follow(A, newsID), aliceProof, signing.ProofOptions{})
	badProof := bytes.Replace(proved, []byte(`"object":`), []byte(`"summary":"changed","object":`), 1)

	big := bytes.Repeat([]byte(" "), 10<<20)
	copy(big, follow(A, newsID))
	overMiB := append(append([]byte(`{"id":"`+A+`/x","type":"Like","actor":"`+A+`","content":"`), bytes.Repeat([]byte("a"), 1<<20)...), `"}`...)
	local := s.url("/articles/1")

	type row struct {
		name   string
		site   *site
		url    string
		body   []byte
		ct     string       // default application/activity+json; "-" for none
		key    *signing.Key // nil: unsigned
		at     time.Time    // signing time; zero: now
		mutate func(r *http.Request)
		want   int
	}
	rows := []row{
		// Shape: 400.
		{name: "malformed JSON", body: []byte(`{"type":"Follow",`), key: &aliceKey, want: 400},
		{name: "JSON array", body: []byte(`["Follow"]`), key: &aliceKey, want: 400},
		{name: "JSON string", body: []byte(`"Follow"`), key: &aliceKey, want: 400},
		{name: "empty body", body: []byte{}, key: &aliceKey, want: 400},
		{name: "no id", body: mustJSONBytes(map[string]any{"type": "Follow", "actor": A, "object": newsID}), key: &aliceKey, want: 400},
		{name: "no type", body: mustJSONBytes(map[string]any{"id": A + "/1", "actor": A, "object": newsID}), key: &aliceKey, want: 400},
		{name: "no actor", body: mustJSONBytes(map[string]any{"id": A + "/1", "type": "Follow", "object": newsID}), key: &aliceKey, want: 400},
		{name: "actor not an http IRI", body: act("urn:uuid:1", "Follow", "urn:uuid:2", newsID), key: &aliceKey, want: 400},
		{name: "deeply nested JSON", body: nested(A, 200), key: &aliceKey, want: 400},
		{name: "Follow of another server's actor", body: act(A+"/follows/2", "Follow", A, M), key: &aliceKey, want: 400},
		// Size and media type: 413, 415.
		{name: "10 MB body", body: big, key: &aliceKey, want: 413},
		{name: "over 1 MiB without Content-Length", body: overMiB, key: &aliceKey,
			mutate: func(r *http.Request) {
				r.ContentLength = -1
				r.Body = io.NopCloser(hiddenLength{bytes.NewReader(overMiB)})
			}, want: 413},
		{name: "text/plain", body: follow(A, newsID), ct: "text/plain", key: &aliceKey, want: 415},
		{name: "form", body: follow(A, newsID), ct: "application/x-www-form-urlencoded", key: &aliceKey, want: 415},
		{name: "text/html", body: follow(A, newsID), ct: "text/html", key: &aliceKey, want: 415},
		{name: "no content type", body: follow(A, newsID), ct: "-", key: &aliceKey, want: 415},
		// Signatures: 401.
		{name: "unsigned", body: follow(A, newsID), want: 401},
		{name: "Authorization: Signature only", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
			r.Header.Del("Signature")
		}, want: 401},
		{name: "truncated signature header", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			v := r.Header.Get("Signature")
			r.Header.Set("Signature", v[:len(v)/2])
		}, want: 401},
		{name: "signature value not base64", body: follow(A, newsID), key: &aliceKey, mutate: setSignatureParam("signature", "!!!not-base64!!!"), want: 401},
		{name: "signature bit flipped", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			v := r.Header.Get("Signature")
			i := strings.Index(v, `signature="`) + len(`signature="`) + 10
			c := byte('A')
			if v[i] == 'A' {
				c = 'B'
			}
			r.Header.Set("Signature", v[:i]+string(c)+v[i+1:])
		}, want: 401},
		{name: "empty signature parameter", body: follow(A, newsID), key: &aliceKey, mutate: setSignatureParam("signature", ""), want: 401},
		{name: "no keyId", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			v := r.Header.Get("Signature")
			r.Header.Set("Signature", v[strings.Index(v, ",")+1:])
		}, want: 401},
		{name: "unsupported algorithm", body: follow(A, newsID), key: &aliceKey, mutate: setSignatureParam("algorithm", "hmac-sha256"), want: 401},
		{name: "headers parameter without digest", body: follow(A, newsID), key: &aliceKey, mutate: setSignatureParam("headers", "(request-target) host date"), want: 401},
		{name: "malformed RFC 9421 Signature-Input", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", `sig1=("@method" garbage`)
			r.Header.Set("Signature", "sig1=:AAAA:")
		}, want: 401},
		{name: "wrong key", body: follow(A, newsID), key: &wrongKey, want: 401},
		{name: "signer is not the actor", body: follow(A, newsID), key: &malloryKey, want: 401},
		{name: "replayed two hours later", body: follow(A, newsID), key: &aliceKey, at: time.Now().Add(-2 * time.Hour), want: 401},
		{name: "Date two hours ahead", body: follow(A, newsID), key: &aliceKey, at: time.Now().Add(2 * time.Hour), want: 401},
		{name: "Date changed after signing", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
		}, want: 401},
		{name: "digest mismatch", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
		}, want: 401},
		{name: "Digest removed", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) { r.Header.Del("Digest") }, want: 401},
		{name: "body swapped after signing", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) {
			other := act(A+"/follows/9", "Follow", A, newsID)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(other)), int64(len(other))
		}, want: 401},
		{name: "Host changed after signing", body: follow(A, newsID), key: &aliceKey, mutate: func(r *http.Request) { r.Header.Set("Host", "evil.example") }, want: 401},
		// FEP-8b32 proofs: 401 even though the HTTP signature is the actor's.
		{name: "proof over a changed body", body: badProof, key: &aliceKey, want: 401},
		{name: "proof by another actor's key", body: withProof(act(A+"/follows/20", "Follow", A, newsID), malloryProof, signing.ProofOptions{}), key: &aliceKey, want: 401},
		{name: "proof under the actor's key id by another key", body: withProof(act(A+"/follows/21", "Follow", A, newsID),
			signing.Key{ID: aliceProof.ID, Signer: malloryProof.Signer}, signing.ProofOptions{}), key: &aliceKey, want: 401},
		{name: "expired proof", body: withProof(act(A+"/follows/22", "Follow", A, newsID), aliceProof,
			signing.ProofOptions{Created: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)}), key: &aliceKey, want: 401},
		{name: "proof for another domain", body: withProof(act(A+"/follows/23", "Follow", A, newsID), aliceProof,
			signing.ProofOptions{Domain: "elsewhere.example"}), key: &aliceKey, want: 401},
		{name: "valid proof by the actor, HTTP signer another actor, activity of another origin", body: withProof(
			act(M+"/follows/24", "Follow", A, newsID), aliceProof, signing.ProofOptions{}), key: &malloryKey, want: 403},
		// SSRF: the key is never fetched.
		{name: "keyId on loopback, loopback not allowed", site: strict, body: follow(A, strict.fed.ActorID("news")),
			url: strict.fed.ActorID("news") + "/inbox", key: keyAt(keySrv.URL + "/key"), want: 401},
		{name: "keyId on the metadata address", body: follow(A, newsID), key: keyAt("http://169.254.169.254/latest/meta-data/key"), want: 401},
		{name: "keyId in 10.0.0.0/8", body: follow(A, newsID), key: keyAt("http://10.0.0.1/key"), want: 401},
		{name: "keyId in 192.168.0.0/16", body: follow(A, newsID), key: keyAt("http://192.168.1.1/key"), want: 401},
		{name: "keyId on IPv4-mapped loopback, loopback not allowed", site: strict, body: follow(A, strict.fed.ActorID("news")),
			url: strict.fed.ActorID("news") + "/inbox", key: keyAt("http://[::ffff:127.0.0.1]" + keySrv.URL[strings.LastIndexByte(keySrv.URL, ':'):] + "/key"), want: 401},
		{name: "keyId on IPv6 loopback", body: follow(A, newsID), key: keyAt("http://[::1]:1/key"), want: 401},
		{name: "keyId redirecting to the metadata address", body: follow(A, newsID), key: keyAt(redirector.URL + "/key"), want: 401},
		{name: "keyId with a file scheme", body: follow(A, newsID), key: keyAt("file:///etc/passwd"), want: 401},
		// Blocks: 403, before any fetch.
		{name: "blocked actor", site: blocking, url: blocking.fed.ActorID("news") + "/inbox", body: follow(M, blocking.fed.ActorID("news")), key: &malloryKey, want: 403},
		{name: "actor on a blocked domain", site: blocking, url: blocking.fed.ActorID("news") + "/inbox",
			body: follow(blockedBase+"/users/x", blocking.fed.ActorID("news")), key: keyAt(blockedBase + "/users/x#main-key"), want: 403},
		{name: "reaction by a blocked actor", site: blocking, url: blocking.url("/ap/inbox"),
			body: react(M, blocking.url(reactedArticle)), key: &malloryKey, want: 403},
		{name: "Undo of a reaction by a blocked actor", site: blocking, url: blocking.url("/ap/inbox"),
			body: act(M+"/undo/9", "Undo", M, A+"/reactions/1"), key: &malloryKey, want: 403},
		{name: "keyId on a blocked domain", site: blocking, url: blocking.fed.ActorID("news") + "/inbox",
			body: follow(A, blocking.fed.ActorID("news")), key: keyAt(blockedBase + "/users/x#main-key"), want: 403},
		// Origins and ownership: 403.
		{name: "activity id on another origin", body: act(M+"/follows/1", "Follow", A, newsID), key: &aliceKey, want: 403},
		{name: "Create of another origin's object", body: act(A+"/c/1", "Create", A, note(M+"/notes/1", A)), key: &aliceKey, want: 403},
		{name: "Create with attributedTo spoofed", body: act(A+"/c/2", "Create", A, note(A+"/notes/2", M)), key: &aliceKey, want: 403},
		{name: "Update of another origin's object", body: act(A+"/u/1", "Update", A, note(M+"/notes/1", M)), key: &aliceKey, want: 403},
		{name: "Delete of the site's article", body: act(A+"/d/1", "Delete", A, local), key: &aliceKey, want: 403},
		{name: "Delete of another server's object", body: act(A+"/d/2", "Delete", A, M+"/notes/1"), key: &aliceKey, want: 403},
		{name: "Undo of someone else's Follow by id", body: act(M+"/undo/1", "Undo", M, A+"/follows/1"), key: &malloryKey, want: 403},
		{name: "Undo of someone else's reaction by id", body: act(M+"/undo/3", "Undo", M, A+"/reactions/1"), key: &malloryKey, want: 403},
		{name: "Undo of someone else's reaction, embedded as the undoer's", body: act(M+"/undo/4", "Undo", M,
			map[string]any{"id": A + "/reactions/1", "type": "EmojiReact", "actor": M, "object": s.url(reactedArticle), "content": "👍"}),
			key: &malloryKey, want: 403},
		{name: "Undo of someone else's embedded reaction", body: act(M+"/undo/5", "Undo", M,
			map[string]any{"id": A + "/reactions/1", "type": "EmojiReact", "actor": A, "object": s.url(reactedArticle), "content": "👍"}),
			key: &malloryKey, want: 403},
		{name: "Undo of someone else's embedded Follow", body: act(M+"/undo/2", "Undo", M,
			map[string]any{"id": A + "/follows/1", "type": "Follow", "actor": A, "object": newsID}), key: &malloryKey, want: 403},
		// JSON-LD the lean decoder cannot read is compacted first; contexts are never fetched.
		{name: "expanded JSON-LD naming a context that is not embedded", body: mustJSONBytes([]any{map[string]any{
			"@context": keySrv.URL + "/context.jsonld", "@id": A + "/follows/9", "@type": "Follow", "actor": A, "object": newsID}}),
			key: &aliceKey, want: 400},
		{name: "renaming inline context beside a context that is not embedded", body: mustJSONBytes(map[string]any{
			"@context": []any{vocab.ContextActivityStreams, keySrv.URL + "/context.jsonld", map[string]any{"acteur": "as:actor"}},
			"id":       A + "/follows/10", "type": "Follow", "acteur": A, "object": newsID}), key: &aliceKey, want: 400},
		{name: "context that gives actor another meaning", body: act(A+"/follows/11", "Follow", A, newsID,
			"@context", []any{vocab.ContextActivityStreams, map[string]any{"actor": "https://evil.example/ns#agent"}}), key: &aliceKey, want: 400},
		{name: "expanded JSON-LD with two top-level activities", body: mustJSONBytes([]any{
			map[string]any{"@id": A + "/follows/12", "@type": "https://www.w3.org/ns/activitystreams#Follow"},
			map[string]any{"@id": A + "/follows/13", "@type": "https://www.w3.org/ns/activitystreams#Follow"}}), key: &aliceKey, want: 400},
		{name: "JSON-LD that makes json-gold panic", body: []byte(`{"@00":"","":0}`), key: &aliceKey, want: 400},
		// Forwarded activities, Deletes of gone actors: 401.
		{name: "LD signature over a changed body", body: ldChanged, key: &malloryKey, want: 401},
		{name: "LD signature by another key", body: forwarded(malloryKey), key: &malloryKey, want: 401},
		{name: "LD signature by another key under the actor's keyId", body: forwarded(wrongKey), key: &malloryKey, want: 401},
		{name: "Delete of a live actor claiming 410", body: selfDelete(liveActor), key: &liveActorKey, want: 401},
		// Accepted without effect: 202, store unchanged.
		{name: "duplicate activity id", body: follow(A, newsID), key: &aliceKey, want: 202},
		{name: "ignored type", body: act(A+"/likes/1", "Like", A, local), key: &aliceKey, want: 202},
		{name: "reaction that is no emoji", body: act(A+"/reactions/2", "EmojiReact", A, s.url(reactedArticle), "content", "~"), key: &aliceKey, want: 400},
		{name: "reaction repeated under another id", body: act(A+"/reactions/3", "EmojiReact", A, s.url(reactedArticle), "content", "👍\uFE0F"), key: &aliceKey, want: 202},
		{name: "Undo of an unknown Follow", body: act(A+"/undo/3", "Undo", A, A+"/follows/unknown"), key: &aliceKey, want: 202},
		// Quotes: a request for what is not the site's is ignored, nothing answered; a quote
		// citing an authorization that is not the site's, is not one, or is another post's is
		// not counted.
		{name: "QuoteRequest for another server's object", body: act(A+"/quote-requests/2", "QuoteRequest", A, M+"/notes/1",
			"instrument", A+"/notes/q2"), key: &aliceKey, want: 202},
		{name: "QuoteRequest for an unpublished URL of the site", body: act(A+"/quote-requests/3", "QuoteRequest", A, local,
			"instrument", A+"/notes/q3"), key: &aliceKey, want: 202},
		{name: "QuoteRequest for another server's quoting post", body: act(A+"/quote-requests/4", "QuoteRequest", A, quoted,
			"instrument", M+"/notes/q4"), key: &aliceKey, want: 403},
		{name: "QuoteRequest naming no quoting post", body: act(A+"/quote-requests/5", "QuoteRequest", A, quoted), key: &aliceKey, want: 400},
		{name: "QuoteRequest embedding another author's post", body: act(A+"/quote-requests/6", "QuoteRequest", A, quoted,
			"instrument", note(A+"/notes/q6", M)), key: &aliceKey, want: 403},
		{name: "quote citing another server's authorization", body: act(A+"/c/q1", "Create", A,
			quoting(A+"/notes/q7", A, M+"/stamps/1")), key: &aliceKey, want: 202},
		{name: "quote citing a site URL that is no authorization", body: act(A+"/c/q2", "Create", A,
			quoting(A+"/notes/q8", A, quoted)), key: &aliceKey, want: 202},
		{name: "quote citing the authorization of another post", body: act(M+"/c/q3", "Create", M,
			quoting(M+"/notes/q9", M, stamp)), key: &malloryKey, want: 202},
		{name: "quote citing no authorization", body: act(A+"/c/q4", "Create", A,
			quoting(A+"/notes/q10", A, "")), key: &aliceKey, want: 202},
		// Routing.
		{name: "inbox of an unknown actor", url: s.url("/ap/users/nobody/inbox"), body: follow(A, newsID), key: &aliceKey, want: 404},
	}
	if len(rows) < 40 {
		t.Fatalf("only %d hostile requests", len(rows))
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			site := tt.site
			if site == nil {
				site = s
			}
			url := tt.url
			if url == "" {
				url = inbox
			}
			before := snapshot(t, site, A, M)
			at := tt.at
			if at.IsZero() {
				at = time.Now()
			}
			code := postSigned(t, site, url, tt.body, tt.key, at, func(r *http.Request) {
				switch tt.ct {
				case "":
				case "-":
					r.Header.Del("Content-Type")
				default:
					r.Header.Set("Content-Type", tt.ct)
				}
				if tt.mutate != nil {
					tt.mutate(r)
				}
			})
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if after := snapshot(t, site, A, M); after != before {
				t.Fatalf("store changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	if got := alice.Deliveries(); len(got) != sentBefore {
		t.Errorf("alice got %d deliveries during the hostile requests, want none: %+v", len(got)-sentBefore, got[sentBefore:])
	}
	if n := keyHits.Load(); n != 0 {
		t.Errorf("the loopback key server was asked %d times, want never", n)
	}
	if n := blockedHits.Load(); n != 0 {
		t.Errorf("the blocked server was asked %d times, want never", n)
	}
}

// postSigned builds a POST of body to url with Content-Type application/activity+json, signs it
// with key at the given time (unsigned when key is nil; content type set before signing, so a
// mutate that changes it breaks nothing else), applies mutate and serves it in process.
func postSigned(t *testing.T, s *site, url string, body []byte, key *signing.Key, at time.Time, mutate func(*http.Request)) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", vocab.MediaType)
	if key != nil {
		if err := signing.Sign(req, *key, body, at); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	return serve(s, req)
}

// setSignatureParam returns a mutation that replaces one parameter's quoted value in a request's
// cavage Signature header.
func setSignatureParam(name, value string) func(*http.Request) {
	return func(r *http.Request) {
		header := r.Header.Get("Signature")
		start := strings.Index(header, name+`="`)
		if start < 0 {
			return
		}
		vStart := start + len(name) + 2
		end := strings.IndexByte(header[vStart:], '"')
		r.Header.Set("Signature", header[:vStart]+value+header[vStart+end:])
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
