package webfinger

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Well-known paths the [Handler] serves.
const (
	PathWebFinger    = "/.well-known/webfinger"
	PathHostMeta     = "/.well-known/host-meta"
	PathHostMetaJSON = "/.well-known/host-meta.json"
)

// defaultMaxAge is the Cache-Control lifetime Mastodon sends on WebFinger answers.
const defaultMaxAge = 3 * 24 * time.Hour

// Resolver tells the [Handler] which resources exist. The site implements it over its own users.
type Resolver interface {
	// WebFinger returns the document for r, or an error matching [ErrNotFound] when r names
	// nothing the site knows (including acct: URIs for other hosts), answered with 404, or
	// [ErrGone] when r named an account that was deleted, answered with 410 so that other
	// servers drop their copy of it. Any other error is answered with 500. The Handler does not
	// modify the returned JRD. It may be called concurrently.
	WebFinger(ctx context.Context, r Resource) (*JRD, error)
}

// ResolverFunc adapts a function to a [Resolver].
type ResolverFunc func(ctx context.Context, r Resource) (*JRD, error)

var _ Resolver = ResolverFunc(nil)

// WebFinger calls f(ctx, r).
func (f ResolverFunc) WebFinger(ctx context.Context, r Resource) (*JRD, error) { return f(ctx, r) }

// Handler serves WebFinger and host-meta at [PathWebFinger], [PathHostMeta] and
// [PathHostMetaJSON]; every other path is a 404. It answers GET and HEAD; other methods get 405.
// A Handler is safe for concurrent use and does not modify the request.
type Handler struct {
	resolver     Resolver
	log          *slog.Logger
	cacheControl string
	hostMetaXML  []byte
	hostMetaJSON []byte
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler for cfg. It fails if Resolver is nil or BaseURL is not an absolute
// http(s) URL.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Resolver == nil {
		return nil, errors.New("webfinger: HandlerConfig.Resolver is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("webfinger: HandlerConfig.BaseURL: %w", err)
	}
	if (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, fmt.Errorf("webfinger: HandlerConfig.BaseURL %q: want an absolute http(s) URL without user info", cfg.BaseURL)
	}
	h := &Handler{resolver: cfg.Resolver, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.MaxAge < 0:
		h.cacheControl = "no-store"
	case cfg.MaxAge == 0:
		h.cacheControl = cacheControlFor(defaultMaxAge)
	default:
		h.cacheControl = cacheControlFor(cfg.MaxAge)
	}

	// The lrdd template lives at the origin's root (RFC 8615), whatever path BaseURL has.
	template := base.Scheme + "://" + base.Host + PathWebFinger + "?resource={uri}"
	x, err := xml.Marshal(xrdOut{Links: []xrdLink{{Rel: "lrdd", Template: template}}})
	if err != nil {
		return nil, fmt.Errorf("webfinger: render host-meta: %w", err)
	}
	h.hostMetaXML = append([]byte(xml.Header), x...)
	h.hostMetaJSON, err = json.Marshal(JRD{Links: []Link{{Rel: "lrdd", Template: template}}})
	if err != nil {
		return nil, fmt.Errorf("webfinger: render host-meta.json: %w", err)
	}
	return h, nil
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathWebFinger, PathHostMeta, PathHostMetaJSON:
	default:
		http.NotFound(w, r)
		return
	}
	// WebFinger is queried from browsers too (RFC 7033 §5).
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case PathHostMeta:
		h.write(w, r, "application/xrd+xml; charset=utf-8", h.hostMetaXML)
	case PathHostMetaJSON:
		// RFC 6415 §3 names application/json for host-meta.json.
		h.write(w, r, "application/json", h.hostMetaJSON)
	default:
		h.serveWebFinger(w, r)
	}
}

func (h *Handler) serveWebFinger(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		h.refuse(ctx, w, http.StatusBadRequest, "malformed query", err)
		return
	}
	values := q["resource"]
	switch {
	case len(values) == 0 || (len(values) == 1 && values[0] == ""):
		h.refuse(ctx, w, http.StatusBadRequest, "missing resource parameter", nil)
		return
	case len(values) > 1:
		h.refuse(ctx, w, http.StatusBadRequest, "more than one resource parameter", nil)
		return
	}
	res, err := ParseResource(values[0])
	if err != nil {
		h.refuse(ctx, w, http.StatusBadRequest, "malformed resource parameter", err)
		return
	}
	jrd, err := h.resolver.WebFinger(ctx, res)
	switch {
	case errors.Is(err, ErrGone):
		// Mastodon deletes its copy of an account whose WebFinger answers 410, not on a 404
		// (ResolveAccountService).
		h.refuse(ctx, w, http.StatusGone, "resource gone", err)
		return
	case errors.Is(err, ErrNotFound):
		h.refuse(ctx, w, http.StatusNotFound, "resource not found", err)
		return
	case err != nil:
		level := slog.LevelError
		if ctx.Err() != nil {
			// The client went away; that explains the failure and is no server fault.
			level = slog.LevelDebug
		}
		h.log.LogAttrs(ctx, level, "webfinger: resolver failed",
			slog.String("resource", res.String()), slog.Any("error", err))
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	case jrd == nil:
		h.log.LogAttrs(ctx, slog.LevelError, "webfinger: resolver returned no document and no error",
			slog.String("resource", res.String()))
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	if rels, ok := q["rel"]; ok {
		jrd = filterRels(jrd, rels)
	}
	body, err := json.Marshal(jrd)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "webfinger: encode document",
			slog.String("resource", res.String()), slog.Any("error", err))
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	h.write(w, r, "application/jrd+json", body)
}

// write sends a successful answer; HEAD gets the headers only.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", h.cacheControl)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// refuse answers a client error with a short message and logs the cause at Debug.
func (h *Handler) refuse(ctx context.Context, w http.ResponseWriter, code int, msg string, cause error) {
	if cause != nil {
		h.log.LogAttrs(ctx, slog.LevelDebug, "webfinger: "+msg, slog.Any("error", cause))
	}
	http.Error(w, msg, code)
}

// filterRels returns a copy of j holding only the links whose rel is in rels (RFC 7033 §4.3).
// The other members are kept and j is not modified.
func filterRels(j *JRD, rels []string) *JRD {
	out := *j
	out.Links = nil
	for _, l := range j.Links {
		if slices.Contains(rels, l.Rel) {
			out.Links = append(out.Links, l)
		}
	}
	return &out
}

func cacheControlFor(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs < 1 {
		secs = 1
	}
	return "max-age=" + strconv.FormatInt(secs, 10) + ", public"
}
