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
	// Each page: what its GET serves and, on a page with a form, what the form's POST does.
	for _, p := range []struct {
		path      string
		get, post http.HandlerFunc
	}{
		{"/{$}", h.serveOverview, nil},
		{"/article", shown(h.showArticle), h.moderateReply},
		{"/requests", shown(h.showRequests), h.decideRequest},
		{"/moderation", h.serveModeration, h.moderate},
		{"/mentions", h.serveMentions, nil},
		{"/relays", shown(h.showRelays), h.changeRelay},
		{"/hosts", shown(h.showHosts), h.retryHost},
		{"/dead", shown(h.showDead), h.replay},
		{"/audit", h.serveAudit, nil},
	} {
		h.mux.HandleFunc("GET "+p.path, p.get)
		if p.post != nil {
			h.mux.HandleFunc("POST "+p.path, h.post(p.post))
		}
	}
	return h, nil
}

// showFunc renders a page with status and, after a refused form, the form's error.
type showFunc func(w http.ResponseWriter, r *http.Request, status int, msg string)

// shown serves a page as its GET: 200, with no error.
func shown(show showFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { show(w, r, http.StatusOK, "") }
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
