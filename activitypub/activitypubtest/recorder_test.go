package activitypubtest_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// siteActors is a site with one actor, @news.
var siteActors = activitypubtest.Actors(activitypub.Actor{Username: "news", Name: "The Daily Test"})

const articleURL = activitypubtest.BaseURL + "/articles/bridge"

// newSite builds a Federation with the kit and stops it when the test ends.
func newSite(t *testing.T, configure ...func(*activitypub.Config)) (*activitypub.Federation, *activitypubtest.Recorder) {
	t.Helper()
	fed, rec, err := activitypubtest.NewFederation(siteActors, configure...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	return fed, rec
}

// follow has a new account follow @news and waits for its Accept.
func follow(t *testing.T, fed *activitypub.Federation, rec *activitypubtest.Recorder, handle string) *activitypubtest.Account {
	t.Helper()
	a := rec.NewAccount(handle)
	f, err := a.Follow(t.Context(), fed.ActorID("news"))
	if err != nil {
		t.Fatal(err)
	}
	accept := activitypubtest.Delivered(t, rec, "Accept", f.ID)
	if accept.Inbox != a.Inbox() || accept.Signer != fed.ActorID("news") {
		t.Fatalf("Accept to %s signed by %s, want %s by %s", accept.Inbox, accept.Signer, a.Inbox(), fed.ActorID("news"))
	}
	return a
}

// TestPublishRecorded follows @news from two servers and publishes: each server's shared inbox
// gets one Create, signed by @news and carrying the article, through the real engine.
func TestPublishRecorded(t *testing.T) {
	fed, rec := newSite(t)
	carol := follow(t, fed, rec, "carol")
	dan := follow(t, fed, rec, "dan@other.example")
	follow(t, fed, rec, "erin") // on carol's server: one delivery there
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: articleURL, Title: "Bridge reopens"}); err != nil {
		t.Fatal(err)
	}
	if obj := activitypubtest.Created(t, rec, articleURL); obj.Name != "Bridge reopens" {
		t.Errorf("created %q, want Bridge reopens", obj.Name)
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	var inboxes []string
	for _, d := range rec.Sent() {
		if d.Type != "Create" {
			continue
		}
		inboxes = append(inboxes, d.Inbox)
		if d.Signer != fed.ActorID("news") || d.Actor != fed.ActorID("news") || d.Status != http.StatusAccepted {
			t.Errorf("Create to %s: signer %s, actor %s, status %d", d.Inbox, d.Signer, d.Actor, d.Status)
		}
	}
	slices.Sort(inboxes)
	if want := []string{dan.SharedInbox(), carol.SharedInbox()}; !slices.Equal(inboxes, want) {
		t.Errorf("Create sent to %q, want %q", inboxes, want)
	}
	st, err := fed.DeliveryStatus(t.Context(), articleURL)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != (delivery.Counts{Delivered: 2}) {
		t.Errorf("delivery status after Settle = %+v, want 2 delivered", st.Total)
	}
}

// TestNotFederated checks that Settle lets a test see what was not sent: a draft the site never
// published, beside an article it did.
func TestNotFederated(t *testing.T) {
	fed, rec := newSite(t)
	follow(t, fed, rec, "carol")
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: articleURL, Title: "Bridge reopens"}); err != nil {
		t.Fatal(err)
	}
	activitypubtest.NotFederated(t, rec, activitypubtest.BaseURL+"/articles/draft")
	// Settle waited for the published article's delivery: it is there without waiting.
	n := 0
	for _, d := range rec.Sent() {
		if d.ObjectID == articleURL {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d deliveries of the published article after Settle, want 1", n)
	}
}

// TestRespond makes follower inboxes answer 410, 500 and 429: the host's OnFollowersGone hears
// of the gone one, and after Settle the delivery status shows each outcome.
func TestRespond(t *testing.T) {
	var mu sync.Mutex
	var gone []string
	fed, rec := newSite(t, func(cfg *activitypub.Config) {
		cfg.OnFollowersGone = func(_ context.Context, inbox string, removed []store.Follower) {
			mu.Lock()
			defer mu.Unlock()
			for _, f := range removed {
				gone = append(gone, inbox+" "+f.FollowerID)
			}
		}
	})
	tests := []struct {
		handle string
		status int
		want   delivery.Counts
	}{
		{"a@gone.example", http.StatusGone, delivery.Counts{Failed: 1}},
		{"b@down.example", http.StatusInternalServerError, delivery.Counts{Retrying: 1}},
		{"c@busy.example", http.StatusTooManyRequests, delivery.Counts{Retrying: 1}},
		{"d@fine.example", 0, delivery.Counts{Delivered: 1}},
	}
	accounts := make(map[string]*activitypubtest.Account)
	for _, tt := range tests {
		a := follow(t, fed, rec, tt.handle)
		rec.Respond(a.SharedInbox(), tt.status)
		accounts[tt.handle] = a
	}
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: articleURL, Title: "Bridge reopens"}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := fed.DeliveryStatus(t.Context(), articleURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		host := strings.TrimPrefix(accounts[tt.handle].SharedInbox(), "https://")
		host = host[:strings.Index(host, "/")]
		i := slices.IndexFunc(st.Hosts, func(h delivery.HostStatus) bool { return h.Host == host })
		if i < 0 || st.Hosts[i].Counts != tt.want {
			t.Errorf("%s: status %+v, want %+v", tt.handle, st.Hosts, tt.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	a := accounts["a@gone.example"]
	if want := []string{a.SharedInbox() + " " + a.ID()}; !slices.Equal(gone, want) {
		t.Errorf("OnFollowersGone heard %q, want %q", gone, want)
	}
}

// TestInbound has an account reply, like, boost, undo, mention, write to, report and delete
// through the site's real inbox: each reaches the host through its hook by the time the call
// returns.
func TestInbound(t *testing.T) {
	var mu sync.Mutex
	var events []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, s)
	}
	fed, rec := newSite(t, func(cfg *activitypub.Config) {
		cfg.Inbox = activitypub.InboxOptions{
			OnReply:          func(_ context.Context, r activitypub.Reply) { note("reply " + r.Content + " by " + r.Author.Name) },
			OnReplyDeleted:   func(_ context.Context, _, id string) { note("reply deleted") },
			OnLike:           func(_ context.Context, i activitypub.Interaction) { note("like of " + i.ObjectID) },
			OnAnnounce:       func(_ context.Context, i activitypub.Interaction) { note("boost of " + i.ObjectID) },
			OnUndo:           func(_ context.Context, i activitypub.Interaction) { note("undo " + string(i.Kind)) },
			OnMention:        func(_ context.Context, m activitypub.InboxMention) { note(string(m.Visibility) + " " + m.Content) },
			OnMentionDeleted: func(_ context.Context, _, _ string) { note("mention deleted") },
			OnFlag: func(_ context.Context, r activitypub.Report) {
				note("flag " + r.Content + " " + strings.Join(r.Objects, " "))
			},
		}
	})
	ctx := t.Context()
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: articleURL, Title: "Bridge reopens"}); err != nil {
		t.Fatal(err)
	}
	carol := rec.NewAccount("carol")
	news := fed.ActorID("news")
	var reply, like, dm *vocab.Object
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"reply", func() (err error) { reply, err = carol.Reply(ctx, articleURL, "<p>Good news</p>"); return err }, "reply <p>Good news</p> by carol"},
		{"like", func() (err error) { like, err = carol.Like(ctx, articleURL); return err }, "like of " + articleURL},
		{"boost", func() error { _, err := carol.Announce(ctx, articleURL); return err }, "boost of " + articleURL},
		{"undo like", func() error { _, err := carol.Undo(ctx, like); return err }, "undo like"},
		{"mention", func() error { _, err := carol.Mention(ctx, news, "<p>@news a tip</p>"); return err }, "public <p>@news a tip</p>"},
		{"dm", func() (err error) { dm, err = carol.DM(ctx, news, "<p>off the record</p>"); return err }, "direct <p>off the record</p>"},
		{"undo dm", func() error { _, err := carol.Undo(ctx, dm); return err }, "mention deleted"},
		{"flag", func() error { _, err := carol.Flag(ctx, "spam", news, articleURL); return err }, "flag spam " + news + " " + articleURL},
		{"delete reply", func() error { _, err := carol.Delete(ctx, reply.Object.ID()); return err }, "reply deleted"},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		mu.Lock()
		got := slices.Clone(events)
		mu.Unlock()
		if len(got) != i+1 || got[i] != st.want {
			t.Fatalf("%s: hooks heard %q, want %q last", st.name, got, st.want)
		}
	}
	if c, err := fed.Counts(ctx, articleURL); err != nil || !reflect.DeepEqual(c, activitypub.Counts{Announces: 1}) {
		t.Errorf("counts = %+v, %v; want one boost", c, err)
	}
}

// TestInboxRefusal checks that the site's refusals reach the test as an *InboxError, its real
// checks applying to what Accounts send: a blocked server's Follow is refused (403) and not kept,
// and an activity signed by another actor than its own is refused (401).
func TestInboxRefusal(t *testing.T) {
	fed, rec := newSite(t)
	ctx := t.Context()
	if err := fed.BlockDomain(ctx, "spam.example", "spam"); err != nil {
		t.Fatal(err)
	}
	carol, dan := rec.NewAccount("carol"), rec.NewAccount("dan")
	tests := []struct {
		name   string
		send   func() error
		status int
	}{
		{"blocked server", func() error { _, err := rec.NewAccount("x@spam.example").Follow(ctx, fed.ActorID("news")); return err }, http.StatusForbidden},
		{"forged actor", func() error {
			_, err := carol.Send(ctx, activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Follow"},
				Actor: vocab.Ref{IRI: dan.ID()}, Object: vocab.Ref{IRI: fed.ActorID("news")}})
			return err
		}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		err := tt.send()
		if ie, ok := errors.AsType[*activitypubtest.InboxError](err); !ok || ie.Status != tt.status {
			t.Errorf("%s: %v, want an InboxError with status %d", tt.name, err, tt.status)
		}
	}
	if err := rec.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if sent := rec.Sent(); len(sent) != 0 {
		t.Errorf("the site answered refused follows: %+v", sent)
	}
}

// TestRecorderChecksSignatures posts deliveries to the Recorder that a real server refuses: one
// unsigned, one signed by an unknown key. Each is answered 401 and recorded with Err, and WaitFor
// reports it.
func TestRecorderChecksSignatures(t *testing.T) {
	_, rec := newSite(t)
	body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://news.example/x","type":"Create","actor":"https://news.example/ap/users/news","object":"https://news.example/a"}`
	req, err := http.NewRequest(http.MethodPost, "https://social.example/inbox", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", vocab.MediaType)
	resp, err := rec.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned delivery answered %d, want 401", resp.StatusCode)
	}
	if _, err := rec.WaitFor(t.Context(), activitypubtest.About("Create", "https://news.example/a")); err == nil {
		t.Error("WaitFor accepted an unsigned delivery")
	}
	if sent := rec.Sent(); len(sent) != 1 || sent[0].Err == nil {
		t.Errorf("Sent = %+v, want the delivery with its Err", sent)
	}
}

// TestWaitForDeadline checks that WaitFor and Settle give up when their context ends.
func TestWaitForDeadline(t *testing.T) {
	fed, rec := newSite(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := rec.WaitFor(ctx, activitypubtest.About("Create", articleURL)); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor on a cancelled context: %v", err)
	}
	// Publish queues a job that no one runs once Run has stopped: Settle waits for it in vain.
	rec.Close()
	follow := rec.NewAccount("carol")
	if _, err := follow.Follow(t.Context(), fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Settle with a job left and a cancelled context: %v", err)
	}
}

// TestSettleWaitsForRecords answers the Accept of a Follow, a single deliver job, with 500: the
// engine puts the job back before it records the delivery as retrying, and Settle waits for the
// record, so the status read after it shows the retry.
func TestSettleWaitsForRecords(t *testing.T) {
	fed, rec := newSite(t)
	for i := range 3 {
		a := rec.NewAccount("reader" + strconv.Itoa(i))
		rec.Respond(a.Inbox(), http.StatusInternalServerError)
		f, err := a.Follow(t.Context(), fed.ActorID("news"))
		if err != nil {
			t.Fatal(err)
		}
		accept := activitypubtest.Delivered(t, rec, "Accept", f.ID)
		if err := rec.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
		st, err := fed.DeliveryStatus(t.Context(), accept.Activity.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != (delivery.Counts{Retrying: 1}) {
			t.Fatalf("status of the Accept after Settle = %+v, want 1 retrying", st.Total)
		}
	}
}
