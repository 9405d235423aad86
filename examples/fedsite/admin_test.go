package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestAdminAddr serves the operator pages on a loopback port of their own, as -admin-addr does:
// without the operator's credentials, or with wrong ones, the answer is a 401 challenge; with
// them, the overview lists the configured actors. A short password is refused at start, and
// without the address nothing is served.
func TestAdminAddr(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	fs := newFeedSite(t)
	c := testConfig(fs.srv.URL, t.TempDir())
	c.Actors = []actorConfig{{Handle: "sports", Name: "Sports desk"}}
	sc := mustSidecar(t, c, log, nil)
	t.Cleanup(func() { sc.close() })
	if a, err := startAdmin(c, sc.fed, sc.actors, log); a != nil || err != nil {
		t.Fatalf("startAdmin without an address = %v, %v; want nothing", a, err)
	}

	short := c
	short.AdminAddr, short.AdminPassword = "127.0.0.1:0", "too-short"
	if err := short.check(); err == nil || !strings.Contains(err.Error(), "admin_password") {
		t.Errorf("check with a %d-character password: %v, want it refused", len(short.AdminPassword), err)
	}

	c.AdminAddr, c.AdminPassword = "127.0.0.1:0", "correct horse battery staple"
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	a, err := startAdmin(c, sc.fed, sc.actors, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)

	for _, tt := range []struct {
		name, user, password string
		want                 int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "admin", "correct horse battery stapler", http.StatusUnauthorized},
		{"wrong user", "root", "correct horse battery staple", http.StatusUnauthorized},
		{"operator", "admin", "correct horse battery staple", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("GET %s: %d, want %d:\n%s", a.url, resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a basic challenge", resp.Header.Get("WWW-Authenticate"))
			}
			if tt.want == http.StatusOK {
				for _, want := range []string{"news", "sports"} {
					if !strings.Contains(string(body), want) {
						t.Errorf("overview does not name actor %q:\n%s", want, body)
					}
				}
			}
		})
	}
}
