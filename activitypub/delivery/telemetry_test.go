package delivery

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fedsite/fedsite/internal/oteltest"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestTelemetry fans an activity out to one inbox answering as each case says, and checks what
// the metrics and spans report: the outcome counter, the request duration by status and error
// type, the fan-out's inbox, the queue depth while Run runs, and a span per attempt with the
// inbox's host, which no metric carries.
func TestTelemetry(t *testing.T) {
	outcome := func(s string) attribute.KeyValue { return attribute.String("fedsite.delivery.outcome", s) }
	status := func(c int) attribute.KeyValue { return attribute.Int("http.response.status_code", c) }
	errType := func(s string) attribute.KeyValue { return attribute.String("error.type", s) }
	tests := []struct {
		name     string
		code     int  // the inbox's answer to every attempt
		blocked  bool // a block covers the inbox
		outcomes map[string]int64
		// requests are the attributes of the duration histogram's one data point, with its count.
		requests []attribute.KeyValue
		attempts int
	}{
		{"delivered", http.StatusAccepted, false, map[string]int64{"delivered": 1}, []attribute.KeyValue{status(202)}, 1},
		{"gone", http.StatusGone, false, map[string]int64{"gone": 1}, []attribute.KeyValue{status(410), errType("410")}, 1},
		{"refused", http.StatusForbidden, false, map[string]int64{"failed": 1}, []attribute.KeyValue{status(403), errType("403")}, 1},
		// Backoff.Attempts is 3 in newEnv: two retries, then given up.
		{"unavailable", http.StatusServiceUnavailable, false, map[string]int64{"retried": 2, "failed": 1}, []attribute.KeyValue{status(503), errType("503")}, 3},
		{"blocked", http.StatusAccepted, true, map[string]int64{"blocked": 1}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := sdkmetric.NewManualReader()
			spans := tracetest.NewSpanRecorder()
			blocks := memstore.New()
			e := newEnv(t, func(c *Config) {
				c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
				c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
				c.Blocks = blocks
			})
			in := newInbox(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(tt.code)
				return true
			})
			host := strings.TrimPrefix(in.srv.URL, "http://")
			if tt.blocked {
				u, _ := url.Parse(in.srv.URL)
				if _, err := blocks.AddBlock(t.Context(), store.Block{Domain: u.Hostname()}); err != nil {
					t.Fatal(err)
				}
			}
			e.follow(t, "https://remote.test/u/1", in.url("/inbox"))
			e.run(t)
			if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, n := range tt.outcomes {
				total += n
			}
			waitFor(t, "every outcome counted", func() bool {
				m := oteltest.Collect(t, reader)
				var n int64
				for _, s := range m.Attributes("fedsite.deliveries") {
					v, _ := s.Value("fedsite.delivery.outcome")
					c, _ := m.Int("fedsite.deliveries", outcome(v.AsString()))
					n += c
				}
				return n >= total
			})
			m := oteltest.Collect(t, reader)
			for name, want := range tt.outcomes {
				if got, _ := m.Int("fedsite.deliveries", outcome(name)); got != want {
					t.Errorf("fedsite.deliveries{outcome=%s} = %d, want %d", name, got, want)
				}
			}
			if got := len(m.Attributes("fedsite.deliveries")); got != len(tt.outcomes) {
				t.Errorf("fedsite.deliveries has %d outcomes, want %d: %v", got, len(tt.outcomes), m.Attributes("fedsite.deliveries"))
			}
			if got := m.Count("fedsite.delivery.duration", tt.requests...); tt.requests != nil && got != uint64(tt.attempts) {
				t.Errorf("fedsite.delivery.duration%v counted %d requests, want %d (points: %v)", tt.requests, got, tt.attempts, m.Attributes("fedsite.delivery.duration"))
			}
			if tt.requests == nil && m.Has("fedsite.delivery.duration") {
				t.Errorf("fedsite.delivery.duration recorded a request that was not sent: %v", m.Attributes("fedsite.delivery.duration"))
			}
			if got, _ := m.Int("fedsite.delivery.fanout.inboxes"); got != 1 {
				t.Errorf("fedsite.delivery.fanout.inboxes = %d, want 1", got)
			}
			for _, state := range []string{"ready", "delayed", "leased", "dead"} {
				if _, ok := m.Int("fedsite.delivery.queue.depth", attribute.String("fedsite.delivery.job.state", state)); !ok {
					t.Errorf("fedsite.delivery.queue.depth{state=%s} not observed while Run runs", state)
				}
			}
			for _, metric := range []string{"fedsite.deliveries", "fedsite.delivery.duration", "fedsite.delivery.fanout.inboxes"} {
				for _, s := range m.Attributes(metric) {
					if _, ok := s.Value("server.address"); ok {
						t.Errorf("%s carries the host: %v", metric, s)
					}
				}
			}

			// A page drops a blocked inbox before any attempt: no span.
			waitFor(t, "every delivery span ended", func() bool { return len(spans.Ended()) >= tt.attempts })
			ended := spans.Ended()
			if len(ended) != tt.attempts {
				t.Fatalf("%d delivery spans, want %d", len(ended), tt.attempts)
			}
			for i, s := range ended {
				attrs := attribute.NewSet(s.Attributes()...)
				if v, _ := attrs.Value("server.address"); v.AsString() != host {
					t.Errorf("span %d: server.address = %q, want %q", i, v.AsString(), host)
				}
				if v, _ := attrs.Value("fedsite.activity.id"); v.AsString() != testActivity {
					t.Errorf("span %d: fedsite.activity.id = %q", i, v.AsString())
				}
				if s.Name() != "fedsite.delivery" {
					t.Errorf("span %d is named %q", i, s.Name())
				}
				wantError := tt.requests != nil && tt.code >= 300
				if (s.Status().Code == codes.Error) != wantError {
					t.Errorf("span %d: status %v, want an error: %v", i, s.Status(), wantError)
				}
			}
			var got []string
			for _, s := range ended {
				attrs := attribute.NewSet(s.Attributes()...)
				v, _ := attrs.Value("fedsite.delivery.outcome")
				got = append(got, v.AsString())
			}
			var want []string
			for name, n := range tt.outcomes {
				if name == "blocked" {
					continue
				}
				for range n {
					want = append(want, name)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("the spans' outcomes are %v, want %v", got, want)
			}
		})
	}
}

// TestTelemetryOff checks that an Engine without providers reports nothing and needs nothing.
func TestTelemetryOff(t *testing.T) {
	e := newEnv(t, nil)
	if e.eng.tel != nil {
		t.Fatal("an Engine without providers has telemetry")
	}
	in := newInbox(t, nil)
	e.follow(t, "https://remote.test/u/1", in.url("/inbox"))
	e.run(t)
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return in.count() == 1 })
}

// BenchmarkTelemetry is what telemetry adds to one delivery: its span, its request's duration
// and its outcome, with SDK providers that keep everything (a manual reader; every span sampled
// and handed to a batch processor exporting nowhere), against no providers.
func BenchmarkTelemetry(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[on], func(b *testing.B) {
			var tel *telemetry
			if on {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
					sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				b.Cleanup(func() { tp.Shutdown(context.Background()) })
				var err error
				if tel, err = newTelemetry(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())), tp); err != nil {
					b.Fatal(err)
				}
			}
			p := payload{Activity: testActivity, Object: testObject, Actor: testActor, Inbox: "https://h1.example/inbox"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ctx, span := tel.startDelivery(ctx, p, "h1.example")
				tel.posted(ctx, time.Now(), http.StatusAccepted, nil)
				tel.count(ctx, tallyDelivered)
				span.End()
			}
		})
	}
}
