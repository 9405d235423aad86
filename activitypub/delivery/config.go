package delivery

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Inboxes lists the distinct delivery inboxes of an actor's followers, as
// [store.Followers.DeliveryInboxes] does.
type Inboxes interface {
	DeliveryInboxes(ctx context.Context, actorID, after string, limit int) ([]string, error)
}

// Documents loads the stored JSON of an activity to send, as [store.Objects.Object] does.
type Documents interface {
	Object(ctx context.Context, id string) (store.Object, error)
}

// FollowerRemover drops the followers whose delivery inbox is gone (it answered 404 or 410), and
// returns them.
type FollowerRemover interface {
	RemoveFollowersByInbox(ctx context.Context, inbox string) ([]store.Follower, error)
}

// Blocker tells which inboxes are blocked, in the order given, as [store.Blocks.Blocked] does.
type Blocker interface {
	Blocked(ctx context.Context, iris ...string) ([]bool, error)
}

// KeyFunc returns the signing key of a local actor.
type KeyFunc func(ctx context.Context, actorID string) (signing.Key, error)

// GoneFunc is told about the followers removed because their inbox answered 404 or 410.
type GoneFunc func(ctx context.Context, inbox string, removed []store.Follower)

// Config configures an [Engine]. The zero value of every optional field is its documented default.
type Config struct {
	// Store holds the jobs, the per-delivery status records and the per-host circuit breaker
	// state, shared by every instance; a job's ack and its record go in one write when it
	// implements [store.BatchAcker]. The records serve [Engine.Status] and are the progress log of
	// fan-out pages: a page run again after a crash sends only what its records do not show as
	// delivered or failed. Required.
	Store store.Delivery
	// Inboxes lists where a fan-out delivers. Required.
	Inboxes Inboxes
	// Documents loads the activities to send. Required.
	Documents Documents
	// Keys returns the key to sign an actor's deliveries with. Required.
	Keys KeyFunc

	// Followers removes the followers of an inbox that answered 404 or 410. Default: nil, the
	// followers are kept (the delivery still fails for good).
	Followers FollowerRemover
	// OnGone is called after followers were removed because of a 404 or 410. Default: nil, none.
	OnGone GoneFunc
	// Blocks tells which inboxes get nothing, such as those on a blocked server. A page asks
	// about its inboxes when it opens and a deliver job about its inbox before it posts, so a
	// block reaches deliveries queued before it; a blocked delivery is not sent and is recorded
	// failed. Default: nil, no inbox is blocked.
	Blocks Blocker

	// Client posts the deliveries: its Transport is the base under the signing transport (put the
	// SSRF guard there), and its Timeout, if any, applies on top of RequestTimeout. Requests are
	// signed with draft-cavage first and, for a host that answers 400 or 401 to it, with RFC 9421,
	// the scheme that worked being remembered per host (signing.Transport).
	// Default: a client over http.DefaultTransport.
	Client *http.Client
	// UserAgent is sent with every delivery. Default: "fedsite".
	UserAgent string
	// Logger receives the engine's logs. Default: logs are discarded.
	Logger *slog.Logger
	// MeterProvider receives the engine's metrics: deliveries by outcome, the duration of
	// delivery requests, the inboxes fan-outs queued and, while Run runs, the queue's depth (see
	// the package documentation). Default: nil, no metrics, at no cost.
	MeterProvider metric.MeterProvider
	// TracerProvider receives a span per delivery attempt, with the inbox's host. Default: nil,
	// no spans, at no cost.
	TracerProvider trace.TracerProvider

	// Options tunes the engine: workers, timeouts, retries and the circuit breaker.
	Options

	// Now tells the time. Default: time.Now.
	Now func() time.Time
}

// Options holds the delivery engine's tunables, declared here only: [Config] embeds them beside
// the engine's dependencies, and package activitypub takes them whole as its Config.Delivery. The
// zero value of every field is its documented default.
type Options struct {
	// Workers is how many jobs run at once in this process. A delivery mostly waits for the remote
	// server, so the workers must outnumber the cores many times over to keep signing busy: at
	// 100 ms a round trip, 64 workers send up to 640 deliveries/s. Default: 64.
	Workers int
	// PerHost is how many deliveries to one host run at once in this process. Default: 2.
	PerHost int
	// RequestTimeout bounds one delivery request, from connecting to reading the answer.
	// Default: 30 s.
	RequestTimeout time.Duration
	// LeaseTimeout is how long a job stays with the worker that leased it without a heartbeat:
	// Run extends the leases it holds every LeaseTimeout/3 while their jobs run, so a job may run
	// longer, and a process that dies leaves its jobs to others within LeaseTimeout. Default: 20 s.
	LeaseTimeout time.Duration
	// SoleInstance says that this process is the only one using the queue, such as a single
	// process on a SQLite file: every lease at its start was held by an earlier run that died
	// mid-work. The first Run then ends them all before it leases (when Config.Store is a
	// [store.LeaseReleaser]), so that work goes on at once rather than after LeaseTimeout. Never
	// set it on a queue that other processes share: their jobs would be run twice.
	// Default: false.
	SoleInstance bool
	// PollInterval is how often an idle Run asks the queue for jobs that other instances enqueued
	// or whose retry time came. Jobs enqueued through this Engine wake it at once. Default: 200 ms.
	PollInterval time.Duration
	// PageSize is how many inboxes one fan-out job expands. Default: 500.
	PageSize int
	// Retry decides whether and when a delivery that failed with a network error, 408, 429 or a
	// 5xx answer is tried again; a Retry-After answer is honoured. Set a [Backoff] to change only
	// its base wait or its number of attempts. Default: [Backoff]{}, the schedule the package
	// documentation tabulates.
	Retry RetryPolicy
	// BreakerThreshold is how many consecutive failed deliveries to a host open its circuit
	// breaker, which holds the host's deliveries (without using up attempts) until a probe
	// succeeds; its state is kept in Config.Store. -1 disables the breaker. Default: 10.
	BreakerThreshold int
	// BreakerCooldown is how long a breaker first stays open; it doubles each time a probe fails,
	// up to 12 h. Default: 1 min.
	BreakerCooldown time.Duration
}

const (
	defaultWorkers          = 64
	defaultPerHost          = 2
	defaultRequestTimeout   = 30 * time.Second
	defaultLeaseTimeout     = 20 * time.Second
	defaultPollInterval     = 200 * time.Millisecond
	defaultPageSize         = 500
	defaultBreakerThreshold = 10
	defaultBreakerCooldown  = time.Minute
	maxBreakerCooldown      = 12 * time.Hour
)

// withDefaults returns a copy of cfg with defaults filled in; the caller's Config is untouched.
func (cfg Config) withDefaults() Config {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "fedsite"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Options = cfg.Options.withDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.Workers = positiveOr(o.Workers, defaultWorkers)
	o.PerHost = positiveOr(o.PerHost, defaultPerHost)
	o.RequestTimeout = positiveOr(o.RequestTimeout, defaultRequestTimeout)
	o.LeaseTimeout = positiveOr(o.LeaseTimeout, defaultLeaseTimeout)
	o.PollInterval = positiveOr(o.PollInterval, defaultPollInterval)
	o.PageSize = positiveOr(o.PageSize, defaultPageSize)
	if o.Retry == nil {
		o.Retry = Backoff{}
	}
	if o.BreakerThreshold == 0 { // -1 disables the breaker
		o.BreakerThreshold = defaultBreakerThreshold
	}
	o.BreakerCooldown = positiveOr(o.BreakerCooldown, defaultBreakerCooldown)
	return o
}

// positiveOr returns v when it is above zero and def otherwise: a count or duration left zero, or
// set below zero, takes its default.
func positiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
