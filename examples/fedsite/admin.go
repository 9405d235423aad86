package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/operator"
)

// minAdminPassword is the shortest admin_password the operator pages accept.
const minAdminPassword = 16

// startAdmin serves the operator pages (package activitypub/operator) of fed at
// http://c.AdminAddr/ on a listener of their own, behind HTTP basic authentication, until close;
// with no address it serves none and returns nil, whose close does nothing.
func startAdmin(c config, fed *activitypub.Federation, actors activitypub.ActorLister, log *slog.Logger) (*sideServer, error) {
	if c.AdminAddr == "" {
		return nil, nil
	}
	auth := basicAuth(c.AdminUser, c.AdminPassword)
	op, err := operator.New(operator.Config{Federation: fed, Actors: actors, User: auth, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("fedsite serve: operator pages: %w", err)
	}
	a, err := serveAside(c.AdminAddr, "-admin-addr", "operator pages", challenge(auth, op), log)
	if err != nil {
		return nil, err
	}
	log.Info("operator pages are served", "url", a.url, "user", c.AdminUser)
	return a, nil
}

// basicAuth is the operator pages' Config.User: the request's basic-auth user when it and the
// password are the configured ones, compared in constant time.
func basicAuth(user, password string) func(r *http.Request) (string, bool) {
	wantUser, wantPassword := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return func(r *http.Request) (string, bool) {
		u, p, ok := r.BasicAuth()
		if !ok {
			return "", false
		}
		gotUser, gotPassword := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if subtle.ConstantTimeCompare(gotUser[:], wantUser[:])&subtle.ConstantTimeCompare(gotPassword[:], wantPassword[:]) != 1 {
			return "", false
		}
		return u, true
	}
}

// challenge asks a browser for the credentials: a request without the right ones is answered
// 401 with a WWW-Authenticate challenge, and one with them goes to next.
func challenge(auth func(r *http.Request) (string, bool), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth(r); !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="fedsite operator", charset="UTF-8"`)
			http.Error(w, "sign in as the operator (admin_user, admin_password)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
