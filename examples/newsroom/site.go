package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// This file is the news site as it exists without fedsite: articles kept in a JSON file, a front
// page, article pages and an editor's publish form behind a login. Nothing here knows about the
// fediverse; federate.go adds that.

//go:embed templates/*.html
var templateFS embed.FS

// staticFS holds the site's images: the masthead's and the writers' pictures.
//
//go:embed static/*.png
var staticFS embed.FS

// article is one story of the site.
type article struct {
	Slug      string    `json:"slug"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Body      string    `json:"body"`           // plain text, paragraphs separated by blank lines (see body.go)
	Tags      []string  `json:"tags,omitempty"` // hashtags from the form's field, without '#'
	Author    string    `json:"author"`
	Desk      string    `json:"desk,omitempty"` // the desk's slug (authors.go), "" for none
	Published time.Time `json:"published"`
	// Mode is how the story is shown on the fediverse: "note" (a short post with a link) or
	// "article" (the full text); empty is the site's default.
	Mode string `json:"mode,omitempty"`
}

// Path is the article's address on the site.
func (a article) Path() string { return "/articles/" + a.Slug }

// HTML renders the body's paragraphs with their links and hashtags (see bodyHTML).
func (a article) HTML() template.HTML { return bodyHTML(a.Body, "") }

// followBox is what templates/follow.html shows: whom to follow (Name, "" for the newsroom)
// and their handle.
type followBox struct{ Name, Handle string }

// siteConfig is what the site needs to run.
type siteConfig struct {
	Name           string
	Tagline        string
	DataFile       string // where articles are kept
	EditorPassword string // the managing editor's, who signs in as "editor" or with the password alone
	Staff          []login
	Logger         *slog.Logger
}

// site is the newsroom's own web application.
type site struct {
	cfg    siteConfig
	tmpl   *template.Template
	mux    *http.ServeMux
	secret []byte  // signs the editor's session cookie
	logins []login // the managing editor, then cfg.Staff
	// signIn, if not nil, returns the context of a request by the signed-in user.
	signIn    func(ctx context.Context, user string) context.Context
	onPublish func(ctx context.Context, a article) error
	// onEdit and onDelete are told about an edited or deleted article after the site saved it.
	onEdit, onDelete func(ctx context.Context, a article) error
	// head returns extra tags for a page's <head>: a is the article shown, nil on other pages.
	head func(a *article) template.HTML
	// comments returns the fediverse replies and counts an article page shows; nil shows none.
	comments func(ctx context.Context, a article) comments
	// inbox returns a page of the posts that mention or address one of the site's actors, for
	// the editors' Inbox page (inbox.go); nil serves no inbox.
	inbox func(ctx context.Context, actor, cursor string) (inboxPage, error)
	// handle returns the fediverse handle of the newsroom (au nil) or of a writer, shown for
	// readers to follow (templates/follow.html); nil shows none.
	handle func(au *author) string
	// answers sends the editors' answers to fediverse posts (answers.go); nil offers none.
	answers answerer
	// delivery reports how an article's federation went, for the editor; nil shows nothing.
	delivery func(ctx context.Context, a article) *deliveryReport

	mu       sync.RWMutex
	articles []article // newest first
}

func newSite(cfg siteConfig) (*site, error) {
	if cfg.EditorPassword == "" {
		return nil, errors.New("newsroom: an editor password is required")
	}
	tmpl, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("newsroom: templates: %w", err)
	}
	s := &site{cfg: cfg, tmpl: tmpl, secret: make([]byte, 32),
		logins: append([]login{{User: managingEditor, Password: cfg.EditorPassword, Managing: true}}, cfg.Staff...)}
	rand.Read(s.secret)
	if err := s.load(); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.serveFront)
	s.mux.HandleFunc("GET /articles/{slug}", s.serveArticle)
	s.mux.HandleFunc("GET /authors/{slug}", s.serveAuthor)
	s.mux.HandleFunc("GET /tags/{tag}", s.serveTag)
	s.mux.Handle("GET /static/", http.FileServerFS(staticFS))
	s.mux.HandleFunc("GET /login", s.serveLoginForm)
	s.mux.HandleFunc("POST /login", s.serveLogin)
	s.mux.HandleFunc("POST /logout", s.serveLogout)
	s.mux.HandleFunc("GET /publish", s.requireEditor(s.servePublishForm))
	s.mux.HandleFunc("POST /publish", s.requireEditor(s.servePublish))
	s.mux.HandleFunc("POST /articles/{slug}/edit", s.requireEditor(s.serveEdit))
	s.mux.HandleFunc("GET /articles/{slug}/delete", s.requireEditor(s.serveDeleteForm))
	s.mux.HandleFunc("POST /articles/{slug}/delete", s.requireEditor(s.serveDelete))
	s.mux.HandleFunc("GET /inbox", s.requireEditor(s.serveInbox))
	s.mux.HandleFunc("POST /answers", s.requireEditor(s.serveAnswer))
	return s, nil
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// load reads the articles, seeding the file with sample stories on first run.
func (s *site) load() error {
	data, err := os.ReadFile(s.cfg.DataFile)
	if errors.Is(err, os.ErrNotExist) {
		s.articles = sampleArticles()
		return s.save()
	}
	if err != nil {
		return fmt.Errorf("newsroom: read articles: %w", err)
	}
	if err := json.Unmarshal(data, &s.articles); err != nil {
		return fmt.Errorf("newsroom: read articles %s: %w", s.cfg.DataFile, err)
	}
	return nil
}

// save writes the articles atomically: a temporary file renamed over the old one.
func (s *site) save() error {
	data, err := json.MarshalIndent(s.articles, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.cfg.DataFile), ".articles-*")
	if err != nil {
		return fmt.Errorf("newsroom: save articles: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("newsroom: save articles: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("newsroom: save articles: %w", err)
	}
	return os.Rename(tmp.Name(), s.cfg.DataFile)
}

func (s *site) render(w http.ResponseWriter, status int, name string, data map[string]any) {
	data["Site"] = s.cfg
	if s.head != nil {
		a, _ := data["Article"].(article)
		if a.Slug != "" {
			data["Head"] = s.head(&a)
		} else {
			data["Head"] = s.head(nil)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Logger.Error("newsroom: render", "template", name, "err", err)
	}
}

// notFound answers 404 with the site's not-found page.
func (s *site) notFound(w http.ResponseWriter) {
	s.render(w, http.StatusNotFound, "notfound.html", map[string]any{})
}

// fail logs err as what failed, with args, and answers 500 with msg.
func (s *site) fail(w http.ResponseWriter, msg, what string, err error, args ...any) {
	s.cfg.Logger.Error("newsroom: "+what, append(args, "err", err)...)
	http.Error(w, msg, http.StatusInternalServerError)
}

func (s *site) serveFront(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	list := slices.Clone(s.articles)
	s.mu.RUnlock()
	data := map[string]any{"Articles": list, "Editor": s.isEditor(r)}
	if s.handle != nil {
		data["Follow"] = followBox{Handle: s.handle(nil)}
	}
	s.render(w, http.StatusOK, "front.html", data)
}

func (s *site) serveArticle(w http.ResponseWriter, r *http.Request) {
	a, ok := s.find(r.PathValue("slug"))
	if !ok {
		s.notFound(w)
		return
	}
	data := map[string]any{"Article": a, "Title": a.Title, "Editor": s.isEditor(r)}
	if au, ok := authorOf(a); ok {
		data["Byline"] = au
	}
	if s.comments != nil {
		data["Comments"] = s.comments(r.Context(), a)
	}
	if s.delivery != nil && data["Editor"] == true {
		data["Delivery"] = s.delivery(r.Context(), a)
	}
	s.render(w, http.StatusOK, "article.html", data)
}

func (s *site) find(slug string) (article, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := slices.IndexFunc(s.articles, func(a article) bool { return a.Slug == slug })
	if i < 0 {
		return article{}, false
	}
	return s.articles[i], true
}

// The editor's session is a cookie holding the login, an expiry and their HMAC under a
// per-process secret.
const sessionCookie = "newsroom_editor"

// managingEditor is the managing editor's login.
const managingEditor = "editor"

// sessionValue returns the cookie value for a login and an expiry given in Unix seconds.
func (s *site) sessionValue(user, exp string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(user + "\x00" + exp))
	return user + "." + exp + "." + hex.EncodeToString(m.Sum(nil))
}

// loginByUser returns the login named user.
func (s *site) loginByUser(user string) (login, bool) {
	i := slices.IndexFunc(s.logins, func(l login) bool { return l.User == user })
	if i < 0 {
		return login{}, false
	}
	return s.logins[i], true
}

// signedIn returns the login of the request's session.
func (s *site) signedIn(r *http.Request) (login, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return login{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(c.Value), []byte(s.sessionValue(parts[0], parts[1]))) {
		return login{}, false
	}
	var unix int64
	if _, err := fmt.Sscan(parts[1], &unix); err != nil || !time.Now().Before(time.Unix(unix, 0)) {
		return login{}, false
	}
	return s.loginByUser(parts[0])
}

func (s *site) isEditor(r *http.Request) bool {
	_, ok := s.signedIn(r)
	return ok
}

// loginKey is the context key of the signed-in login; see requireEditor.
type loginKey struct{}

// requireEditor serves h only to a signed-in member of staff, with their login in the request's
// context (see loginOf) and passed to signIn.
func (s *site) requireEditor(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := s.signedIn(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "log in as an editor first", http.StatusUnauthorized)
			return
		}
		ctx := context.WithValue(r.Context(), loginKey{}, l)
		if s.signIn != nil {
			ctx = s.signIn(ctx, l.User)
		}
		h(w, r.WithContext(ctx))
	}
}

// editor reports which member of staff is signed in, for the operator pages; ok is false for
// nobody.
func (s *site) editor(r *http.Request) (user string, ok bool) {
	l, ok := s.signedIn(r)
	return l.User, ok
}

// handleEditor serves h, which knows nothing of the prefix, under prefix ("/admin/x" serves
// "/admin/x/…") for the editor; anyone else is sent to the login.
func (s *site) handleEditor(prefix string, h http.Handler) {
	s.mux.Handle(prefix+"/", s.requireEditor(http.StripPrefix(prefix, h).ServeHTTP))
}

// loginOf returns the login requireEditor put in ctx.
func loginOf(ctx context.Context) login {
	l, _ := ctx.Value(loginKey{}).(login)
	return l
}

func (s *site) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login.html", map[string]any{})
}

func (s *site) serveLogin(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" {
		user = managingEditor
	}
	l, ok := s.loginByUser(user)
	if !ok || subtle.ConstantTimeCompare([]byte(r.PostFormValue("password")), []byte(l.Password)) != 1 {
		s.render(w, http.StatusUnauthorized, "login.html", map[string]any{"Error": "Wrong login or password."})
		return
	}
	expires := time.Now().Add(12 * time.Hour)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.sessionValue(l.User, fmt.Sprint(expires.Unix())), Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/publish", http.StatusSeeOther)
}

func (s *site) serveLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *site) servePublishForm(w http.ResponseWriter, r *http.Request) {
	s.publishForm(w, http.StatusOK, map[string]any{})
}

// publishForm shows the publish form, with data's error and earlier input.
func (s *site) publishForm(w http.ResponseWriter, status int, data map[string]any) {
	data["Desks"] = desks()
	s.render(w, status, "publish.html", data)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func (s *site) servePublish(w http.ResponseWriter, r *http.Request) {
	tags, tagErr := parseTags(r.PostFormValue("tags"))
	a := article{
		Tags:      tags,
		Title:     strings.TrimSpace(r.PostFormValue("title")),
		Summary:   strings.TrimSpace(r.PostFormValue("summary")),
		Body:      strings.TrimSpace(r.PostFormValue("body")),
		Author:    strings.TrimSpace(r.PostFormValue("author")),
		Desk:      r.PostFormValue("desk"),
		Published: time.Now().UTC().Truncate(time.Second),
	}
	if m := r.PostFormValue("mode"); m == "note" || m == "article" {
		a.Mode = m
	}
	if a.Title == "" || a.Body == "" {
		s.publishForm(w, http.StatusBadRequest, map[string]any{"Error": "A title and a body are required.", "Form": a})
		return
	}
	if l := loginOf(r.Context()); !l.mayAct(owner(a)) {
		s.publishForm(w, http.StatusForbidden, map[string]any{"Form": a,
			"Error": fmt.Sprintf("%s may not publish as %s: choose your own byline or your desk.", l.User, ownerName(owner(a)))})
		return
	}
	if tagErr != nil {
		a.Tags = nil
		s.publishForm(w, http.StatusBadRequest, map[string]any{"Error": tagErr.Error(), "Form": a, "TagsField": r.PostFormValue("tags")})
		return
	}
	a.Slug = a.Published.Format("2006-01-02") + "-" + strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(a.Title), "-"), "-")
	s.mu.Lock()
	if slices.ContainsFunc(s.articles, func(b article) bool { return b.Slug == a.Slug }) {
		s.mu.Unlock()
		s.publishForm(w, http.StatusConflict, map[string]any{"Error": "An article with this title was published today.", "Form": a})
		return
	}
	s.articles = slices.Insert(s.articles, 0, a)
	err := s.save()
	if err != nil {
		s.articles = s.articles[1:]
	}
	s.mu.Unlock()
	if err != nil {
		s.fail(w, "could not save the article", "publish", err)
		return
	}
	if s.onPublish != nil {
		if err := s.onPublish(r.Context(), a); err != nil {
			// The article is on the site; federation can be retried by an operator.
			s.cfg.Logger.Error("newsroom: federate", "article", a.Slug, "err", err)
		}
	}
	http.Redirect(w, r, a.Path(), http.StatusSeeOther)
}

// serveEdit replaces an article's title, summary, body and tags (a field left empty keeps its
// text); its slug, address and publication date stay.
func (s *site) serveEdit(w http.ResponseWriter, r *http.Request) {
	tags, err := parseTags(r.PostFormValue("tags"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.change(w, r, s.onEdit, func(a *article) bool {
		if tags != nil {
			a.Tags = tags
		}
		for _, f := range []struct {
			field string
			p     *string
		}{{"title", &a.Title}, {"summary", &a.Summary}, {"body", &a.Body}} {
			if v := strings.TrimSpace(r.PostFormValue(f.field)); v != "" {
				*f.p = v
			}
		}
		return true
	})
}

// serveDeleteForm asks the editor to confirm a deletion.
func (s *site) serveDeleteForm(w http.ResponseWriter, r *http.Request) {
	a, ok := s.find(r.PathValue("slug"))
	if !ok {
		s.notFound(w)
		return
	}
	s.render(w, http.StatusOK, "confirm.html", map[string]any{"Article": a, "Title": "Delete " + a.Title})
}

// serveDelete removes an article from the site once confirmed (confirm=yes, sent by the
// confirmation page); its page is then not found. Without the confirmation it shows that page.
func (s *site) serveDelete(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, "/articles/"+r.PathValue("slug")+"/delete", http.StatusSeeOther)
		return
	}
	s.change(w, r, s.onDelete, func(*article) bool { return false })
}

// change applies edit to the article named in the path (keeping it when edit returns true,
// removing it otherwise), saves, tells hook and redirects to the article or the front page.
func (s *site) change(w http.ResponseWriter, r *http.Request, hook func(context.Context, article) error, edit func(*article) bool) {
	s.mu.Lock()
	i := slices.IndexFunc(s.articles, func(a article) bool { return a.Slug == r.PathValue("slug") })
	if i < 0 {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	a := s.articles[i]
	if l := loginOf(r.Context()); !l.mayAct(owner(a)) {
		s.mu.Unlock()
		http.Error(w, fmt.Sprintf("%s may not change the stories of %s", l.User, ownerName(owner(a))), http.StatusForbidden)
		return
	}
	old := slices.Clone(s.articles)
	keep := edit(&a)
	if keep {
		s.articles[i] = a
	} else {
		s.articles = slices.Delete(s.articles, i, i+1)
	}
	err := s.save()
	if err != nil {
		s.articles = old
	}
	s.mu.Unlock()
	if err != nil {
		s.fail(w, "could not save the article", "save", err)
		return
	}
	if hook != nil {
		if err := hook(r.Context(), a); err != nil {
			// Articles published before federation was set up were never federated: nothing to send.
			s.cfg.Logger.Error("newsroom: federate", "article", a.Slug, "err", err)
		}
	}
	to := "/"
	if keep {
		to = a.Path()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func sampleArticles() []article {
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	return []article{
		{Slug: "2026-11-20-council-approves-river-path", Title: "Council approves the river path",
			Summary: "The long-debated cycle and footpath along the river will be built next spring.",
			Body: "After three years of consultation the city council voted 31 to 9 on Thursday to fund the #RiverPath.\n\n" +
				"Construction starts in March and should take eight months. The plans are at https://riverside.example/river-path.",
			Author: "Dana Ortiz", Published: day, Tags: []string{"Riverside"}},
		{Slug: "2026-11-19-library-extends-hours", Title: "Central library extends its opening hours",
			Summary: "From December the library stays open until 10 pm on weekdays.",
			Body:    "The central library will open longer from 1 December, the city announced.\n\nThe change is funded by a two-year grant.",
			Author:  "Sam Lee", Published: day.Add(-24 * time.Hour)},
		{Slug: "2026-11-18-ferry-timetable", Title: "Winter ferry timetable starts on Monday",
			Summary: "Boats run every forty minutes until March.",
			Body:    "The river ferry switches to its winter timetable on Monday, with a boat every forty minutes from 7 am to 9 pm.\n\nSee [the timetable](https://riverside.example/ferry) for all stops. #Riverside",
			Author:  "Staff", Published: day.Add(-48 * time.Hour)},
	}
}
