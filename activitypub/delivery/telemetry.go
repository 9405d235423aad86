package delivery

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/fedsite/fedsite/internal/otelattr"
	"github.com/fedsite/fedsite/store"
)

// scope is the instrumentation scope of the engine's metrics and spans.
const scope = "github.com/fedsite/fedsite/activitypub/delivery"

// The attributes of the engine's metrics. None names an inbox or a host, so that the number of
// series stays bounded whatever the fediverse; the delivery span carries the host.
const (
	outcomeKey  = attribute.Key("fedsite.delivery.outcome")
	jobStateKey = attribute.Key("fedsite.delivery.job.state")
)

// tally is how a delivery ended, as the fedsite.deliveries counter's outcome tells it.
type tally int

const (
	tallyDelivered tally = iota // the inbox accepted it (2xx)
	tallyRetried                // it failed and was put back for another attempt
	tallyFailed                 // it was given up: refused, out of attempts, or its activity gone
	tallyGone                   // the inbox answered 404 or 410: given up, its followers removed
	tallyDeferred               // its host's circuit breaker was open: put back without an attempt
	tallyBlocked                // a block covers its inbox: recorded failed, not sent
	tallies
)

func (t tally) String() string {
	switch t {
	case tallyDelivered:
		return "delivered"
	case tallyRetried:
		return "retried"
	case tallyFailed:
		return "failed"
	case tallyGone:
		return "gone"
	case tallyDeferred:
		return "deferred"
	default:
		return "blocked"
	}
}

// telemetry reports the engine's work to OpenTelemetry (see the package documentation). A nil
// *telemetry, which an Engine has when Config names neither provider, reports nothing and costs
// nothing: every method is a nil check.
type telemetry struct {
	tracer     trace.Tracer
	meter      metric.Meter
	deliveries metric.Int64Counter
	duration   metric.Float64Histogram
	fanOut     metric.Int64Counter
	depth      metric.Int64ObservableGauge
	// outcomes holds the deliveries counter's attribute set of each tally, built once.
	outcomes [tallies]metric.AddOption
}

// newTelemetry builds the engine's instruments; it returns nil when both providers are nil.
func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider) (*telemetry, error) {
	meter, tracer, ok := otelattr.Scope(mp, tp, scope)
	if !ok {
		return nil, nil
	}
	t := &telemetry{tracer: tracer, meter: meter}
	var err error
	if t.deliveries, err = t.meter.Int64Counter("fedsite.deliveries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries that ended, by outcome: delivered, retried, failed, gone, deferred or blocked.")); err != nil {
		return nil, fmt.Errorf("delivery: telemetry: %w", err)
	}
	if t.duration, err = t.meter.Float64Histogram("fedsite.delivery.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of delivery requests, from sending to reading the answer."),
		otelattr.DurationBuckets()); err != nil {
		return nil, fmt.Errorf("delivery: telemetry: %w", err)
	}
	if t.fanOut, err = t.meter.Int64Counter("fedsite.delivery.fanout.inboxes", metric.WithUnit("{inbox}"),
		metric.WithDescription("Inboxes that fan-outs queued deliveries to; with fedsite.deliveries it tells a fan-out's progress.")); err != nil {
		return nil, fmt.Errorf("delivery: telemetry: %w", err)
	}
	if t.depth, err = t.meter.Int64ObservableGauge("fedsite.delivery.queue.depth", metric.WithUnit("{job}"),
		metric.WithDescription("Jobs in the delivery queue, every instance's, by state: ready, delayed, leased or dead.")); err != nil {
		return nil, fmt.Errorf("delivery: telemetry: %w", err)
	}
	for i := range t.outcomes {
		t.outcomes[i] = metric.WithAttributeSet(attribute.NewSet(outcomeKey.String(tally(i).String())))
	}
	return t, nil
}

// startDelivery starts the span of one delivery attempt, which the returned context carries to
// the request and to count.
func (t *telemetry) startDelivery(ctx context.Context, p payload, host string) (context.Context, trace.Span) {
	if t == nil {
		return ctx, tracenoop.Span{}
	}
	return t.tracer.Start(ctx, "fedsite.delivery", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.ServerAddress(host), semconv.URLFull(p.Inbox), semconv.HTTPRequestMethodPost,
			attribute.String("fedsite.activity.id", p.Activity)))
}

// count counts one delivery that ended as tl, and sets the outcome on the delivery span that ctx
// carries (see startDelivery).
func (t *telemetry) count(ctx context.Context, tl tally) {
	if t == nil {
		return
	}
	t.deliveries.Add(ctx, 1, t.outcomes[tl])
	trace.SpanFromContext(ctx).SetAttributes(outcomeKey.String(tl.String()))
}

// countMany counts n deliveries that ended as tl outside a delivery span, such as those a page
// drops as blocked.
func (t *telemetry) countMany(ctx context.Context, tl tally, n int) {
	if t == nil || n == 0 {
		return
	}
	t.deliveries.Add(ctx, int64(n), t.outcomes[tl])
}

// posted records a delivery request that began at start and got code or err.
func (t *telemetry) posted(ctx context.Context, start time.Time, code int, err error) {
	if t == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	attrs, et := otelattr.Request(code, err)
	if et != "" {
		span.SetStatus(codes.Error, et)
	}
	span.SetAttributes(attrs...)
	t.duration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
}

// queuedFanOut counts the inboxes a fan-out page queued deliveries to.
func (t *telemetry) queuedFanOut(ctx context.Context, n int) {
	if t == nil {
		return
	}
	t.fanOut.Add(ctx, int64(n))
}

// observeQueue reports the depth of q's queue at each collection until the returned function is
// called. Each collection costs one [store.Queue.Depth].
func (t *telemetry) observeQueue(q store.Queue) (stop func(), err error) {
	if t == nil {
		return func() {}, nil
	}
	states := [4]metric.ObserveOption{}
	for i, s := range []string{"ready", "delayed", "leased", "dead"} {
		states[i] = metric.WithAttributeSet(attribute.NewSet(jobStateKey.String(s)))
	}
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		d, err := q.Depth(ctx)
		if err != nil {
			return fmt.Errorf("delivery: queue depth: %w", err)
		}
		for i, n := range []int{d.Ready, d.Delayed, d.Leased, d.Dead} {
			o.ObserveInt64(t.depth, int64(n), states[i])
		}
		return nil
	}, t.depth)
	if err != nil {
		return func() {}, fmt.Errorf("delivery: telemetry: %w", err)
	}
	return func() { _ = reg.Unregister() }, nil
}
