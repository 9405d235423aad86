package webfinger

import (
	"log/slog"
	"net/http"
	"time"
)

// HandlerConfig configures a [Handler]. The zero value of every optional field is its documented
// default.
type HandlerConfig struct {
	// Resolver answers WebFinger queries. Required.
	Resolver Resolver

	// BaseURL is the origin that serves /.well-known/webfinger, such as "https://example.com". The
	// host-meta lrdd template is built from its scheme and host only, since well-known URIs live
	// at the root of a host (RFC 8615); a path is ignored. Required; http or https.
	BaseURL string

	// Logger receives the handler's logs: resolver failures at Error, refused requests at Debug.
	// Default: logs are discarded.
	Logger *slog.Logger

	// MaxAge is how long clients and caches may keep a successful answer, sent as
	// "Cache-Control: max-age=…, public". Default (zero): 3 days, as Mastodon sends. A negative
	// value sends "Cache-Control: no-store". Error responses are never marked cacheable.
	MaxAge time.Duration
}

// ClientConfig configures a [Client]. The zero value is a usable configuration.
type ClientConfig struct {
	// HTTPClient sends the requests. Its redirect policy applies; a redirect to plain http is
	// refused unless InsecureAllowHTTP is set. Lookups reach hosts named by remote input (the
	// handle, host-meta templates, redirects), so on a server give it a transport whose dialer
	// refuses private and loopback addresses. Default: a client with a 10 s timeout over
	// http.DefaultTransport.
	HTTPClient *http.Client

	// InsecureAllowHTTP makes Lookup query hosts over plain http instead of https and accept http
	// lrdd templates and redirects. Meant for tests against loopback servers; never set it for
	// lookups on the public network. Default: false, https only.
	InsecureAllowHTTP bool

	// MaxBodyBytes caps WebFinger and host-meta response bodies. Default: 1 MiB, as Mastodon.
	MaxBodyBytes int64

	// UserAgent is sent on every request. Default: "fedsite-webfinger".
	UserAgent string

	// Logger receives the client's logs (the host-meta fallback, at Debug). Default: logs are
	// discarded.
	Logger *slog.Logger
}
