package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLookup: lookup finds an actor by handle through WebFinger, or an object by URL, fetches it
// signed by the site's instance actor and prints it.
func TestLookup(t *testing.T) {
	var mu sync.Mutex
	var signatures []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/webfinger" {
			w.Header().Set("Content-Type", "application/jrd+json")
			json.NewEncoder(w).Encode(map[string]any{"subject": r.URL.Query().Get("resource"),
				"links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": srv.URL + "/users/alice"}}})
			return
		}
		mu.Lock()
		signatures = append(signatures, r.Header.Get("Signature"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": srv.URL + r.URL.Path, "type": "Person", "preferredUsername": "alice", "inbox": srv.URL + "/inbox"})
	}))
	defer srv.Close()
	dir := t.TempDir()
	base := "http://127.0.0.1:9" // the site, which the remote would fetch the key from
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, arg := range []string{"@alice@" + host, srv.URL + "/users/alice"} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), []string{"lookup", "-base-url", base, "-data", dir, arg}, &stdout, &stderr); err != nil {
			t.Fatalf("lookup %s: %v\n%s", arg, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), `"preferredUsername": "alice"`) {
			t.Errorf("lookup %s printed %s", arg, stdout.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, sig := range signatures {
		if !strings.Contains(sig, `keyId="`+base+"/ap/actor") {
			t.Errorf("Signature %q, want one by the instance actor at %s", sig, base)
		}
	}
	if len(signatures) != 2 {
		t.Errorf("%d fetches, want 2", len(signatures))
	}
}

// TestCommandLine: -version, -h, no feed nor webhook, no base URL, an unknown command, an https-less public base.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{[]string{"-version"}, "", "fedsite "},
		{[]string{"-h"}, "", "fedsite serve -feed URL -base-url URL"},
		{[]string{"serve", "-h"}, "flag: help requested", "-max-feed-bytes"},
		{[]string{"lookup", "-h"}, "flag: help requested", "@user@host | URL"},
		{[]string{"serve", "-base-url", "https://example.com"}, "nothing to federate: give -feed", ""},
		{[]string{"serve", "-feed", "https://example.com/feed.xml"}, "-base-url is required", ""},
		{[]string{"serve", "-feed", "http://x.example/f", "-base-url", "http://example.com", "-data", t.TempDir()}, "plain http only on loopback", ""},
		{[]string{"serve", "-feed", "http://x.example/f", "-base-url", "https://example.com", "-log-format", "xml"}, "-log-format", ""},
		{[]string{"publish"}, `unknown command "publish"`, ""},
		{nil, "no command", ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tc.args, &stdout, &stderr)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if out := stdout.String() + stderr.String(); !strings.Contains(out, tc.wantOut) {
				t.Errorf("output %q, want %q in it", out, tc.wantOut)
			}
		})
	}
}
