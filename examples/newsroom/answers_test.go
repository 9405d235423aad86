package main

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// answerID finds the id of the newsroom's answer in an editor's article page.
var answerID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// TestEditorAnswers has a reader reply to an article and write @news a direct message; the editor
// answers the reply from the article page and the message from the Inbox page, then edits and
// deletes the first answer. Readers see the answer among the comments, the reader's server gets
// each activity, the direct answer reaches the reader alone, and only the editor may answer.
func TestEditorAnswers(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	editor := a.editor(t)
	articleURL := a.publish(t, editor, "Library extends its hours", "Open until nine from June.")
	path := strings.TrimPrefix(articleURL, a.base)
	bob := rec.NewAccount("bob@follow.example")
	ctx := t.Context()
	if _, err := bob.Follow(ctx, a.base+"/ap/users/news"); err != nil {
		t.Fatal(err)
	}
	carol := rec.NewAccount("carol")
	reply, err := carol.Reply(ctx, articleURL, "<p>On Sundays too?</p>")
	if err != nil {
		t.Fatal(err)
	}
	dm, err := carol.DM(ctx, a.base+"/ap/users/news", "<p>A tip for you</p>")
	if err != nil {
		t.Fatal(err)
	}
	if page := a.page(t, articleURL); strings.Contains(page, "Answer as the newsroom") {
		t.Errorf("a reader's article page offers to answer")
	}
	if page := a.editorPage(t, editor, articleURL); !strings.Contains(page, `name="inReplyTo" value="`+reply.Object.ID()+`"`) {
		t.Fatalf("the editor's article page has no answer form for the reply:\n%s", page)
	}
	answer := func(c *http.Client, form url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(a.base+"/answers", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := answer(http.DefaultClient, url.Values{"inReplyTo": {reply.Object.ID()}, "content": {"No."}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous answer: status %d, want 401", resp.StatusCode)
	}
	resp := answer(editor, url.Values{"inReplyTo": {reply.Object.ID()}, "content": {"Yes, on Sundays too."}, "back": {path}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != path {
		t.Fatalf("answer from the article page: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if page := a.page(t, articleURL); !strings.Contains(page, "The Riverside Courier") || !strings.Contains(page, "Yes, on Sundays too.") {
		t.Errorf("the article page does not show the newsroom's answer:\n%s", page)
	}
	m := answerID.FindStringSubmatch(a.editorPage(t, editor, articleURL))
	if m == nil {
		t.Fatal("the editor's article page has no form for the answer")
	}
	id := m[1]
	create := activitypubtest.Created(t, rec, id)
	if create.InReplyTo.ID() != reply.Object.ID() {
		t.Errorf("answer in reply to %s, want %s", create.InReplyTo.ID(), reply.Object.ID())
	}

	if code, _, body := a.get(t, editor, a.base+"/inbox"); code != http.StatusOK || !strings.Contains(body, `name="inReplyTo" value="`+dm.Object.ID()+`"`) {
		t.Fatalf("the Inbox page has no answer form for the message: %d\n%s", code, body)
	}
	resp = answer(editor, url.Values{"actor": {"news"}, "inReplyTo": {dm.Object.ID()}, "content": {"Thanks, we will look."}, "back": {"//evil.example/"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != strings.TrimPrefix(a.base, "http://") || resp.Request.URL.Path != "/" {
		t.Errorf("answer with a back elsewhere: status %d at %s, want the front page", resp.StatusCode, resp.Request.URL)
	}
	if err := rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Sent() {
		if d.Type == "Create" && d.Object != nil && d.Object.InReplyTo.ID() == dm.Object.ID() {
			if d.Inbox != carol.SharedInbox() || !slices.Equal(d.Object.To.IDs(), []string{carol.ID()}) || d.Object.Cc.HasPublic() {
				t.Errorf("the direct answer went to %s, to %v cc %v", d.Inbox, d.Object.To.IDs(), d.Object.Cc.IDs())
			}
		}
	}

	resp = answer(editor, url.Values{"id": {id}, "content": {"Yes, from noon on Sundays."}, "back": {path}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: status %d", resp.StatusCode)
	}
	if u := activitypubtest.Delivered(t, rec, "Update", id); !strings.Contains(u.Object.Content, "from noon") {
		t.Errorf("Update carries %q", u.Object.Content)
	}
	resp = answer(editor, url.Values{"id": {id}, "delete": {"yes"}, "back": {path}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	activitypubtest.Delivered(t, rec, "Delete", id)
	if page := a.page(t, articleURL); strings.Contains(page, "from noon") || !strings.Contains(page, "On Sundays too?") {
		t.Errorf("after the delete the article page is:\n%s", page)
	}
	if resp := answer(editor, url.Values{"inReplyTo": {a.base + "/nothing"}, "content": {"Hi"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("answer to an unknown post: status %d, want 404", resp.StatusCode)
	}
	if resp := answer(editor, url.Values{"inReplyTo": {reply.Object.ID()}, "content": {" "}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty answer: status %d, want 400", resp.StatusCode)
	}
}
