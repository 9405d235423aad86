package jsonld_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/internal/jsonld"
)

// TestLoader checks that every embedded context loads as a JSON-LD context document, byte for
// byte the corpus copy, and that anything else is an UnknownContextError.
func TestLoader(t *testing.T) {
	l, err := jsonld.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url, file string // file "": not embedded
	}{
		{url: jsonld.ActivityStreams, file: "contexts/www.w3.org_ns_activitystreams.json"},
		{url: "http://www.w3.org/ns/activitystreams", file: "contexts/www.w3.org_ns_activitystreams.json"},
		{url: jsonld.Security, file: "contexts/w3id.org_security_v1.json"},
		{url: "https://w3id.org/security/data-integrity/v1", file: "contexts/w3id.org_security_data-integrity_v1.json"},
		{url: "https://w3id.org/security/data-integrity/v2", file: "contexts/w3id.org_security_data-integrity_v2.json"},
		{url: "https://w3id.org/security/multikey/v1", file: "contexts/w3id.org_security_multikey_v1.json"},
		{url: "https://w3id.org/identity/v1", file: "contexts/w3id.org_identity_v1.json"},
		{url: "https://www.w3.org/ns/did/v1", file: "contexts/www.w3.org_ns_did_v1.json"},
		{url: "https://gotosocial.org/ns", file: "contexts/gotosocial.org_ns.json"},
		{url: "https://w3id.org/fep/7aa9", file: "contexts/w3id.org_fep_7aa9.json"},
		{url: "https://w3id.org/fep/ef61", file: "contexts/w3id.org_fep_ef61.json"},
		{url: "https://patch.cx/schemas/litepub-0.1.jsonld"},
		{url: "https://www.w3.org/ns/activitystreams#"},
		{url: "/etc/passwd"},
		{url: "file:///etc/passwd"},
		{url: ""},
	} {
		t.Run(tt.url, func(t *testing.T) {
			rd, err := l.LoadDocument(tt.url)
			if tt.file == "" {
				var u *jsonld.UnknownContextError
				if !errors.As(err, &u) || u.URL != tt.url {
					t.Fatalf("err = %v, want an UnknownContextError for %q", err, tt.url)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(corpus.ReadFile(t, tt.file), &want); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(rd.Document)
			wantJSON, _ := json.Marshal(want)
			if !bytes.Equal(got, wantJSON) || rd.DocumentURL != tt.url {
				t.Fatalf("document for %s is not the corpus's %s", tt.url, tt.file)
			}
		})
	}
}

// TestCompactNeverFetches names a context served on loopback: compaction fails with an
// UnknownContextError and the server is never asked.
func TestCompactNeverFetches(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		_, _ = w.Write([]byte(`{"@context":{"actor":"https://www.w3.org/ns/activitystreams#actor"}}`))
	}))
	t.Cleanup(srv.Close)
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Compact([]byte(`{"@context":["https://www.w3.org/ns/activitystreams","` + srv.URL + `/ctx"],"id":"https://a.example/1","type":"Note"}`))
	var u *jsonld.UnknownContextError
	if !errors.As(err, &u) || u.URL != srv.URL+"/ctx" {
		t.Fatalf("err = %v, want an UnknownContextError for %s/ctx", err, srv.URL)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the context server was asked %d times", n)
	}
}

// TestCompactConcurrent compacts the corpus's Mastodon activities from many goroutines at once
// with one Processor (run it with -race): every result is the one a lone call gives.
func TestCompactConcurrent(t *testing.T) {
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	docs := corpus.JSON(t, "mastodon")
	want := make(map[string][]byte)
	for _, d := range docs {
		if b, err := p.Compact(d.Data); err == nil {
			want[d.Name] = b
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d Mastodon documents compact", len(want))
	}
	var wg sync.WaitGroup
	for range 4 {
		for _, d := range docs {
			b, ok := want[d.Name]
			if !ok {
				continue
			}
			wg.Go(func() {
				got, err := p.Compact(d.Data)
				if err != nil || !bytes.Equal(got, b) {
					t.Errorf("%s: concurrent compaction differs (err %v)", d.Name, err)
				}
			})
		}
	}
	wg.Wait()
}

// TestCompactMalformed feeds Compact documents json-gold cannot process: each is an error, and
// none panics (the first made json-gold v0.9.1 panic; FuzzDecodeJSONLD found it).
func TestCompactMalformed(t *testing.T) {
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, doc string
		want      error
	}{
		{"@type not a string, beside a keyword-like key", `{"@00":"","":0}`, jsonld.ErrPanicked},
		{"@type a number", `{"@type":5}`, nil},
		{"string", `"https://www.w3.org/ns/activitystreams"`, jsonld.ErrNotOneObject},
		{"number", `5`, jsonld.ErrNotOneObject},
		{"not JSON", `{`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Compact([]byte(tt.doc))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want an error matching %v", err, tt.want)
			}
		})
	}
}

// TestRedefines lists inline contexts real servers send, which must not count, and ones that
// change what ActivityStreams terms mean, which must.
func TestRedefines(t *testing.T) {
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		context string
		want    bool
	}{
		{"URL", `"https://www.w3.org/ns/activitystreams"`, false},
		{"URLs", `["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"]`, false},
		{"Mastodon", `["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"manuallyApprovesFollowers":"as:manuallyApprovesFollowers","toot":"http://joinmastodon.org/ns#","featured":{"@id":"toot:featured","@type":"@id"},"movedTo":{"@id":"as:movedTo","@type":"@id"},"Hashtag":"as:Hashtag","sensitive":"as:sensitive","Emoji":"toot:Emoji"}]`, false},
		{"Misskey", `["https://www.w3.org/ns/activitystreams",{"misskey":"https://misskey-hub.net/ns#","_misskey_content":"misskey:_misskey_content","quoteUrl":"as:quoteUrl","vcard":"http://www.w3.org/2006/vcard/ns#"}]`, false},
		{"Akkoma language", `["https://www.w3.org/ns/activitystreams",{"@language":"und"}]`, false},
		{"id and type restated", `{"id":"@id","type":"@type"}`, false},
		{"as restated", `{"as":"https://www.w3.org/ns/activitystreams#"}`, false},
		{"actor redefined", `["https://www.w3.org/ns/activitystreams",{"actor":"https://evil.example/ns#actor"}]`, true},
		{"to removed", `[{"to":null}]`, true},
		{"alias of an AS term", `{"acteur":{"@id":"as:actor","@type":"@id"}}`, true},
		{"alias by full IRI", `{"destinataires":"https://www.w3.org/ns/activitystreams#to"}`, true},
		{"alias of @id", `{"identifier":"@id"}`, true},
		{"as rebound", `{"as":"https://evil.example/ns#"}`, true},
		{"another prefix for AS", `{"activity":"https://www.w3.org/ns/activitystreams#"}`, true},
		{"malformed", `[{"a":`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Redefines(json.RawMessage(tt.context)); got != tt.want {
				t.Fatalf("Redefines(%s) = %v, want %v", tt.context, got, tt.want)
			}
		})
	}
}

// BenchmarkCompact measures the compaction of one Mastodon Create{Note} in the compact form.
func BenchmarkCompact(b *testing.B) {
	p, err := jsonld.New()
	if err != nil {
		b.Fatal(err)
	}
	doc := corpus.ReadFile(b, "mastodon/activities_create_note.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Compact(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNormalize canonicalizes documents with URDNA2015: blank nodes are relabelled and quads
// sorted whatever the member order, terms no context defines are refused, and the input is left
// as it was.
func TestNormalize(t *testing.T) {
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	const follow = "<https://a.example/follows/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/activitystreams#Follow> .\n" +
		"<https://a.example/follows/1> <https://www.w3.org/ns/activitystreams#actor> <https://a.example/users/alice> .\n" +
		"<https://a.example/follows/1> <https://www.w3.org/ns/activitystreams#object> <https://b.example/users/news> .\n"
	const blank = "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/activitystreams#Note> .\n" +
		"_:c14n0 <https://www.w3.org/ns/activitystreams#content> \"hi\" .\n"
	for _, tt := range []struct {
		name, doc string
		want      string // N-Quads; "" when an error is wanted
		wantErr   error  // nil: any error
	}{
		{name: "compact", doc: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/follows/1","type":"Follow","actor":"https://a.example/users/alice","object":"https://b.example/users/news"}`, want: follow},
		{name: "members reordered", doc: `{"object":"https://b.example/users/news","actor":"https://a.example/users/alice","type":"Follow","id":"https://a.example/follows/1","@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"]}`, want: follow},
		{name: "expanded", doc: `{"@id":"https://a.example/follows/1","@type":"https://www.w3.org/ns/activitystreams#Follow","https://www.w3.org/ns/activitystreams#actor":{"@id":"https://a.example/users/alice"},"https://www.w3.org/ns/activitystreams#object":{"@id":"https://b.example/users/news"}}`, want: follow},
		{name: "blank node relabelled", doc: `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":"hi"}`, want: blank},
		{name: "undefined member", doc: `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":"hi","nickname":"x"}`, wantErr: jsonld.ErrUndefinedTerm},
		{name: "undefined type", doc: `{"@context":"https://www.w3.org/ns/activitystreams","type":"Nonsense"}`, wantErr: jsonld.ErrUndefinedTerm},
		{name: "undefined member nested", doc: `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","object":{"type":"Note","quoteUrl":"x"}}`, wantErr: jsonld.ErrUndefinedTerm},
		{name: "context not embedded", doc: `{"@context":"https://c.example/ctx","type":"Note"}`, wantErr: &jsonld.UnknownContextError{}},
		{name: "json-gold panics", doc: `{"@00":"","":0}`, wantErr: jsonld.ErrPanicked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			got, err := p.Normalize(doc)
			if again, _ := json.Marshal(doc); !jsonEqual(t, again, []byte(tt.doc)) {
				t.Fatalf("Normalize changed its input to %s", again)
			}
			if tt.want == "" {
				switch want := tt.wantErr.(type) {
				case *jsonld.UnknownContextError:
					if _, ok := errors.AsType[*jsonld.UnknownContextError](err); !ok {
						t.Fatalf("err = %v, want an UnknownContextError", err)
					}
				default:
					if !errors.Is(err, want) {
						t.Fatalf("err = %v, want %v", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("N-Quads:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestNormalizeConcurrent canonicalizes the corpus's Mastodon activities from many goroutines at
// once with one Processor (run it with -race): every result is the one a lone call gives.
func TestNormalizeConcurrent(t *testing.T) {
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string][]byte)
	docs := make(map[string]map[string]any)
	for _, d := range corpus.JSON(t, "mastodon") {
		var m map[string]any
		if json.Unmarshal(d.Data, &m) != nil {
			continue
		}
		if nq, err := p.Normalize(m); err == nil {
			want[d.Name], docs[d.Name] = nq, m
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d Mastodon documents normalize", len(want))
	}
	var wg sync.WaitGroup
	for range 4 {
		for name, doc := range docs {
			wg.Go(func() {
				if got, err := p.Normalize(doc); err != nil || !bytes.Equal(got, want[name]) {
					t.Errorf("%s: concurrent normalization differs (err %v)", name, err)
				}
			})
		}
	}
	wg.Wait()
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// BenchmarkNormalize measures the URDNA2015 canonicalization of one Mastodon Follow, which an LD
// signature check does twice (the document and the signature options).
func BenchmarkNormalize(b *testing.B) {
	p, err := jsonld.New()
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(corpus.ReadFile(b, "mastodon/akkoma_mastodon-follow-activity.json"), &doc); err != nil {
		b.Fatal(err)
	}
	delete(doc, "signature")
	delete(doc, "nickname") // defined by no context
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Normalize(doc); err != nil {
			b.Fatal(err)
		}
	}
}
