package delivery

import (
	"context"
	"log/slog"
	"net/http"
	"time"

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
	// Queue holds the jobs. Required.
	Queue store.Queue
	// Inboxes lists where a fan-out delivers. Required.
	Inboxes Inboxes
	// Documents loads the activities to send. Required.
	Documents Documents
	// Keys returns the key to sign an actor's deliveries with. Required.
	Keys KeyFunc
	// Deliveries keeps per-delivery status, for [Engine.Status] and as the progress log of
	// fan-out pages: a page run again after a crash sends only what its records do not show as
	// delivered or failed. Required.
	Deliveries store.Deliveries

	// Followers removes the followers of an inbox that answered 404 or 410. Default: nil, the
	// followers are kept (the delivery still fails for good).
	Followers FollowerRemover
	// OnGone is called after followers were removed because of a 404 or 410. Default: nil, none.
	OnGone GoneFunc
	// Hosts keeps the per-host circuit breaker state, shared by every instance. Default: nil, no
	// circuit breaker.
	Hosts store.Hosts
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
	// mid-work. The first Run then ends them all before it leases (when the queue is a
	// [store.LeaseReleaser]), so that work goes on at once rather than after LeaseTimeout. Never
	// set it on a queue that other processes share: their jobs would be run twice.
	// Default: false.
	SoleInstance bool
	// PollInterval is how often an idle Run asks the queue for jobs that other instances enqueued
	// or whose retry time came. Jobs enqueued through this Engine wake it at once. Default: 200 ms.
	PollInterval time.Duration
	// PageSize is how many inboxes one fan-out job expands. Default: 500.
	PageSize int
	// Retry decides whether and when a failed delivery is tried again. Default: [Backoff]{}
	// (1 s × n⁴ plus up to 25 % jitter, 16 attempts over at least 49 h 31 min; the package
	// documentation has the table).
	Retry RetryPolicy
	// BreakerThreshold is how many consecutive failures open a host's circuit breaker. -1 disables
	// the breaker. Default: 10.
	BreakerThreshold int
	// BreakerCooldown is how long a breaker first stays open; it doubles each time a probe fails,
	// up to 12 h. Default: 1 min.
	BreakerCooldown time.Duration

	// Now tells the time. Default: time.Now.
	Now func() time.Time
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
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = defaultPerHost
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	if cfg.LeaseTimeout <= 0 {
		cfg.LeaseTimeout = defaultLeaseTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	if cfg.Retry == nil {
		cfg.Retry = Backoff{}
	}
	if cfg.BreakerThreshold == 0 {
		cfg.BreakerThreshold = defaultBreakerThreshold
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = defaultBreakerCooldown
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}
