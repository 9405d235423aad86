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

// TestArticleComments has a fediverse account reply to, like, boost and react to an article, then
// undo the like and the reaction and delete the reply; the article page follows each step.
func TestArticleComments(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	articleURL := a.publish(t, a.editor(t), "Library extends its hours", "Open until nine from June.")
	carol, ctx := rec.NewAccount("carol"), t.Context()
	var reply, like, reaction *vocab.Object
	steps := []struct {
		name     string
		do       func() (err error)
		want     []string
		dontWant []string
	}{
		{"no reactions", nil, []string{"0 likes", "0 boosts", "No fediverse replies yet."}, nil},
		{"reply", func() (err error) {
			reply, err = carol.Reply(ctx, articleURL, `<p>Good <img src=x onerror=alert(1)>news</p>`)
			return err
		}, []string{"<p>Good news</p>", `href="` + carol.ID() + `/notes/`}, []string{"onerror", "No fediverse replies yet."}},
		{"like", func() (err error) { like, err = carol.Like(ctx, articleURL); return err }, []string{"1 likes", "0 boosts"}, nil},
		{"boost", func() error { _, err := carol.Announce(ctx, articleURL); return err }, []string{"1 likes", "1 boosts"}, nil},
		{"undo like", func() error { _, err := carol.Undo(ctx, like); return err }, []string{"0 likes", "1 boosts"}, nil},
		{"emoji reaction", func() (err error) { reaction, err = carol.EmojiReact(ctx, articleURL, "🎉"); return err },
			[]string{`<span class="emoji">🎉</span> <span class="n">1</span>`, "0 likes"}, nil},
		{"undo emoji reaction", func() error { _, err := carol.Undo(ctx, reaction); return err }, nil, []string{"🎉"}},
		{"delete reply", func() error { _, err := carol.Delete(ctx, reply.Object.ID()); return err },
			[]string{"No fediverse replies yet."}, []string{"Good news"}},
	}
	for _, st := range steps {
		if st.do != nil {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
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
