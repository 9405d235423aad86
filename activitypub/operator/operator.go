package operator

import (
	"bytes"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// Handler serves the operator pages. It is safe for concurrent use; build it with New.
type Handler struct {
	cfg   Config
	tmpl  *template.Template
	mux   *http.ServeMux
	csrf  csrf
	cross *http.CrossOriginProtection
}

// New checks cfg and builds a Handler. It fails when a required field is missing or Key is
// shorter than 32 bytes.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Federation == nil:
		return nil, errors.New("operator: Config.Federation is required")
	case cfg.Actors == nil:
		return nil, errors.New("operator: Config.Actors is required")
	case cfg.User == nil:
		return nil, errors.New("operator: Config.User is required")
	case cfg.Key != nil && len(cfg.Key) < 32:
		return nil, fmt.Errorf("operator: Config.Key has %d bytes, want at least 32", len(cfg.Key))
	}
	// The key is copied so that the caller's slice may change without changing the tokens.
	key := make([]byte, 32)
	if cfg.Key != nil {
		key = append([]byte(nil), cfg.Key...)
	} else {
		rand.Read(key)
	}
	cfg.Key = nil
	if cfg.PageSize < 1 {
		cfg.PageSize = 50
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"trusted": func(s string) template.HTML { return template.HTML(s) },
		"date":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"add": func(n ...int) int {
			s := 0
			for _, v := range n {
				s += v
			}
			return s
		},
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("operator: templates: %w", err)
	}
	h := &Handler{cfg: cfg, tmpl: tmpl, csrf: csrf{key: key}, cross: http.NewCrossOriginProtection()}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.serveOverview)
	h.mux.HandleFunc("GET /article", h.serveArticle)
	h.mux.HandleFunc("POST /article", h.post(h.moderateReply))
	h.mux.HandleFunc("GET /requests", h.serveRequests)
	h.mux.HandleFunc("POST /requests", h.post(h.decideRequest))
	h.mux.HandleFunc("GET /moderation", h.serveModeration)
	h.mux.HandleFunc("POST /moderation", h.post(h.moderate))
	h.mux.HandleFunc("GET /mentions", h.serveMentions)
	h.mux.HandleFunc("GET /relays", h.serveRelays)
	h.mux.HandleFunc("POST /relays", h.post(h.changeRelay))
	h.mux.HandleFunc("GET /hosts", h.serveHosts)
	h.mux.HandleFunc("POST /hosts", h.post(h.retryHost))
	h.mux.HandleFunc("GET /dead", h.serveDead)
	h.mux.HandleFunc("POST /dead", h.post(h.replay))
	h.mux.HandleFunc("GET /audit", h.serveAudit)
	return h, nil
}

// ServeHTTP serves the page the request's path names, relative to where the site mounted the
// handler with http.StripPrefix: "/" (overview), "/article", "/requests", "/moderation",
// "/mentions", "/relays", "/hosts", "/dead" (dead letters) and "/audit".
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The pages show direct messages and moderation notes: no cache may keep them.
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := h.cfg.User(r); !ok {
		http.Error(w, "sign in first", http.StatusForbidden)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// view is what every page's template gets: the page's own data in Page.
type view struct {
	// Title is the page's heading; Nav the navigation entry it belongs to.
	Title, Nav string
	// User is who is signed in; Token the form token of their session.
	User, Token string
	// Error, when set, says why the last form was refused.
	Error string
	// Refresh, when not 0, has the page reload itself after that many seconds, as the article
	// page does while a fan-out runs.
	Refresh int
	Page    any
}

// render writes the page named name (a template file) with status. It renders into a buffer
// first, so that a template failure is a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.User, _ = h.cfg.User(r)
	v.Token = h.csrf.token(w, r, v.User)
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		h.fail(w, r, "render "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail logs err and answers 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "operator: "+what, slog.Any("err", err))
	http.Error(w, "the page could not be made; the log says why", http.StatusInternalServerError)
}

// seeOther redirects to a page after a form succeeded. The Location is relative to the request's
// URL, so that it stays under the prefix the site mounted the handler at.
func seeOther(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusSeeOther)
}
