package activitypub_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/oteltest"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// listedActors is the site's news and desk, listed (activitypub.ActorLister).
type listedActors struct{ activitypub.ActorSource }

func (listedActors) FederatedActorNames(context.Context) ([]string, error) {
	return []string{"news", "desk"}, nil
}

// observedSite is a site whose Federation reports to an SDK MeterProvider with a manual reader
// and to a TracerProvider recording every span.
func observedSite(t *testing.T) (*site, *sdkmetric.ManualReader, *tracetest.SpanRecorder) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
		c.Actors = listedActors{c.Actors}
		c.Telemetry = activitypub.Telemetry{
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
		}
	})
	return s, reader, spans
}

// TestTelemetryInbox posts to the inbox what each refusal reason needs, and checks that
// fedsite.inbox.requests counts it once, with its status and reason, and that no metric names an
// actor or a host.
func TestTelemetryInbox(t *testing.T) {
	s, reader, _ := observedSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	eve := activitypubtest.NewRemote(t, "eve")
	news := s.fed.ActorID("news")
	inbox := news + "/inbox"
	follow := func(actor, id string) []byte {
		b, _ := json.Marshal(map[string]any{"@context": vocab.ContextActivityStreams, "id": actor + "/follows/" + id,
			"type": "Follow", "actor": actor, "object": news})
		return b
	}
	aliceKey, malloryKey, eveKey := alice.Key(), mallory.Key(), eve.Key()
	wrongKey := signing.Key{ID: aliceKey.ID, Signer: malloryKey.Signer}
	ghostKey := signing.Key{ID: alice.URL() + "/users/ghost#main-key", Signer: aliceKey.Signer}
	undoOther, _ := json.Marshal(map[string]any{"id": mallory.ActorID() + "/undo", "type": "Undo",
		"actor": mallory.ActorID(), "object": alice.ActorID() + "/follows/1"})
	huge := `{"type":"Follow","id":"x","actor":"` + strings.Repeat("a", 1<<20) + `"}`

	tests := []struct {
		name        string
		before      func(t *testing.T)
		url         string
		body        []byte
		contentType string
		key         *signing.Key
		status      int
		refusal     string // "" for none
	}{
		{"accepted", nil, inbox, follow(alice.ActorID(), "1"), vocab.MediaType, &aliceKey, 202, ""},
		{"unsigned", nil, inbox, follow(alice.ActorID(), "2"), vocab.MediaType, nil, 401, "signature_missing"},
		{"wrong key", nil, inbox, follow(alice.ActorID(), "3"), vocab.MediaType, &wrongKey, 401, "signature_invalid"},
		{"key not found", nil, inbox, follow(alice.ActorID(), "4"), vocab.MediaType, &ghostKey, 401, "key_unavailable"},
		{"signer is not the actor", nil, inbox, follow(alice.ActorID(), "5"), vocab.MediaType, &malloryKey, 401, "signer_mismatch"},
		{"body over 1 MiB", nil, inbox, []byte(huge), vocab.MediaType, &aliceKey, 413, "body_too_large"},
		{"form content type", nil, inbox, follow(alice.ActorID(), "6"), "application/x-www-form-urlencoded", &aliceKey, 415, "media_type"},
		{"malformed JSON", nil, inbox, []byte(`{"type":`), vocab.MediaType, &aliceKey, 400, "malformed"},
		{"unknown actor's inbox", nil, s.url("/ap/users/nobody/inbox"), follow(alice.ActorID(), "7"), vocab.MediaType, &aliceKey, 404, "not_found"},
		{"undo of someone else's follow", nil, s.url("/ap/inbox"), undoOther, vocab.MediaType, &malloryKey, 403, "not_permitted"},
		{"blocked actor", func(t *testing.T) {
			if err := s.fed.BlockActor(t.Context(), eve.ActorID(), "spam"); err != nil {
				t.Fatal(err)
			}
		}, inbox, follow(eve.ActorID(), "1"), vocab.MediaType, &eveKey, 403, "blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before(t)
			}
			attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", tt.status)}
			if tt.refusal != "" {
				attrs = append(attrs, attribute.String("fedsite.inbox.refusal", tt.refusal))
			}
			before := oteltest.Collect(t, reader)
			if resp := alice.PostRaw(tt.url, tt.body, tt.contentType, tt.key); resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			after := oteltest.Collect(t, reader)
			was, _ := before.Int("fedsite.inbox.requests", attrs...)
			now, ok := after.Int("fedsite.inbox.requests", attrs...)
			if !ok || now-was != 1 {
				t.Errorf("fedsite.inbox.requests%v went from %d to %d, want one more (points: %v)", attrs, was, now, after.Attributes("fedsite.inbox.requests"))
			}
			if n, m := len(before.Attributes("fedsite.inbox.requests")), len(after.Attributes("fedsite.inbox.requests")); m > n+1 {
				t.Errorf("one POST added %d data points", m-n)
			}
		})
	}
	m := oteltest.Collect(t, reader)
	for _, name := range []string{"fedsite.inbox.requests", "fedsite.fetch.duration", "fedsite.deliveries"} {
		for _, set := range m.Attributes(name) {
			for _, kv := range set.ToSlice() {
				if v := kv.Value.String(); strings.Contains(v, "127.0.0.1") || strings.Contains(v, "/users/") {
					t.Errorf("%s has an attribute naming a host or an actor: %s=%s", name, kv.Key, v)
				}
			}
		}
	}
	// The key whose document was not found was fetched, and failed with its status.
	notFound := []attribute.KeyValue{attribute.String("fedsite.fetch.kind", "key"),
		attribute.Int("http.response.status_code", 404), attribute.String("error.type", "404")}
	if n := m.Count("fedsite.fetch.duration", notFound...); n == 0 {
		t.Errorf("no fedsite.fetch.duration%v: %v", notFound, m.Attributes("fedsite.fetch.duration"))
	}
}

// TestTelemetryFollowTrace follows the site's actor and checks the spans of the inbox POST
// (verify, with the key fetch inside it, then process), the fetch and delivery metrics, the
// follower count, and the WebFinger lookups.
func TestTelemetryFollowTrace(t *testing.T) {
	s, reader, spans := observedSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	aliceHost := strings.TrimPrefix(alice.URL(), "http://")
	news := s.fed.ActorID("news")
	follow := map[string]any{"@context": vocab.ContextActivityStreams, "id": alice.ActorID() + "/follows/1",
		"type": "Follow", "actor": alice.ActorID(), "object": news}
	if resp := alice.Post(news+"/inbox", follow); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	alice.WaitFor("Accept")
	if _, err := s.fed.Fetch(t.Context(), alice.ActorID()); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{"acct:news@" + strings.TrimPrefix(s.srv.URL, "http://"), "acct:nobody@" + strings.TrimPrefix(s.srv.URL, "http://")} {
		resp, err := http.Get(s.url("/.well-known/webfinger?resource=" + url.QueryEscape(res)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	waitFor(t, func() bool {
		n, _ := oteltest.Collect(t, reader).Int("fedsite.deliveries", attribute.String("fedsite.delivery.outcome", "delivered"))
		return n == 1
	})
	m := oteltest.Collect(t, reader)
	ints := []struct {
		name  string
		attrs []attribute.KeyValue
		want  int64
	}{
		{"fedsite.inbox.requests", []attribute.KeyValue{attribute.Int("http.response.status_code", 202)}, 1},
		{"fedsite.follower.count", nil, 1},
		{"fedsite.webfinger.lookups", []attribute.KeyValue{attribute.String("fedsite.webfinger.result", "found")}, 1},
		{"fedsite.webfinger.lookups", []attribute.KeyValue{attribute.String("fedsite.webfinger.result", "not_found")}, 1},
	}
	for _, c := range ints {
		if got, _ := m.Int(c.name, c.attrs...); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.name, c.attrs, got, c.want)
		}
	}
	counts := []struct {
		kind string
		want uint64
	}{{"key", 1}, {"object", 1}}
	for _, c := range counts {
		attrs := []attribute.KeyValue{attribute.String("fedsite.fetch.kind", c.kind), attribute.Int("http.response.status_code", 200)}
		if got := m.Count("fedsite.fetch.duration", attrs...); got != c.want {
			t.Errorf("fedsite.fetch.duration%v counted %d fetches, want %d (points: %v)", attrs, got, c.want, m.Attributes("fedsite.fetch.duration"))
		}
	}

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range spans.Ended() {
		if _, dup := byName[sp.Name()]; !dup {
			byName[sp.Name()] = sp
		}
	}
	inboxSpan, verify, process, key := byName["fedsite.inbox"], byName["fedsite.inbox.verify"], byName["fedsite.inbox.process"], byName["fedsite.fetch.key"]
	if inboxSpan == nil || verify == nil || process == nil || key == nil || byName["fedsite.delivery"] == nil || byName["fedsite.fetch.object"] == nil {
		t.Fatalf("missing spans: %v", slices.Collect(maps.Keys(byName)))
	}
	parents := []struct {
		child, parent sdktrace.ReadOnlySpan
	}{{verify, inboxSpan}, {process, inboxSpan}, {key, verify}}
	for _, p := range parents {
		if p.child.Parent().SpanID() != p.parent.SpanContext().SpanID() {
			t.Errorf("span %s is not inside %s", p.child.Name(), p.parent.Name())
		}
	}
	hosts := []struct {
		span sdktrace.ReadOnlySpan
		key  attribute.Key
	}{{inboxSpan, "fedsite.actor.host"}, {key, "server.address"}, {byName["fedsite.delivery"], "server.address"}, {byName["fedsite.fetch.object"], "server.address"}}
	for _, h := range hosts {
		attrs := attribute.NewSet(h.span.Attributes()...)
		if v, _ := attrs.Value(h.key); v.AsString() != aliceHost {
			t.Errorf("span %s: %s = %q, want %q", h.span.Name(), h.key, v.AsString(), aliceHost)
		}
	}
}
