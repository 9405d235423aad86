package activitypub_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// TestFetch: Fetch returns a remote document as served, asked for as AS2 and signed by the
// instance actor; a wrong id, a non-AS2 answer, an error status and a blocked server are refused.
func TestFetch(t *testing.T) {
	s := newTestSite(t)
	ctx := t.Context()
	var keyIDs []string
	srv, _ := probe(t, func(w http.ResponseWriter, r *http.Request) {
		keyIDs = append(keyIDs, r.Header.Get("Signature"))
		ct, id := vocab.MediaType, "http://"+r.Host+r.URL.Path
		switch r.URL.Path {
		case "/html":
			ct = "text/html"
		case "/other":
			id = "http://" + r.Host + "/elsewhere"
		case "/gone":
			http.Error(w, "gone", http.StatusGone)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), vocab.MediaType) {
			http.Error(w, "not AS2", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Write(mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": id, "type": "Note", "content": "hi"}))
	})
	body, err := s.fed.Fetch(ctx, srv.URL+"/notes/1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"content":"hi"`) {
		t.Errorf("body = %s", body)
	}
	if len(keyIDs) != 1 || !strings.Contains(keyIDs[0], `keyId="`+s.fed.InstanceActorID()) {
		t.Errorf("Signature headers = %q, want one signed by %s", keyIDs, s.fed.InstanceActorID())
	}
	for _, path := range []string{"/html", "/other", "/gone"} {
		if _, err := s.fed.Fetch(ctx, srv.URL+path); err == nil {
			t.Errorf("Fetch %s: no error", path)
		}
	}
	if _, err := s.fed.Fetch(ctx, "ftp://x.example/y"); !errors.As(err, new(*activitypub.InvalidError)) {
		t.Errorf("Fetch of an ftp URL: %v, want an *InvalidError", err)
	}
	if err := s.fed.BlockDomain(ctx, "localhost", "test"); err != nil {
		t.Fatal(err)
	}
	n := len(keyIDs)
	if _, err := s.fed.Fetch(ctx, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/notes/1"); !errors.Is(err, activitypub.ErrBlocked) {
		t.Errorf("Fetch from a blocked server: %v, want ErrBlocked", err)
	}
	if len(keyIDs) != n {
		t.Error("the blocked server was asked")
	}
}
