package operator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/fedsite/fedsite/activitypub"
)

// csrfCookie holds the session's random value; csrfField is the form field with its token.
const (
	csrfCookie = "fedsite_operator"
	csrfField  = "token"
)

// csrf makes and checks the forms' tokens: a session's random value lives in a cookie, and its
// forms carry the HMAC of that value and the user's name, so that a token works only with its
// cookie, for its user.
type csrf struct {
	key []byte
}

// token returns the form token of the request's session for user, starting a session (setting
// its cookie) when the request has none.
func (c csrf) token(w http.ResponseWriter, r *http.Request, user string) string {
	session := sessionOf(r)
	if session == "" {
		session = rand.Text()
		// No Path: the cookie's default path is the folder of the page's URL, which is where the
		// site mounted the handler, as every page lies directly under it.
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: session, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	}
	return c.sign(session, user)
}

// valid reports whether the request's form token is its session's for user.
func (c csrf) valid(r *http.Request, user string) bool {
	session := sessionOf(r)
	if session == "" {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(c.sign(session, user)))
}

func (c csrf) sign(session, user string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(session))
	m.Write([]byte{0})
	m.Write([]byte(user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionOf returns the request's session value, "" without one.
func sessionOf(r *http.Request) string {
	ck, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// post wraps a form handler: it refuses with 403, before the handler runs, a request from another
// origin or one without its session's token. The handler's request context carries the
// signed-in user (activitypub.WithUser).
func (h *Handler) post(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h.cross.Check(r); err != nil {
			http.Error(w, "cross-origin form refused", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, "unreadable form", status)
			return
		}
		user, _ := h.cfg.User(r)
		if !h.csrf.valid(r, user) {
			http.Error(w, "the form's token is missing or stale: reload the page and try again", http.StatusForbidden)
			return
		}
		// The Federation's methods see who acts: Config.Authorize asks about them, the audit
		// log names them.
		next(w, r.WithContext(activitypub.WithUser(r.Context(), user)))
	}
}
