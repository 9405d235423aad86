package operator_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/delivery"
)

// TestRetryHost checks that the hosts page shows a host whose delivery failed, with its waiting
// delivery and the error, and that "Retry now" sends that delivery at once.
func TestRetryHost(t *testing.T) {
	// A failed delivery waits an hour: only Retry now sends it within the test's wait.
	fx := newFixtureWith(t, func(c *activitypub.Config) { c.Delivery.Retry = delivery.Backoff{Base: time.Hour} })
	ctx := t.Context()
	dave := fx.rec.NewAccount("dave@down.example")
	if _, err := dave.Follow(ctx, fx.fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	if err := fx.rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	fx.rec.Respond(dave.SharedInbox(), http.StatusServiceUnavailable)
	const second = activitypubtest.BaseURL + "/articles/ferry"
	if err := fx.fed.Publish(ctx, "news", activitypub.Article{URL: second, Title: "Ferry", Content: "<p>Late.</p>"}); err != nil {
		t.Fatal(err)
	}
	if err := fx.rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	b := fx.browser(t, "editor")
	status, body := b.get("hosts")
	for _, want := range []string{`<th scope="row">down.example</th>`, `<td class="n">1</td>`, "answered 503",
		`aria-label="Retry down.example now"`} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("hosts page: status %d, want %q in %s", status, want, body)
		}
	}
	fx.rec.Respond(dave.SharedInbox(), 0)
	form := url.Values{"token": {b.token("hosts")}, "host": {"down.example"}}
	if resp, body := b.post("hosts", form, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry now: status %d, want 303; %s", resp.StatusCode, body)
	}
	if _, err := fx.rec.WaitFor(ctx, func(d activitypubtest.Delivery) bool {
		return d.Inbox == dave.SharedInbox() && d.Status == http.StatusAccepted && activitypubtest.About("Create", second)(d)
	}); err != nil {
		t.Fatal(err)
	}
	if err := fx.rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get("hosts"); !strings.Contains(body, "Every server answers.") {
		t.Errorf("hosts page after the retry: %s", body)
	}
}

// idRE finds the id a form names: a dead letter's, a reply's.
var idRE = regexp.MustCompile(`name="id" value="([^"]+)"`)

// TestReplay checks that the dead letters page shows a delivery the inbox refused, and that
// replaying it sends it again and empties the page.
func TestReplay(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	erin := fx.rec.NewAccount("erin@strict.example")
	fx.rec.Respond(erin.Inbox(), http.StatusForbidden)
	fx.rec.Respond(erin.SharedInbox(), http.StatusForbidden)
	if _, err := erin.Follow(ctx, fx.fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	if err := fx.rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	b := fx.browser(t, "editor")
	status, body := b.get("dead")
	m := idRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, "strict.example") || !strings.Contains(body, "answered 403") {
		t.Fatalf("dead letters page: status %d, want erin's refused Accept in %s", status, body)
	}
	fx.rec.Respond(erin.Inbox(), 0)
	fx.rec.Respond(erin.SharedInbox(), 0)
	before := len(fx.rec.Sent())
	form := url.Values{"token": {b.token("dead")}, "id": {m[1]}}
	if resp, body := b.post("dead", form, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: status %d, want 303; %s", resp.StatusCode, body)
	}
	if err := fx.rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	sent := fx.rec.Sent()[before:]
	if len(sent) != 1 || sent[0].Type != "Accept" || !strings.Contains(sent[0].Inbox, "strict.example") {
		t.Errorf("after the replay the site sent %+v, want the Accept to erin", sent)
	}
	if _, body := b.get("dead"); !strings.Contains(body, "No delivery gave up.") {
		t.Errorf("dead letters page after the replay: %s", body)
	}
	// The same form again: nothing is dead-lettered under that id any more.
	if resp, _ := b.post("dead", form, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replaying again: status %d, want 404", resp.StatusCode)
	}
}
