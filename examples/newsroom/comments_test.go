package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
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
		{"no reactions", nil, []string{"0 likes", "0 boosts", "0 quotes", "No fediverse replies yet."}, []string{"Quoted in"}},
		{"reply", func() (err error) {
			reply, err = carol.Reply(ctx, articleURL, `<p>Good <img src=x onerror=alert(1)>news</p>`)
			return err
		}, []string{"<p>Good news</p>", `href="` + carol.ID() + `/notes/`}, []string{"onerror", "No fediverse replies yet."}},
		{"like", func() (err error) { like, err = carol.Like(ctx, articleURL); return err }, []string{"1 likes", "0 boosts"}, nil},
		{"boost", func() error { _, err := carol.Announce(ctx, articleURL); return err }, []string{"1 likes", "1 boosts"}, nil},
		{"undo like", func() error { _, err := carol.Undo(ctx, like); return err }, []string{"0 likes", "1 boosts"}, nil},
		{"quote", func() error {
			// A quote in Misskey's dialect, which knows no authorization.
			_, err := carol.Send(ctx, a.base+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Create"},
				Object: vocab.Ref{Object: &vocab.Object{ID: carol.ID() + "/notes/quote", Type: vocab.Types{"Note"},
					AttributedTo: vocab.Refs{{IRI: carol.ID()}}, To: vocab.Refs{{IRI: vocab.PublicIRI}},
					Content: "<p>Read this one</p>",
					Extra:   map[string]json.RawMessage{"_misskey_quote": json.RawMessage(`"` + articleURL + `"`)}}}})
			return err
		}, []string{"1 quotes", "<h3>Quoted in</h3>", "<p>Read this one</p>", `href="` + carol.ID() + `/notes/quote"`}, nil},
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

// TestThreaded checks the order and depth of comments shown as a thread.
func TestThreaded(t *testing.T) {
	const article = "https://news.example/articles/a"
	c := func(id, parent string) comment { return comment{ID: id, Parent: parent} }
	tests := []struct {
		name string
		in   []comment
		want []string // "id depth"
	}{
		{"flat", []comment{c("a", article), c("b", article)}, []string{"a 0", "b 0"}},
		{"answers follow their parent", []comment{c("a", article), c("b", article), c("a1", "a"), c("a1x", "a1"), c("b1", "b"), c("a2", "a")},
			[]string{"a 0", "a1 1", "a1x 2", "a2 1", "b 0", "b1 1"}},
		{"parent beyond the page", []comment{c("x1", "https://remote.example/notes/x"), c("x2", "x1")}, []string{"x1 0", "x2 1"}},
		{"deeper than shown", []comment{c("1", article), c("2", "1"), c("3", "2"), c("4", "3"), c("5", "4"), c("6", "5"), c("7", "6")},
			[]string{"1 0", "2 1", "3 2", "4 3", "5 4", "6 5", "7 5"}},
		{"a loop of parents", []comment{c("p", "q"), c("q", "p")}, []string{"p 0", "q 1"}},
	}
	for _, tt := range tests {
		var got []string
		for _, cm := range threaded(tt.in) {
			got = append(got, fmt.Sprintf("%s %d", cm.ID, cm.Depth))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: threaded = %q, want %q", tt.name, got, tt.want)
		}
	}
}
