package operator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/operator"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// siteActors are the test site's actors: news, which every follower may follow, and desk, which
// approves its followers.
type siteActors struct{}

func (siteActors) FederatedActor(_ context.Context, name string) (*activitypub.Actor, error) {
	switch name {
	case "news", "desk":
		return &activitypub.Actor{Username: name, Name: name, ManuallyApprovesFollowers: name == "desk"}, nil
	}
	return nil, activitypub.ErrNotFound
}

func (siteActors) FederatedActorNames(context.Context) ([]string, error) {
	return []string{"news", "desk"}, nil
}

// fixture is a federated test site with the operator pages mounted at /admin/fediverse/ for the
// user named by the "user" cookie, and a fediverse that followed, answered and mentioned it.
type fixture struct {
	fed     *activitypub.Federation
	rec     *activitypubtest.Recorder
	srv     *httptest.Server
	article string
	bob     *activitypubtest.Account
	carol   *activitypubtest.Account
}

const articleURL = activitypubtest.BaseURL + "/articles/river"

// newFixture builds the fixture; each configure function may change the operator's Config.
func newFixture(t testing.TB, configure ...func(*operator.Config)) *fixture {
	t.Helper()
	return newFixtureWith(t, func(*activitypub.Config) {}, configure...)
}

// newFixtureWith builds the fixture with the Federation's Config changed by site.
func newFixtureWith(t testing.TB, site func(*activitypub.Config), configure ...func(*operator.Config)) *fixture {
	t.Helper()
	fed, rec, err := activitypubtest.NewFederation(siteActors{}, site)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	ctx := t.Context()
	fx := &fixture{fed: fed, rec: rec, article: articleURL,
		bob: rec.NewAccount("bob"), carol: rec.NewAccount("carol@other.example")}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fx.bob.Follow(ctx, fed.ActorID("news")))
	must(fx.carol.Follow(ctx, fed.ActorID("desk"))) // pending: desk approves its followers
	must(nil, fed.Publish(ctx, "news", activitypub.Article{URL: articleURL, Title: "River path", Content: "<p>Approved.</p>"}))
	must(fx.bob.Reply(ctx, articleURL, "<p>Finally, a path by the river!</p>"))
	must(fx.bob.Like(ctx, articleURL))
	must(fx.carol.Announce(ctx, articleURL))
	// A quote in Misskey's dialect, which knows no authorization.
	must(fx.carol.Send(ctx, activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Create"},
		Object: vocab.Ref{Object: &vocab.Object{ID: fx.carol.ID() + "/notes/quote", Type: vocab.Types{"Note"},
			AttributedTo: vocab.Refs{{IRI: fx.carol.ID()}}, To: vocab.Refs{{IRI: vocab.PublicIRI}},
			Content: "<p>Worth reading, this one</p>",
			Extra:   map[string]json.RawMessage{"_misskey_quote": json.RawMessage(`"` + articleURL + `"`)}}}}))
	must(fx.carol.EmojiReact(ctx, articleURL, "🎉"))
	must(fx.carol.Mention(ctx, fed.ActorID("news"), "<p>A tip about the ferry <script>x</script></p>"))
	must(nil, fed.BlockDomain(activitypub.WithUser(ctx, "moderator"), "spam.example", "sends spam"))
	must(nil, rec.Settle(ctx))

	cfg := operator.Config{Federation: fed, Actors: siteActors{}, User: cookieUser}
	for _, c := range configure {
		c(&cfg)
	}
	op, err := operator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/fediverse/", http.StripPrefix("/admin/fediverse", op))
	fx.srv = httptest.NewServer(mux)
	t.Cleanup(fx.srv.Close)
	return fx
}

// cookieUser is the test site's login: the "user" cookie names who is signed in.
func cookieUser(r *http.Request) (string, bool) {
	c, err := r.Cookie("user")
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// browser is a client with its own cookies, signed in as user ("" for nobody), that does not
// follow redirects.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func (fx *fixture) browser(t testing.TB, user string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base := fx.srv.URL + "/admin/fediverse/"
	if user != "" {
		u, _ := url.Parse(base)
		jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: user, Path: "/"}})
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, c: c, base: base}
}

// get fetches a page (a path relative to the mount point) and returns its status and body.
func (b *browser) get(page string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + page)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post sends a form to a page with the given headers and returns the response, body read.
func (b *browser) post(page string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+page, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// token loads the page of a form (the form's action) and returns the forms' token. The requests
// page shows forms for desk, which has a pending request.
func (b *browser) token(page string) string {
	b.t.Helper()
	if page == "requests" {
		page = "requests?actor=desk"
	}
	status, body := b.get(page)
	m := tokenRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: status %d, no token in %s", page, status, body)
	}
	return m[1]
}

func TestPages(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t, "editor")
	tests := []struct {
		page   string
		status int
		want   []string
		not    []string
	}{
		{page: "", status: 200, want: []string{"<h1>Fediverse overview</h1>", "Signed in as editor",
			`<th scope="row">news</th><td>@news@news.example</td><td class="n">1</td><td class="n">1</td>`,
			`<th scope="row">desk</th><td>@desk@news.example</td><td class="n">0</td><td class="n">0</td>`,
			`<th scope="col">Delivered</th>`, `<label for="lookup-url">Article URL</label>`, `aria-current="page">Overview`}},
		{page: "article?url=" + url.QueryEscape(articleURL), status: 200, want: []string{
			"1 delivered, 0 queued, 0 retrying, 0 failed, of 1.", `<th scope="row">social.example</th>`,
			"1 replies, 1 quotes, 1 likes, 1 boosts, 0 dislikes.", "<p>Finally, a path by the river!</p>", fx.bob.ID(), fx.carol.ID(),
			`<h3>Quotes</h3>`, `<th scope="col">Quote</th>`, "<p>Worth reading, this one</p>",
			`<td>🎉</td><td>Unicode</td><td class="n">1</td>`, "<h3>Emoji reactions</h3>"},
			not: []string{`value="delete" aria-label="Delete the reply of ` + fx.carol.ID()}},
		{page: "article?kind=like&url=" + url.QueryEscape(articleURL), status: 200, want: []string{"<h3>Likes</h3>", fx.bob.ID()},
			not: []string{"<h3>Replies</h3>", "<h3>Boosts</h3>"}},
		{page: "article?url=" + url.QueryEscape(activitypubtest.BaseURL+"/never"), status: 200,
			want: []string{"Nothing was sent about this URL.", "0 replies, 0 quotes, 0 likes, 0 boosts, 0 dislikes.", "<p>None.</p>"}},
		{page: "article", status: 200, want: []string{`<input type="url" id="lookup-url" name="url" required value="">`}},
		{page: "article?kind=nope&url=x", status: 400},
		{page: "article?kind=like&cursor=%21&url=" + url.QueryEscape(articleURL), status: 400},
		{page: "requests", status: 200, want: []string{"No pending follow requests for @news."}},
		{page: "requests?actor=desk", status: 200, want: []string{fx.carol.ID(),
			`value="approve" aria-label="Approve ` + fx.carol.ID() + `">Approve</button>`, `value="reject" aria-label="Reject ` + fx.carol.ID() + `">Reject</button>`}},
		{page: "requests?actor=nobody", status: 404},
		{page: "moderation", status: 200, want: []string{`<th scope="row">spam.example</th><td>sends spam</td><td>moderator</td>`,
			`<label for="block-target">`, `<label for="block-reason">`, "<legend>What to block</legend>"}},
		{page: "moderation?cursor=%21", status: 400},
		{page: "mentions", status: 200, want: []string{"<p>A tip about the ferry </p>", "@carol@other.example"}, not: []string{"<script>"}},
		{page: "mentions?actor=desk", status: 200, want: []string{"No mentions of @desk yet."}},
		{page: "relays", status: 200, want: []string{"@news is subscribed to no relay.", `<label for="relay-url">Relay URL</label>`,
			"<h2>Bluesky through Bridgy Fed</h2>", "@news does not meet Bridgy Fed's requirements yet.",
			`<th scope="row">avatar</th><td>required</td><td>no</td>`, `aria-current="page">Relays and Bluesky`}},
		{page: "relays?actor=nobody", status: 404},
		{page: "nothing", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			b.checkPage(t, tt.page, tt.status, tt.want, tt.not)
		})
	}
}

func TestPageHeaders(t *testing.T) {
	fx := newFixture(t)
	resp, err := fx.browser(t, "editor").c.Get(fx.srv.URL + "/admin/fediverse/mentions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "fedsite_operator" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v, want HttpOnly and SameSite=Strict", session)
	}
}

// TestAnonymous checks that every page and form refuses a request without a signed-in user.
func TestAnonymous(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t, "")
	for _, page := range []string{"", "article", "requests", "moderation", "mentions", "relays"} {
		if status, _ := b.get(page); status != http.StatusForbidden {
			t.Errorf("GET %q: status %d, want 403", page, status)
		}
	}
	resp, _ := b.post("moderation", url.Values{"action": {"block"}, "kind": {"domain"}, "target": {"evil.example"}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST: status %d, want 403", resp.StatusCode)
	}
	if blocked(t, fx, "evil.example") {
		t.Error("an anonymous POST blocked evil.example")
	}
}

// blocked reports whether target (a domain or actor id) is blocked.
func blocked(t testing.TB, fx *fixture, target string) bool {
	t.Helper()
	p, err := fx.fed.Blocks(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range p.Items {
		if b.Domain == target || b.ActorID == target {
			return true
		}
	}
	return false
}

// pending reports whether follower's request to follow desk is pending.
func pending(t testing.TB, fx *fixture, follower string) bool {
	t.Helper()
	p, err := fx.fed.FollowRequests(t.Context(), "desk", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Items {
		if r.FollowerID == follower {
			return true
		}
	}
	return false
}

func followers(t testing.TB, fx *fixture, actor string) int {
	t.Helper()
	s, err := fx.fed.ActorStats(t.Context(), actor)
	if err != nil {
		t.Fatal(err)
	}
	return s.Followers
}

// TestForms sends each form without its token, with another session's token, from another origin
// and as it should be: the first three are 403 and change nothing, as is a user the site's Authorize refuses; the last takes effect and
// redirects back to its page.
func TestForms(t *testing.T) {
	tests := []struct {
		name     string
		page     string
		form     func(fx *fixture) url.Values
		location string
		// done reports whether the form took effect.
		done func(t testing.TB, fx *fixture) bool
	}{
		{name: "approve", page: "requests",
			form: func(fx *fixture) url.Values {
				return url.Values{"actor": {"desk"}, "follower": {fx.carol.ID()}, "decision": {"approve"}}
			},
			location: "requests?actor=desk",
			done: func(t testing.TB, fx *fixture) bool {
				return !pending(t, fx, fx.carol.ID()) && followers(t, fx, "desk") == 1
			}},
		{name: "reject", page: "requests",
			form: func(fx *fixture) url.Values {
				return url.Values{"actor": {"desk"}, "follower": {fx.carol.ID()}, "decision": {"reject"}}
			},
			location: "requests?actor=desk",
			done: func(t testing.TB, fx *fixture) bool {
				return !pending(t, fx, fx.carol.ID()) && followers(t, fx, "desk") == 0
			}},
		{name: "block domain", page: "moderation",
			form: func(*fixture) url.Values {
				return url.Values{"action": {"block"}, "kind": {"domain"}, "target": {"evil.example"}, "reason": {"harassment"}}
			},
			location: "moderation",
			done:     func(t testing.TB, fx *fixture) bool { return blocked(t, fx, "evil.example") }},
		{name: "block actor", page: "moderation",
			form: func(fx *fixture) url.Values {
				return url.Values{"action": {"block"}, "kind": {"actor"}, "target": {fx.bob.ID()}, "reason": {"trolling"}}
			},
			location: "moderation",
			done: func(t testing.TB, fx *fixture) bool {
				return blocked(t, fx, fx.bob.ID()) && followers(t, fx, "news") == 0
			}},
		{name: "subscribe relay", page: "relays",
			form: func(*fixture) url.Values {
				return url.Values{"action": {"subscribe"}, "actor": {"news"}, "url": {testRelay}, "style": {"mastodon"}}
			},
			location: "relays?actor=news",
			done:     func(t testing.TB, fx *fixture) bool { return relayState(t, fx) == store.RelayPending }},
		{name: "unsubscribe relay", page: "relays",
			form: func(fx *fixture) url.Values {
				if relayState(t, fx) == "" {
					if err := fx.fed.SubscribeRelay(t.Context(), "news", testRelay, store.RelayMastodon); err != nil {
						t.Fatal(err)
					}
				}
				return url.Values{"action": {"unsubscribe"}, "actor": {"news"}, "url": {testRelay}}
			},
			location: "relays?actor=news",
			done:     func(t testing.TB, fx *fixture) bool { return relayState(t, fx) == "" }},
		{name: "unblock domain", page: "moderation",
			form: func(*fixture) url.Values {
				return url.Values{"action": {"unblock"}, "kind": {"domain"}, "target": {"spam.example"}}
			},
			location: "moderation",
			done:     func(t testing.TB, fx *fixture) bool { return !blocked(t, fx, "spam.example") }},
	}
	attempts := []struct {
		name   string
		token  func(b, other *browser, page string) string
		header http.Header
	}{
		{name: "no token", token: func(*browser, *browser, string) string { return "" }},
		{name: "forged token", token: func(*browser, *browser, string) string { return "AAAA" }},
		{name: "another session's token", token: func(_, other *browser, page string) string { return other.token(page) }},
		{name: "cross-origin", token: func(b, _ *browser, page string) string { return b.token(page) },
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{name: "other origin", token: func(b, _ *browser, page string) string { return b.token(page) },
			header: http.Header{"Origin": {"https://evil.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The site lets the intern read the pages but do nothing.
			fx := newFixtureWith(t, func(c *activitypub.Config) {
				c.Authorize = func(_ context.Context, a activitypub.Act) bool {
					return a.User != "intern" || a.Action == activitypub.ActionReadMentions
				}
			})
			b, other := fx.browser(t, "editor"), fx.browser(t, "intruder")
			b.token(tt.page) // b has a session
			for _, a := range attempts {
				form := tt.form(fx)
				if tok := a.token(b, other, tt.page); tok != "" {
					form.Set("token", tok)
				}
				resp, body := b.post(tt.page, form, a.header)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403; %s", a.name, resp.StatusCode, body)
				}
				if tt.done(t, fx) {
					t.Fatalf("%s: the form took effect", a.name)
				}
			}
			intern := fx.browser(t, "intern")
			form := tt.form(fx)
			form.Set("token", intern.token(tt.page))
			resp, body := intern.post(tt.page, form, http.Header{"Sec-Fetch-Site": {"same-origin"}})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "You may not do that here.") {
				t.Errorf("refused by Authorize: status %d, want 403 with the refusal; %s", resp.StatusCode, body)
			}
			if tt.done(t, fx) {
				t.Fatal("refused by Authorize: the form took effect")
			}
			form = tt.form(fx)
			form.Set("token", b.token(tt.page))
			resp, body = b.post(tt.page, form, http.Header{"Sec-Fetch-Site": {"same-origin"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.location {
				t.Fatalf("status %d, Location %q; want 303 to %q; %s", resp.StatusCode, resp.Header.Get("Location"), tt.location, body)
			}
			if !tt.done(t, fx) {
				t.Error("the form took no effect")
			}
		})
	}
}

// testRelay is the inbox of a Mastodon-style relay, which the Recorder answers.
const testRelay = "https://relay.example/inbox"

// relayState is the state of news's subscription to testRelay, "" when there is none.
func relayState(t testing.TB, fx *fixture) store.RelayState {
	t.Helper()
	relays, err := fx.fed.Relays(t.Context(), "news")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range relays {
		if r.ID == testRelay {
			return r.State
		}
	}
	return ""
}

// TestBlockRecordsUser checks that a block made on the page names the signed-in user and the
// reason given.
func TestBlockRecordsUser(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t, "editor")
	form := url.Values{"token": {b.token("moderation")}, "action": {"block"}, "kind": {"domain"}, "target": {"evil.example"}, "reason": {"harassment"}}
	if resp, body := b.post("moderation", form, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	p, err := fx.fed.Blocks(t.Context(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Items[0]; got.Domain != "evil.example" || got.CreatedBy != "editor" || got.Reason != "harassment" {
		t.Errorf("newest block %+v, want evil.example by editor for harassment", got)
	}
}

// TestFormErrors checks the answers to forms that are well-formed and authorized but cannot be
// done: each gets its status and a message, and changes nothing.
func TestFormErrors(t *testing.T) {
	tests := []struct {
		name   string
		page   string
		form   url.Values
		status int
		want   string
	}{
		{"invalid domain", "moderation", url.Values{"action": {"block"}, "kind": {"domain"}, "target": {"not a host"}, "reason": {"r"}}, 400, `value="not a host"`},
		{"own domain", "moderation", url.Values{"action": {"block"}, "kind": {"domain"}, "target": {"news.example"}}, 400, `role="alert"`},
		{"relative actor", "moderation", url.Values{"action": {"block"}, "kind": {"actor"}, "target": {"/users/x"}}, 400, `role="alert"`},
		{"unblock what is not blocked", "moderation", url.Values{"action": {"unblock"}, "kind": {"domain"}, "target": {"fine.example"}}, 404, "fine.example is not blocked."},
		{"unknown action", "moderation", url.Values{"action": {"ban"}, "kind": {"domain"}, "target": {"evil.example"}}, 400, "action must be"},
		{"unknown decision", "requests", url.Values{"actor": {"desk"}, "follower": {"https://x.example/u"}, "decision": {"maybe"}}, 400, "decision must be"},
		{"no such request", "requests", url.Values{"actor": {"desk"}, "follower": {"https://x.example/u"}, "decision": {"approve"}}, 404, "No such request is pending"},
		{"relative relay URL", "relays", url.Values{"action": {"subscribe"}, "actor": {"news"}, "url": {"/inbox"}, "style": {"mastodon"}}, 400, `value="/inbox"`},
		{"unknown relay style", "relays", url.Values{"action": {"subscribe"}, "actor": {"news"}, "url": {testRelay}, "style": {"diaspora"}}, 400, `role="alert"`},
		{"unsubscribe from no relay", "relays", url.Values{"action": {"unsubscribe"}, "actor": {"news"}, "url": {testRelay}}, 404, "No such relay subscription"},
		{"unknown relay action", "relays", url.Values{"action": {"join"}, "actor": {"news"}, "url": {testRelay}}, 400, "action must be"},
		{"no such actor", "requests", url.Values{"actor": {"nobody"}, "follower": {"https://x.example/u"}, "decision": {"reject"}}, 404, "no such actor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			b := fx.browser(t, "editor")
			before, _ := fx.fed.Blocks(t.Context(), "", 100)
			tt.form.Set("token", b.token(tt.page))
			resp, body := b.post(tt.page, tt.form, nil)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, want %d with %q; body %s", resp.StatusCode, tt.status, tt.want, body)
			}
			after, _ := fx.fed.Blocks(t.Context(), "", 100)
			if len(after.Items) != len(before.Items) || !pending(t, fx, fx.carol.ID()) {
				t.Error("the refused form changed the blocks or the follow requests")
			}
		})
	}
}

// TestApproveBlocked checks that approving a follower blocked since it asked is a 409 and keeps
// the request pending.
func TestApproveBlocked(t *testing.T) {
	fx := newFixture(t)
	if err := fx.fed.BlockActor(t.Context(), fx.carol.ID(), ""); err != nil {
		t.Fatal(err)
	}
	if !pending(t, fx, fx.carol.ID()) {
		t.Fatal("blocking removed the pending request, want it kept until decided")
	}
	b := fx.browser(t, "editor")
	form := url.Values{"token": {b.token("requests")}, "actor": {"desk"}, "follower": {fx.carol.ID()}, "decision": {"approve"}}
	resp, body := b.post("requests", form, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "is blocked") {
		t.Errorf("status %d, want 409 saying the follower is blocked; %s", resp.StatusCode, body)
	}
	if !pending(t, fx, fx.carol.ID()) || followers(t, fx, "desk") != 0 {
		t.Error("the request was decided")
	}
}

func TestNew(t *testing.T) {
	fed, rec, err := activitypubtest.NewFederation(siteActors{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	good := operator.Config{Federation: fed, Actors: siteActors{}, User: cookieUser}
	tests := []struct {
		name   string
		change func(*operator.Config)
		ok     bool
	}{
		{"complete", func(*operator.Config) {}, true},
		{"with a key", func(c *operator.Config) { c.Key = make([]byte, 32) }, true},
		{"no federation", func(c *operator.Config) { c.Federation = nil }, false},
		{"no actors", func(c *operator.Config) { c.Actors = nil }, false},
		{"no user", func(c *operator.Config) { c.User = nil }, false},
		{"short key", func(c *operator.Config) { c.Key = make([]byte, 31) }, false},
	}
	for _, tt := range tests {
		cfg := good
		tt.change(&cfg)
		if _, err := operator.New(cfg); (err == nil) != tt.ok {
			t.Errorf("%s: New error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestFormTooLarge checks that a form body over the limit is 413 and changes nothing.
func TestFormTooLarge(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t, "editor")
	form := url.Values{"token": {b.token("moderation")}, "action": {"block"}, "kind": {"domain"}, "target": {"evil.example"},
		"reason": {strings.Repeat("x", 70<<10)}}
	if resp, _ := b.post("moderation", form, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	if blocked(t, fx, "evil.example") {
		t.Error("the oversized form blocked evil.example")
	}
}

var olderRE = regexp.MustCompile(`<a href="(\?[^"]+|article\?[^"]+)">Older`)

// TestPaging walks each list a page of one entry at a time through its Older links and checks
// that every entry shows once.
func TestPaging(t *testing.T) {
	fx := newFixture(t, func(c *operator.Config) { c.PageSize = 1 })
	ctx := t.Context()
	dave := fx.rec.NewAccount("dave")
	for _, err := range []error{
		fx.fed.BlockDomain(ctx, "junk.example", "junk"),
		func() error { _, err := dave.Mention(ctx, fx.fed.ActorID("news"), "<p>Second tip</p>"); return err }(),
		func() error { _, err := dave.Follow(ctx, fx.fed.ActorID("desk")); return err }(),
		func() error { _, err := dave.Like(ctx, articleURL); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	b := fx.browser(t, "editor")
	tests := []struct {
		start string
		want  []string // one per page, in order
	}{
		{"moderation", []string{"junk.example", "spam.example"}},
		{"mentions?actor=news", []string{"Second tip", "A tip about the ferry"}},
		{"requests?actor=desk", []string{dave.ID(), fx.carol.ID()}},
		{"article?kind=like&url=" + url.QueryEscape(articleURL), []string{dave.ID(), fx.bob.ID()}},
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			page := tt.start
			for i, want := range tt.want {
				status, body := b.get(page)
				if status != http.StatusOK || !strings.Contains(body, want) {
					t.Fatalf("page %d (%s): status %d, want %q in %s", i+1, page, status, want, body)
				}
				m := olderRE.FindStringSubmatch(body)
				if last := i == len(tt.want)-1; last != (m == nil) {
					t.Fatalf("page %d: Older link %v, want one on every page but the last", i+1, m)
				}
				if m != nil {
					next := strings.ReplaceAll(m[1], "&amp;", "&")
					if strings.HasPrefix(next, "?") {
						page, _, _ = strings.Cut(page, "?")
						next = page + next
					}
					page = next
				}
			}
		})
	}
}

// checkPage GETs page and checks that it answers status with a body that has each of want and
// none of not; it returns the body.
func (b *browser) checkPage(t *testing.T, page string, status int, want, not []string) string {
	t.Helper()
	got, body := b.get(page)
	if got != status {
		t.Fatalf("GET %s: status %d, want %d; body %s", page, got, status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
	for _, n := range not {
		if strings.Contains(body, n) {
			t.Errorf("page has %q", n)
		}
	}
	return body
}

// TestOverviewMigration checks the overview's domain migration section: absent on a site that
// never moved, and, once MigrateDomain ran, each actor's followers before the move, arrived at the
// new actor and still on the old one.
func TestOverviewMigration(t *testing.T) {
	tests := []struct {
		name    string
		former  string
		migrate bool
		want    []string // in the page, in this order
		absent  string
	}{
		{"never moved", "", false, []string{"<h2>Delivery</h2>"}, "Domain migration"},
		{"moved, not migrated", "https://old.example", false, []string{"<h2>Delivery</h2>"}, "Domain migration"},
		{"migrated", "https://old.example", true, []string{"Domain migration", "From https://old.example to " + activitypubtest.BaseURL,
			`<th scope="row">desk</th><td>sent</td><td class="n">0</td><td class="n">0</td><td class="n">0</td>`,
			`<th scope="row">news</th><td>sent</td><td class="n">0</td><td class="n">1</td><td class="n">0</td>`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixtureWith(t, func(c *activitypub.Config) { c.FormerBaseURL = tt.former })
			if tt.migrate {
				if _, err := fx.fed.MigrateDomain(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			status, body := fx.browser(t, "editor").get("")
			if status != http.StatusOK {
				t.Fatalf("overview: %d", status)
			}
			rest := body
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("overview lacks %q (in order) in:\n%s", w, body)
				}
				rest = rest[i+len(w):]
			}
			if tt.absent != "" && strings.Contains(body, tt.absent) {
				t.Errorf("overview shows %q:\n%s", tt.absent, body)
			}
		})
	}
}
