package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/fedsite/fedsite/internal/otelattr"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/webfinger"
)

// Telemetry names the OpenTelemetry providers that fedsite reports its work to. Either may be
// nil: nothing is then reported of that kind, at no cost.
//
// The metrics, whose attributes never name an inbox, an actor or a host so that their series stay
// few whatever the fediverse does:
//
//   - fedsite.deliveries (counter): deliveries that ended, by fedsite.delivery.outcome:
//     delivered, retried, failed, gone (404 or 410), deferred (circuit breaker open), blocked;
//   - fedsite.delivery.duration (histogram, s): delivery requests, by http.response.status_code
//     and, for those that failed, error.type (the status code, timeout, connection or _OTHER);
//   - fedsite.delivery.fanout.inboxes (counter): inboxes that fan-outs queued deliveries to,
//     which with fedsite.deliveries tells how far fan-outs are;
//   - fedsite.delivery.queue.depth (gauge, while Run runs): the shared queue's jobs by
//     fedsite.delivery.job.state: ready, delayed, leased, dead;
//   - fedsite.inbox.requests (counter): inbox POSTs by http.response.status_code and, for those
//     refused, fedsite.inbox.refusal: body_too_large, media_type, malformed, invalid, not_found,
//     blocked, signature_missing, signature_invalid, key_unavailable, signer_mismatch,
//     not_permitted or error, and for FEP-8b32 proofs (inbox_proof.go) proof_invalid,
//     proof_expired, proof_key_unavailable or proof_signer_mismatch;
//   - fedsite.fetch.duration (histogram, s): fetches signed by the instance actor, by
//     fedsite.fetch.kind (actor, key, object), status code and error.type (also blocked);
//   - fedsite.webfinger.lookups (counter): WebFinger queries answered, by
//     fedsite.webfinger.result: found, not_found, gone, error;
//   - fedsite.follower.count (gauge, while Run runs): the followers of every site actor, when
//     Config.Actors is an [ActorLister] and Config.Store a store.FollowerCounter (one count per
//     actor per collection).
//
// The spans: fedsite.inbox for each inbox POST (with fedsite.inbox.verify and
// fedsite.inbox.process inside), fedsite.delivery for each delivery attempt and
// fedsite.fetch.actor, fedsite.fetch.key and fedsite.fetch.object for each fetch, each with the
// remote host (server.address, or fedsite.actor.host for the sender of an inbox POST). Outgoing
// requests carry their span in their context, so a Config.Client transport that propagates trace
// context passes it on.
type Telemetry struct {
	// MeterProvider receives the metrics. Default: nil, none.
	MeterProvider metric.MeterProvider
	// TracerProvider receives the spans. Default: nil, none.
	TracerProvider trace.TracerProvider
}

// scope is the instrumentation scope of this package's metrics and spans.
const scope = "github.com/fedsite/fedsite/activitypub"

// The attributes of this package's metrics and spans (see Telemetry).
const (
	refusalKey   = attribute.Key("fedsite.inbox.refusal")
	fetchKindKey = attribute.Key("fedsite.fetch.kind")
	wfResultKey  = attribute.Key("fedsite.webfinger.result")
	actorHostKey = attribute.Key("fedsite.actor.host")
)

// Why an inbox POST was refused, as fedsite.inbox.refusal tells it.
const (
	refusalTooLarge       = "body_too_large"
	refusalMediaType      = "media_type"
	refusalMalformed      = "malformed"
	refusalInvalid        = "invalid"
	refusalNotFound       = "not_found"
	refusalBlocked        = "blocked"
	refusalNoSignature    = "signature_missing"
	refusalBadSignature   = "signature_invalid"
	refusalKeyUnavailable = "key_unavailable"
	refusalSignerMismatch = "signer_mismatch"
	refusalNotPermitted   = "not_permitted"
	refusalError          = "error"
)

// What a fetch is for, as fedsite.fetch.kind tells it.
const (
	fetchActor  = "actor"
	fetchKey    = "key"
	fetchObject = "object"
)

// telemetry reports the Federation's work (see Telemetry). A nil *telemetry, which a Federation
// has when Config.Telemetry names no provider, reports nothing and costs nothing.
type telemetry struct {
	tracer    trace.Tracer
	meter     metric.Meter
	inbox     metric.Int64Counter
	fetches   metric.Float64Histogram
	webfinger metric.Int64Counter
	followers metric.Int64ObservableGauge
}

// newTelemetry builds the instruments of cfg's providers; it returns nil when there are none.
func newTelemetry(cfg Telemetry) (*telemetry, error) {
	meter, tracer, ok := otelattr.Scope(cfg.MeterProvider, cfg.TracerProvider, scope)
	if !ok {
		return nil, nil
	}
	t := &telemetry{tracer: tracer, meter: meter}
	var errs [4]error
	t.inbox, errs[0] = t.meter.Int64Counter("fedsite.inbox.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Inbox POSTs, by status and, for those refused, the reason."))
	t.fetches, errs[1] = t.meter.Float64Histogram("fedsite.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the fetches of actors, keys and objects signed by the instance actor."),
		otelattr.DurationBuckets())
	t.webfinger, errs[2] = t.meter.Int64Counter("fedsite.webfinger.lookups", metric.WithUnit("{lookup}"),
		metric.WithDescription("WebFinger queries about the site's actors, by result."))
	t.followers, errs[3] = t.meter.Int64ObservableGauge("fedsite.follower.count", metric.WithUnit("{follower}"),
		metric.WithDescription("Followers of the site's actors, summed over the actors."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("activitypub: telemetry: %w", err)
	}
	return t, nil
}

// inboxObservation is what the span and the counter of one inbox POST are told while it is
// handled; the request's context carries it.
type inboxObservation struct {
	http.ResponseWriter
	span    trace.Span
	status  int
	refusal string
}

type inboxObservationKey struct{}

// WriteHeader notes the status, which the inbox counter reports.
func (o *inboxObservation) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

// Write notes a 200 if no status was written.
func (o *inboxObservation) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o.ResponseWriter.Write(b)
}

// Unwrap returns the ResponseWriter underneath, for http.ResponseController.
func (o *inboxObservation) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// startInbox starts observing an inbox POST: it returns the writer and the request to handle it
// with, and the function to call once it is answered.
func (t *telemetry) startInbox(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, func()) {
	if t == nil {
		return w, r, func() {}
	}
	ctx, span := t.tracer.Start(r.Context(), "fedsite.inbox", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
	o := &inboxObservation{ResponseWriter: w, span: span}
	r = r.WithContext(context.WithValue(ctx, inboxObservationKey{}, o))
	return o, r, func() { t.endInbox(r.Context(), o) }
}

// endInbox counts an answered inbox POST and ends its span.
func (t *telemetry) endInbox(ctx context.Context, o *inboxObservation) {
	status := o.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []attribute.KeyValue{semconv.HTTPResponseStatusCode(status)}
	if status >= 400 {
		reason := o.refusal
		if reason == "" {
			reason = refusalForStatus(status)
		}
		attrs = append(attrs, refusalKey.String(reason))
	}
	if status >= 500 {
		o.span.SetStatus(codes.Error, http.StatusText(status))
	}
	o.span.SetAttributes(attrs...)
	o.span.End()
	t.inbox.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attrs...))
}

// refusalForStatus is the refusal of an inbox POST answered status where no reason was noted: the
// checks that answer 401 and 403 always note one.
func refusalForStatus(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return refusalTooLarge
	case http.StatusUnsupportedMediaType:
		return refusalMediaType
	case http.StatusBadRequest:
		return refusalMalformed
	case http.StatusNotFound:
		return refusalNotFound
	default:
		return refusalError
	}
}

// refused notes why the inbox POST whose context is ctx was refused, for its counter and span.
func (t *telemetry) refused(ctx context.Context, reason string) {
	if t == nil {
		return
	}
	if o, ok := ctx.Value(inboxObservationKey{}).(*inboxObservation); ok {
		o.refusal = reason
	}
}

// noteActivity puts a decoded activity's type, id and actor host on the inbox POST's span.
func (t *telemetry) noteActivity(ctx context.Context, typ []string, id, actor string) {
	if t == nil {
		return
	}
	var host string
	if u, err := url.Parse(actor); err == nil {
		host = u.Host
	}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.StringSlice("fedsite.activity.type", typ), attribute.String("fedsite.activity.id", id),
		actorHostKey.String(host))
}

// signatureRefusal is the refusal of an inbox POST whose signature check failed with err.
func signatureRefusal(err error) string {
	switch {
	case errors.Is(err, signing.ErrNoSignature):
		return refusalNoSignature
	case errors.Is(err, signing.ErrKeyUnavailable):
		return refusalKeyUnavailable
	default:
		return refusalBadSignature
	}
}

// errorRefusal is the refusal of an inbox POST that failed with err (see inbox.refuse).
func errorRefusal(err error) string {
	switch {
	case errors.Is(err, ErrBlocked):
		return refusalBlocked
	case errors.As(err, new(*InvalidError)):
		return refusalInvalid
	case errors.Is(err, errNotPermitted):
		return refusalNotPermitted
	case errors.Is(err, ErrNotFound):
		return refusalNotFound
	default:
		return refusalError
	}
}

// start starts a span of the inbox POST or fetch whose context is ctx.
func (t *telemetry) start(ctx context.Context, name string) (context.Context, trace.Span) {
	if t == nil {
		return ctx, tracenoop.Span{}
	}
	return t.tracer.Start(ctx, name)
}

type fetchKindCtxKey struct{}

// fetching returns ctx telling the fetch transport what the fetches made with it are for.
func (t *telemetry) fetching(ctx context.Context, kind string) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, fetchKindCtxKey{}, kind)
}

// fetchTransport returns base observed: a span and a duration for each request.
func (t *telemetry) fetchTransport(base http.RoundTripper) http.RoundTripper {
	if t == nil {
		return base
	}
	return &observedTransport{t: t, base: base}
}

// observedTransport is the transport of the instance actor's fetches when there is telemetry.
type observedTransport struct {
	t    *telemetry
	base http.RoundTripper
}

// RoundTrip sends req through the base transport within a span named by its fetch kind.
func (o *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind, _ := req.Context().Value(fetchKindCtxKey{}).(string)
	if kind == "" {
		kind = fetchObject
	}
	ctx, span := o.t.tracer.Start(req.Context(), "fedsite.fetch."+kind, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.ServerAddress(req.URL.Host), semconv.URLFull(req.URL.String()),
			semconv.HTTPRequestMethodKey.String(req.Method)))
	defer span.End()
	start := time.Now()
	resp, err := o.base.RoundTrip(req.WithContext(ctx))
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	// A fetch the block list refused never left: it has no status, only its own error.type.
	result, et := []attribute.KeyValue{semconv.ErrorTypeKey.String("blocked")}, "blocked"
	if !errors.Is(err, ErrBlocked) {
		result, et = otelattr.Request(code, err)
	}
	if et != "" {
		span.SetStatus(codes.Error, et)
	}
	attrs := append([]attribute.KeyValue{fetchKindKey.String(kind)}, result...)
	span.SetAttributes(attrs...)
	o.t.fetches.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
	return resp, err
}

// webfingerResolver returns resolve counting its answers by result.
func (t *telemetry) webfingerResolver(resolve webfinger.ResolverFunc) webfinger.Resolver {
	if t == nil {
		return resolve
	}
	return webfinger.ResolverFunc(func(ctx context.Context, r webfinger.Resource) (*webfinger.JRD, error) {
		jrd, err := resolve(ctx, r)
		result := "found"
		switch {
		case errors.Is(err, webfinger.ErrNotFound):
			result = "not_found"
		case errors.Is(err, webfinger.ErrGone):
			result = "gone"
		case err != nil:
			result = "error"
		}
		t.webfinger.Add(ctx, 1, metric.WithAttributes(wfResultKey.String(result)))
		return jrd, err
	})
}

// observeFollowers reports the followers of every site actor at each collection until the
// returned function is called. It reports nothing when actors cannot list the site's actors or
// followers cannot count them without walking them.
func (t *telemetry) observeFollowers(actors ActorSource, followers store.Followers, actorID func(string) string) (stop func(), err error) {
	lister, ok := actors.(ActorLister)
	counter, ok2 := followers.(store.FollowerCounter)
	if t == nil || !ok || !ok2 {
		return func() {}, nil
	}
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		names, err := siteActorNames(ctx, lister)
		if err != nil {
			return fmt.Errorf("activitypub: followers: %w", err)
		}
		var total int64
		for _, n := range names {
			c, err := counter.CountFollowers(ctx, actorID(n))
			if err != nil {
				return fmt.Errorf("activitypub: followers of %s: %w", n, err)
			}
			total += int64(c)
		}
		o.ObserveInt64(t.followers, total)
		return nil
	}, t.followers)
	if err != nil {
		return func() {}, fmt.Errorf("activitypub: telemetry: %w", err)
	}
	return func() { _ = reg.Unregister() }, nil
}
