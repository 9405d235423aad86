package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/mmcdole/gofeed"
)

// TestToArticle maps one item from each feed format: link, title, teaser and body, dates,
// categories as hashtags, the image with its alt text, and the feed's language.
func TestToArticle(t *testing.T) {
	published := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, feed string
		want       activitypub.Article
		updated    time.Time
	}{
		{"RSS 2.0 with media:content", `<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>T</title><language>fr</language>
<item><title> Le pont rouvre </title><link>https://example.com/a/1</link><description>Court.</description>
<content:encoded><![CDATA[<p>Long.</p>]]></content:encoded><pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate>
<category>Vie locale</category><category>2026</category><category>vielocale</category>
<media:content url="https://example.com/p.jpg" type="image/jpeg"><media:description>Le pont au matin</media:description></media:content>
</item></channel></rss>`,
			activitypub.Article{URL: "https://example.com/a/1", Title: "Le pont rouvre", Excerpt: "Court.", Content: "<p>Long.</p>",
				Language: "fr", Tags: []string{"Vielocale"}, Published: published,
				Images: []activitypub.Image{{URL: "https://example.com/p.jpg", MediaType: "image/jpeg", Alt: "Le pont au matin"}}},
			published},
		{"Atom with an image enclosure", `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>T</title>
<entry><title>Bridge</title><link rel="alternate" href="https://example.com/a/2"/><id>urn:x</id>
<published>2026-12-01T09:00:00Z</published><updated>2026-12-02T10:00:00Z</updated>
<summary>Short.</summary><content type="html">&lt;p&gt;Body.&lt;/p&gt;</content>
<category term="Local_News"/><link rel="enclosure" type="image/png" href="https://example.com/b.png"/>
</entry></feed>`,
			activitypub.Article{URL: "https://example.com/a/2", Title: "Bridge", Excerpt: "Short.", Content: "<p>Body.</p>",
				Language: "en", Tags: []string{"Local_News"}, Published: published,
				Images: []activitypub.Image{{URL: "https://example.com/b.png", MediaType: "image/png"}}},
			time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)},
		{"JSON Feed, description only", `{"version": "https://jsonfeed.org/version/1.1", "title": "T", "language": "de",
"items": [{"id": "3", "url": "https://example.com/a/3", "title": "Brücke", "content_html": "<p>Text.</p>",
"date_published": "2026-12-01T09:00:00Z", "tags": ["Stadt"], "image": "https://example.com/c.webp"}]}`,
			activitypub.Article{URL: "https://example.com/a/3", Title: "Brücke", Content: "<p>Text.</p>",
				Language: "de", Tags: []string{"Stadt"}, Published: published,
				Images: []activitypub.Image{{URL: "https://example.com/c.webp"}}},
			published},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := gofeed.NewParser().Parse(strings.NewReader(tc.feed))
			if err != nil {
				t.Fatal(err)
			}
			got := toArticle(feed.Items[0], feed.Language)
			if got.URL != tc.want.URL || got.Title != tc.want.Title || got.Excerpt != tc.want.Excerpt ||
				got.Content != tc.want.Content || got.Language != tc.want.Language || !got.Published.Equal(tc.want.Published) ||
				!slices.Equal(got.Tags, tc.want.Tags) || !slices.Equal(got.Images, tc.want.Images) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if u := updatedOf(feed.Items[0]); !u.Equal(tc.updated) {
				t.Errorf("updated %v, want %v", u, tc.updated)
			}
		})
	}
}

// TestContentHash: the hash changes with what federates and not with the dates.
func TestContentHash(t *testing.T) {
	a := activitypub.Article{URL: "https://example.com/a", Title: "T", Content: "<p>x</p>", Published: time.Unix(1, 0)}
	b := a
	b.Published = time.Unix(2, 0)
	if contentHash(a) != contentHash(b) {
		t.Error("the published date changed the hash")
	}
	b.Content = "<p>y</p>"
	if contentHash(a) == contentHash(b) {
		t.Error("an edit did not change the hash")
	}
}
