package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// post sends a form as c and checks that it ends, after redirects, at want.
func (a *app) post(t *testing.T, c *http.Client, u string, form url.Values, want string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.String() != want {
		t.Fatalf("POST %s: status %d at %s, want %s", u, resp.StatusCode, resp.Request.URL, want)
	}
}

// as2Status fetches u as AS2 and returns the status and body, whatever the status.
func (a *app) as2Status(t *testing.T, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", vocab.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestEditDelete edits and deletes a federated article through the editor's forms: a follower
// receives the Update with the new text and the Delete, the page is gone and the AS2 URL answers
// 410; anonymous edits and deletes are refused; editing a sample article, never federated, sends
// nothing.
func TestEditDelete(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	if _, err := rec.NewAccount("reader").Follow(t.Context(), a.base+"/ap/users/news"); err != nil {
		t.Fatal(err)
	}
	editor := a.editor(t)
	articleURL := a.publish(t, editor, "Library extends its hours", "The library now opens at eight.")
	activitypubtest.Created(t, rec, articleURL)

	for _, path := range []string{"/edit", "/delete"} {
		resp, err := http.PostForm(articleURL+path, url.Values{"body": {"Vandalised."}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: status %d, want 401", path, resp.StatusCode)
		}
	}

	// A sample article was never federated: editing it changes the page and sends nothing.
	sample := a.base + sampleArticles()[0].Path()
	a.post(t, editor, sample+"/edit", url.Values{"title": {"A corrected headline"}}, sample)
	activitypubtest.NotFederated(t, rec, sample)

	a.post(t, editor, articleURL+"/edit", url.Values{"body": {"The library now opens at seven."}}, articleURL)
	up := activitypubtest.Delivered(t, rec, "Update", articleURL).Object
	if up == nil || up.ID != articleURL || !strings.Contains(up.Content, "opens at seven") || !up.Updated.After(up.Published) {
		t.Fatalf("Update object = %+v", up)
	}
	if got := a.as2(t, articleURL); !strings.Contains(got.Content, "opens at seven") {
		t.Errorf("article served after the edit: %q", got.Content)
	}

	a.post(t, editor, articleURL+"/delete", url.Values{"confirm": {"yes"}}, a.base+"/")
	if del := activitypubtest.Delivered(t, rec, "Delete", articleURL); del.Object == nil || !del.Object.Type.Has("Tombstone") {
		t.Fatalf("Delete object = %+v", del.Activity.Object)
	}
	if code, body := a.as2Status(t, articleURL); code != http.StatusGone || !strings.Contains(body, "Tombstone") {
		t.Errorf("GET deleted article as AS2: %d %s", code, body)
	}
	resp, err := http.Get(articleURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET deleted article page: %d, want 404", resp.StatusCode)
	}
}
