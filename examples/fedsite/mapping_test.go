package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// rssItem is an RSS item with an author, of the site at base.
func rssItem(base, slug, title, author, date string) string {
	return fmt.Sprintf(`<item><title>%s</title><link>%s/articles/%s</link><description>&lt;p&gt;%s.&lt;/p&gt;</description><author>%s</author><pubDate>%s</pubDate></item>`,
		title, base, slug, title, author, date)
}

func rssOf(title string, items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>` + title + `</title><description>About ` + title + `</description>` + strings.Join(items, "") + `</channel></rss>`
}

// TestFeedsAndAuthors: each feed publishes as its actor, and an item whose author the authors
// map names (by e-mail or name, any case) as that author's actor; an article in two feeds goes
// out once; the actors are described by the config, else by their feed.
func TestFeedsAndAuthors(t *testing.T) {
	fs := newFeedSite(t)
	base := fs.srv.URL
	fs.set(rssOf("The Gazette"))
	fs.setPage("/sports.xml", page{200, "application/rss+xml", rssOf("Sports")})
	r := startWith(t, fs, t.TempDir(), func(c *config) {
		c.Feeds = append(c.Feeds, feedConfig{URL: base + "/sports.xml", Actor: "sports"})
		c.Actors = []actorConfig{{Handle: "jane", Name: "Jane Doe", Summary: "Council & courts."}, {Handle: "sports"}}
		c.Authors = map[string]string{"JANE@example.com": "jane", "Bob Stone": "jane"}
	})
	for _, who := range []string{"news", "jane", "sports"} {
		r.followActor(t, "reader-"+who+"@social.example", who)
	}
	r.mustPoll(t)

	fs.set(rssOf("The Gazette",
		rssItem(base, "council", "Council votes", "jane@example.com (Jane Doe)", day1),
		rssItem(base, "court", "Court rules", "bob stone", day1),
		rssItem(base, "weather", "Rain ahead", "desk@example.com (Desk)", day1),
		rssItem(base, "derby", "Derby day", "sam@example.com (Sam)", day2)))
	fs.setPage("/sports.xml", page{200, "application/rss+xml", rssOf("Sports", rssItem(base, "derby", "Derby day", "sam@example.com (Sam)", day2), rssItem(base, "final", "Cup final", "sam@example.com (Sam)", day3))})
	r.mustPoll(t)
	r.mustPoll(t)
	want := map[string]string{"council": "jane", "court": "jane", "weather": "news", "derby": "news", "final": "sports"}
	got := map[string]string{}
	for _, d := range r.rec.Sent() {
		if d.Type == "Create" {
			slug := d.ObjectID[strings.LastIndex(d.ObjectID, "/")+1:]
			if _, twice := got[slug]; twice {
				t.Errorf("%s sent twice", slug)
			}
			got[slug] = d.Actor[strings.LastIndex(d.Actor, "/")+1:]
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("published as %v, want %v", got, want)
	}
	jane := r.get(t, r.sc.fed.ActorID("jane"))
	if !strings.Contains(jane, `"type":"Person"`) || !strings.Contains(jane, `"name":"Jane Doe"`) || !strings.Contains(jane, `Council \u0026amp; courts.`) {
		t.Errorf("jane: %s, want a Person described by the config", jane)
	}
	if sports := r.get(t, r.sc.fed.ActorID("sports")); !strings.Contains(sports, `"name":"Sports"`) || !strings.Contains(sports, "About Sports") {
		t.Errorf("sports: %s, want the actor described by its feed", sports)
	}
}

// imageOf is the URL of the object's lead image.
func imageOf(obj *vocab.Object) string {
	if len(obj.Image) == 0 || obj.Image[0].Object == nil || len(obj.Image[0].Object.URL) == 0 {
		return ""
	}
	return obj.Image[0].Object.URL[0].IRI
}

// TestOpenGraph: a new item without an image or a summary takes them from its page's og:image
// and og:description, read once and kept; an Update needs no second read, and a page that
// cannot be read leaves the item as the feed has it.
func TestOpenGraph(t *testing.T) {
	fs := newFeedSite(t)
	base := fs.srv.URL
	fs.set(fs.rss())
	fs.setPage("/articles/a", page{200, "text/html; charset=utf-8", `<!doctype html><html><head>
<meta property="og:title" content="Bridge">
<meta property="og:image" content="/img/bridge.jpg">
<meta name="og:description" content="  The bridge is open again after a year.  ">
</head><body><meta property="og:image" content="/late.jpg"></body></html>`})
	fs.setPage("/articles/b", page{500, "text/html", "down"})
	r := start(t, fs, t.TempDir())
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	a, b := item{"a", "Bridge reopens", "<p>Open.</p>", day1}, item{"b", "Market day", "<p>Stalls.</p>", day2}
	fs.set(fs.rss(a, b))
	r.mustPoll(t)
	obj := activitypubtest.Created(t, r.rec, base+"/articles/a")
	if img := imageOf(obj); img != base+"/img/bridge.jpg" {
		t.Errorf("image %s, want og:image resolved against the page", img)
	}
	if pre := string(obj.Extra["preview"]); !strings.Contains(pre, "The bridge is open again after a year.") {
		t.Errorf("preview %s, want og:description", pre)
	}
	if obj := activitypubtest.Created(t, r.rec, base+"/articles/b"); len(obj.Image) != 0 {
		t.Errorf("b has an image %v, from a page that could not be read", obj.Image)
	}
	a.body = "<p>Open again.</p>"
	fs.set(fs.rss(a, b))
	r.mustPoll(t)
	u := activitypubtest.Delivered(t, r.rec, "Update", base+"/articles/a")
	if img := imageOf(u.Object); img != base+"/img/bridge.jpg" {
		t.Errorf("the Update's image %s, want the kept og:image", img)
	}
	if n, m := fs.readsOf("/articles/a"), fs.readsOf("/articles/b"); n != 1 || m != 1 {
		t.Errorf("pages read %d and %d times, want once each", n, m)
	}
}

// TestRecheck: an article that left the feed is no deletion while its URL answers; once it
// answers 410 (or 404) it is deleted at its next re-check, a day after the last; after the
// re-check window it is no longer checked.
func TestRecheck(t *testing.T) {
	fs := newFeedSite(t)
	base := fs.srv.URL
	fs.set(fs.rss())
	r := start(t, fs, t.TempDir())
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	r.sc.pollers[0].now = clock
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	a, b := item{"a", "Bridge reopens", "<p>Open.</p>", day1}, item{"b", "Market day", "<p>Stalls.</p>", day2}
	fs.set(fs.rss(a, b))
	r.mustPoll(t)
	fs.set(fs.rss())
	reads := func() (int, int) { return fs.readsOf("/articles/a"), fs.readsOf("/articles/b") }
	pa, pb := reads()
	r.mustPoll(t) // both left: checked at once, both answer 200
	fs.setPage("/articles/a", page{http.StatusGone, "text/html", "gone"})
	r.mustPoll(t) // not due again yet
	if na, nb := reads(); na != pa+1 || nb != pb+1 {
		t.Errorf("re-checks %d and %d, want one each", na-pa, nb-pb)
	}
	if s := r.sent(); len(s) != 2 {
		t.Fatalf("sent %q, want only the two Creates", s)
	}
	advance(recheckEvery + time.Minute)
	r.mustPoll(t)
	activitypubtest.Delivered(t, r.rec, "Delete", base+"/articles/a")
	fs.setPage("/articles/b", page{http.StatusNotFound, "text/html", "gone"})
	advance(recheckWindow)
	r.mustPoll(t)
	if s := r.sent(); len(s) != 3 {
		t.Errorf("sent %q, want b never deleted: it left the feed more than a week ago", s)
	}
	if _, nb := reads(); nb != pb+2 {
		t.Errorf("b re-checked %d times, want 2", nb-pb)
	}
}
