package operator_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestModerateReply hides bob's reply, shows it again, blocks bob and deletes the reply, through
// the article page's forms, checking the page after each.
func TestModerateReply(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t, "editor")
	page := "article?url=" + url.QueryEscape(articleURL)
	const reply = "Finally, a path by the river!"
	replyID := func() string {
		t.Helper()
		_, body := b.get(page)
		m := idRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no reply form in %s", body)
		}
		return m[1]
	}
	id := replyID()
	steps := []struct {
		action string
		status int
		want   []string // on the article page after the step
		not    []string
	}{
		{"hide", http.StatusSeeOther, []string{"0 replies,", "<h3>Hidden replies</h3>", reply, `value="show"`}, []string{`value="hide"`}},
		{"hide", http.StatusNotFound, nil, nil},
		{"show", http.StatusSeeOther, []string{"1 replies,", reply, `value="hide"`}, []string{`value="show"`}},
		{"block", http.StatusSeeOther, []string{reply}, nil},
		{"delete", http.StatusSeeOther, []string{"0 replies,"}, []string{reply}},
		{"delete", http.StatusNotFound, nil, nil},
		{"nonsense", http.StatusBadRequest, nil, nil},
	}
	token := b.token(page)
	for i, st := range steps {
		form := url.Values{"token": {token}, "url": {articleURL}, "id": {id}, "author": {fx.bob.ID()}, "action": {st.action}}
		resp, body := b.post("article", form, nil)
		if resp.StatusCode != st.status {
			t.Fatalf("step %d (%s): status %d, want %d; %s", i, st.action, resp.StatusCode, st.status, body)
		}
		_, body = b.get(page)
		for _, w := range st.want {
			if !strings.Contains(body, w) {
				t.Errorf("step %d (%s): %q missing from %s", i, st.action, w, body)
			}
		}
		for _, n := range st.not {
			if strings.Contains(body, n) {
				t.Errorf("step %d (%s): %q still on the page", i, st.action, n)
			}
		}
	}
	if !blocked(t, fx, fx.bob.ID()) {
		t.Error("bob is not blocked")
	}
}
