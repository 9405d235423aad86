package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// page GETs an HTML page and returns its body.
func (a *app) page(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}

// TestArticleComments has a fake fediverse server reply to, like and boost an article, then undo
// the like and delete the reply; the article page follows each step.
func TestArticleComments(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	articleURL := a.publish(t, a.editor(t), "Library extends its hours", "Open until nine from June.")
	carol := activitypubtest.NewRemote(t, "carol")
	c := carol.ActorID()
	inbox := a.base + "/ap/inbox"
	steps := []struct {
		name     string
		doc      map[string]any
		want     []string
		dontWant []string
	}{
		{"no reactions", nil, []string{"0 likes", "0 boosts", "No fediverse replies yet."}, nil},
		{"reply", map[string]any{"id": c + "/c1", "type": "Create", "object": map[string]any{"id": c + "/n1", "type": "Note",
			"attributedTo": c, "inReplyTo": articleURL, "content": `<p>Good <img src=x onerror=alert(1)>news</p>`}},
			[]string{"<p>Good news</p>", `href="` + c + `/n1"`}, []string{"onerror", "No fediverse replies yet."}},
		{"like", map[string]any{"id": c + "/l1", "type": "Like", "object": articleURL}, []string{"1 likes", "0 boosts"}, nil},
		{"boost", map[string]any{"id": c + "/a1", "type": "Announce", "object": articleURL}, []string{"1 likes", "1 boosts"}, nil},
		{"undo like", map[string]any{"id": c + "/u1", "type": "Undo", "object": c + "/l1"}, []string{"0 likes", "1 boosts"}, nil},
		{"delete reply", map[string]any{"id": c + "/d1", "type": "Delete", "object": c + "/n1"},
			[]string{"No fediverse replies yet."}, []string{"Good news"}},
	}
	for _, st := range steps {
		if st.doc != nil {
			st.doc["@context"], st.doc["actor"] = vocab.ContextActivityStreams, c
			if resp := carol.Post(inbox, st.doc); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("%s: inbox answered %d", st.name, resp.StatusCode)
			}
		}
		page := a.page(t, articleURL)
		for _, w := range st.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page lacks %q", st.name, w)
			}
		}
		for _, w := range st.dontWant {
			if strings.Contains(page, w) {
				t.Errorf("%s: page has %q", st.name, w)
			}
		}
	}
}
