package activitypub

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Config configures a [Federation]. The zero value of every optional field is its documented default.
type Config struct {
	// BaseURL is the site's public origin, such as "https://news.example.com". Every ActivityPub id
	// derives from it and published articles must live on its host. Required.
	BaseURL string

	// Actors tells fedsite which of the site's actors exist. Required.
	Actors ActorSource

	// Store keeps followers, published objects, keys and caches. Required.
	Store store.Store

	// Client sends every outgoing request: actor and key fetches (signed by the instance actor) and
	// deliveries (signed by the publishing actor). Its Transport is the base the signatures are added
	// to. Default: a client with a 30 s timeout over http.DefaultTransport.
	Client *http.Client

	// Logger receives the federation's logs. Default: logs are discarded.
	Logger *slog.Logger

	// UserAgent is sent on every outgoing request. Default: "fedsite (+BaseURL)".
	UserAgent string

	// MaxBodyBytes caps incoming inbox bodies and fetched documents. Default: 1 MiB, as Mastodon.
	MaxBodyBytes int64

	// DeliveryWorkers is how many deliveries Run sends at once. Default: 8.
	DeliveryWorkers int

	// DeliveryAttempts is how many times a delivery that failed with a network error, 408, 429 or a
	// 5xx answer is tried in all before it is given up. Default: 3. The wait doubles from
	// DeliveryBackoff between attempts.
	DeliveryAttempts int

	// DeliveryBackoff is the wait before the second attempt of a delivery. Default: 2 s.
	DeliveryBackoff time.Duration

	// RemoteActorTTL is how long a fetched remote actor is used before it is fetched again.
	// Default: 24 h.
	RemoteActorTTL time.Duration

	// PageSize is how many items a collection page holds. Default: 20.
	PageSize int

	// InsecureAllowHTTP lets fedsite fetch remote actors and keys over plain http. Meant for tests
	// and local development on loopback; never set it on the public network. Default: https only.
	InsecureAllowHTTP bool

	// Now tells the time. Default: time.Now. Tests set it to check signatures made at a fixed time.
	Now func() time.Time
}

const (
	defaultMaxBody        = 1 << 20
	defaultWorkers        = 8
	defaultAttempts       = 3
	defaultBackoff        = 2 * time.Second
	defaultRemoteActorTTL = 24 * time.Hour
	defaultPageSize       = 20
	defaultClientTimeout  = 30 * time.Second
)

// withDefaults returns a copy of cfg with every zero optional field set to its default; the
// caller's Config is never written to.
func (cfg Config) withDefaults() Config {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: defaultClientTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "fedsite (+" + cfg.BaseURL + ")"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.DeliveryWorkers <= 0 {
		cfg.DeliveryWorkers = defaultWorkers
	}
	if cfg.DeliveryAttempts <= 0 {
		cfg.DeliveryAttempts = defaultAttempts
	}
	if cfg.DeliveryBackoff <= 0 {
		cfg.DeliveryBackoff = defaultBackoff
	}
	if cfg.RemoteActorTTL <= 0 {
		cfg.RemoteActorTTL = defaultRemoteActorTTL
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}
