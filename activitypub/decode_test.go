package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/internal/jsonld"
)

// countingCompactor counts the documents sent down the JSON-LD path.
type countingCompactor struct {
	*jsonld.Processor
	n atomic.Int64
}

func (c *countingCompactor) Compact(doc []byte) ([]byte, error) {
	c.n.Add(1)
	return c.Processor.Compact(doc)
}

func newCompactor(t testing.TB) *countingCompactor {
	t.Helper()
	p, err := jsonld.New()
	if err != nil {
		t.Fatal(err)
	}
	return &countingCompactor{Processor: p}
}

// activities are the corpus documents that are activities in the compact form: an id, a type and
// an actor as the lean decoder reads them.
func activities(t testing.TB) []corpus.File {
	t.Helper()
	var out []corpus.File
	for _, f := range corpus.JSON(t, ".") {
		if strings.HasPrefix(f.Name, "contexts/") {
			continue
		}
		o, err := vocab.Decode(f.Data)
		if err != nil || o.ID == "" || len(o.Type) == 0 || o.Actor.ID() == "" {
			continue
		}
		out = append(out, f)
	}
	if len(out) < 140 {
		t.Fatalf("only %d corpus activities", len(out))
	}
	return out
}

// TestCompactActivitiesSkipJSONLD checks that no compact activity of the corpus, from any of its
// implementations, takes the JSON-LD path, and that every document of the corpus that does is one
// the lean decoder cannot read.
func TestCompactActivitiesSkipJSONLD(t *testing.T) {
	c := newCompactor(t)
	acts := activities(t)
	for _, f := range acts {
		before := c.n.Load()
		if _, err := decodeActivity(f.Data, c); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		if c.n.Load() != before {
			t.Errorf("%s: a compact activity was compacted with JSON-LD", f.Name)
		}
	}
	if n := c.n.Load(); n != 0 {
		t.Fatalf("%d of %d compact activities took the JSON-LD path, want 0", n, len(acts))
	}
	// Over the whole corpus (but the context documents), only documents in expanded form take the
	// path.
	var routed []string
	for _, f := range corpus.JSON(t, ".") {
		if strings.HasPrefix(f.Name, "contexts/") {
			continue
		}
		before := c.n.Load()
		_, _ = decodeActivity(f.Data, c)
		if c.n.Load() != before {
			routed = append(routed, f.Name)
		}
	}
	want := []string{"fedify/example.com_hong-gildong.json", "fedify/example.com_wrong-type.json"}
	if !slices.Equal(routed, want) {
		t.Fatalf("documents routed to JSON-LD: %q, want %q", routed, want)
	}
}

// expand returns the expanded JSON-LD form of doc, made with json-gold over the embedded
// contexts; ok is false when doc names a context that is not embedded.
func expand(t testing.TB, doc []byte) (expanded []byte, ok bool) {
	t.Helper()
	var in any
	if err := json.Unmarshal(doc, &in); err != nil {
		t.Fatal(err)
	}
	loader, err := jsonld.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = loader
	out, err := ld.NewJsonLdProcessor().Expand(in, opts)
	if _, unknown := errors.AsType[*jsonld.UnknownContextError](err); unknown {
		return nil, false
	}
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

// publicAs maps the spellings of the public collection to one.
func publicAs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if vocab.IsPublic(id) {
			id = vocab.PublicIRI
		}
		out[i] = id
	}
	return out
}

// TestDecodeExpandedActivities expands every corpus activity that names the ActivityStreams
// context and no context that is not embedded, and
// checks that the inbox decoder reads the expanded form as it reads the original: same id, type,
// actor, object and addressing.
func TestDecodeExpandedActivities(t *testing.T) {
	c := newCompactor(t)
	n := 0
	for _, f := range activities(t) {
		if c, _ := vocab.Decode(f.Data); !strings.Contains(fmt.Sprintf("%s", c.Context), "/ns/activitystreams") {
			continue // without the AS context, id, type and actor have no JSON-LD meaning to expand
		}
		expanded, ok := expand(t, f.Data)
		if !ok {
			continue
		}
		n++
		t.Run(f.Name, func(t *testing.T) {
			want, err := vocab.Decode(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeActivity(expanded, c)
			if err != nil {
				t.Fatalf("decode of the expanded form: %v\n%s", err, expanded)
			}
			if got.ID != want.ID || got.Actor.ID() != want.Actor.ID() || got.Object.ID() != want.Object.ID() {
				t.Errorf("id, actor, object = %q %q %q, want %q %q %q",
					got.ID, got.Actor.ID(), got.Object.ID(), want.ID, want.Actor.ID(), want.Object.ID())
			}
			if !slices.Equal(got.Type, want.Type) {
				t.Errorf("type = %q, want %q", got.Type, want.Type)
			}
			if g, w := publicAs(got.To.IDs()), publicAs(want.To.IDs()); !slices.Equal(g, w) {
				t.Errorf("to = %q, want %q", g, w)
			}
			if g, w := publicAs(got.Cc.IDs()), publicAs(want.Cc.IDs()); !slices.Equal(g, w) {
				t.Errorf("cc = %q, want %q", g, w)
			}
		})
	}
	if n < 85 {
		t.Fatalf("only %d corpus activities expanded", n)
	}
}

// TestDecodeOddJSONLD covers the odd forms one at a time: prefixed and full-IRI properties,
// contexts that rename or redefine terms, expanded documents, and the refusals.
func TestDecodeOddJSONLD(t *testing.T) {
	const (
		as     = `"https://www.w3.org/ns/activitystreams"`
		actor  = "https://a.example/users/alice"
		object = "https://b.example/users/news"
	)
	tests := []struct {
		name       string
		body       string
		wantLD     bool   // the document takes the JSON-LD path
		wantActor  string // "" when the decoded activity must have no actor
		wantObject string
		wantErr    error
	}{
		{name: "compact", body: `{"@context":` + as + `,"id":"https://a.example/f/1","type":"Follow","actor":"` + actor + `","object":"` + object + `"}`,
			wantActor: actor, wantObject: object},
		{name: "Mastodon-style inline context", body: `{"@context":[` + as + `,{"toot":"http://joinmastodon.org/ns#","sensitive":"as:sensitive","featured":{"@id":"toot:featured","@type":"@id"}}],"id":"https://a.example/f/1","type":"Follow","actor":"` + actor + `","object":"` + object + `"}`,
			wantActor: actor, wantObject: object},
		{name: "as: prefixed properties", body: `{"@context":` + as + `,"id":"https://a.example/f/1","type":"Follow","as:actor":{"id":"` + actor + `"},"as:object":{"id":"` + object + `"}}`,
			wantLD: true, wantActor: actor, wantObject: object},
		{name: "full IRI properties", body: `{"@context":` + as + `,"id":"https://a.example/f/1","type":"Follow","https://www.w3.org/ns/activitystreams#actor":{"@id":"` + actor + `"},"https://www.w3.org/ns/activitystreams#object":{"@id":"` + object + `"}}`,
			wantLD: true, wantActor: actor, wantObject: object},
		{name: "other prefix for the AS namespace", body: `{"@context":[` + as + `,{"activity":"https://www.w3.org/ns/activitystreams#"}],"id":"https://a.example/f/1","type":"Follow","activity:actor":{"id":"` + actor + `"},"activity:object":{"id":"` + object + `"}}`,
			wantLD: true, wantActor: actor, wantObject: object},
		{name: "context renaming terms", body: `{"@context":[` + as + `,{"acteur":{"@id":"as:actor","@type":"@id"},"objet":{"@id":"as:object","@type":"@id"}}],"id":"https://a.example/f/1","type":"Follow","acteur":"` + actor + `","objet":"` + object + `"}`,
			wantLD: true, wantActor: actor, wantObject: object},
		{name: "context redefining actor", body: `{"@context":[` + as + `,{"actor":"https://evil.example/ns#agent"}],"id":"https://a.example/f/1","type":"Follow","actor":"` + actor + `","object":"` + object + `"}`,
			wantLD: true, wantObject: object},
		{name: "embedded object's context redefining content", body: `{"@context":` + as + `,"id":"https://a.example/c/1","type":"Create","actor":"` + actor + `","object":{"@context":{"content":"https://evil.example/ns#x"},"id":"https://a.example/n/1","type":"Note"}}`,
			wantLD: true, wantActor: actor, wantObject: "https://a.example/n/1"},
		{name: "expanded, top-level array", body: `[{"@id":"https://a.example/f/1","@type":["https://www.w3.org/ns/activitystreams#Follow"],"https://www.w3.org/ns/activitystreams#actor":[{"@id":"` + actor + `"}],"https://www.w3.org/ns/activitystreams#object":[{"@id":"` + object + `"}]}]`,
			wantLD: true, wantActor: actor, wantObject: object},
		{name: "expanded, two top-level nodes", body: `[{"@id":"https://a.example/f/1","@type":"https://www.w3.org/ns/activitystreams#Follow"},{"@id":"https://a.example/f/2","@type":"https://www.w3.org/ns/activitystreams#Follow"}]`,
			wantLD: true, wantErr: jsonld.ErrNotOneObject},
		{name: "context not embedded", body: `[{"@context":"https://c.example/ctx.jsonld","@id":"https://a.example/f/1"}]`,
			wantLD: true, wantErr: &jsonld.UnknownContextError{}},
		{name: "context as a file path", body: `{"@context":["/etc/passwd",{"acteur":"as:actor"}],"id":"https://a.example/f/1","type":"Follow","acteur":"` + actor + `"}`,
			wantLD: true, wantErr: &jsonld.UnknownContextError{}},
		{name: "array of strings", body: `["Follow"]`, wantLD: true},
		{name: "top-level string", body: `"https://a.example/f/1"`, wantErr: vocab.ErrNotObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCompactor(t)
			got, err := decodeActivity([]byte(tt.body), c)
			if ld := c.n.Load() > 0; ld != tt.wantLD {
				t.Errorf("JSON-LD path taken: %v, want %v", ld, tt.wantLD)
			}
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatal(err)
				}
			case *jsonld.UnknownContextError:
				if _, ok := errors.AsType[*jsonld.UnknownContextError](err); !ok {
					t.Fatalf("err = %v, want an UnknownContextError", err)
				}
				return
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				return
			}
			if got.Actor.ID() != tt.wantActor || got.Object.ID() != tt.wantObject {
				t.Errorf("actor, object = %q %q, want %q %q", got.Actor.ID(), got.Object.ID(), tt.wantActor, tt.wantObject)
			}
		})
	}
}

// FuzzDecodeJSONLD sends arbitrary bodies through the inbox decoder with the JSON-LD path open:
// it must never panic, and what it decodes must encode again. Seeded with the corpus and the
// expanded forms of its activities.
func FuzzDecodeJSONLD(f *testing.F) {
	corpus.Seed(f, ".")
	f.Add([]byte(`[{"@id":"https://a.example/f/1","@type":"https://www.w3.org/ns/activitystreams#Follow"}]`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/activitystreams",{"acteur":"as:actor"}],"acteur":"https://a.example/u"}`))
	c := newCompactor(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		act, err := decodeActivity(body, c)
		if err != nil {
			return
		}
		if _, err := json.Marshal(act); err != nil {
			t.Fatalf("decoded activity does not encode: %v", err)
		}
	})
}

// BenchmarkDecodeExpanded measures the JSON-LD path for one expanded Mastodon Create{Note}:
// compaction against the ActivityStreams context, then the lean decode.
func BenchmarkDecodeExpanded(b *testing.B) {
	expanded, ok := expand(b, corpus.ReadFile(b, "mastodon/activities_create_note.json"))
	if !ok {
		b.Fatal("the Mastodon Create names a context that is not embedded")
	}
	c := newCompactor(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeActivity(expanded, c); err != nil {
			b.Fatal(err)
		}
	}
}
