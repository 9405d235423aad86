package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/mmcdole/gofeed"
)

// toArticle maps a feed item to what fedsite publishes: the item's link is the article's URL,
// its title the headline, its content (else its description) the body. The description goes in
// Excerpt, as a teaser: sent as AS2 summary, GoToSocial, Misskey and Akkoma would show it as a
// content warning. Categories become hashtags, an image enclosure or media:content an attached
// image with its description as alt text, and the feed's language the article's.
func toArticle(item *gofeed.Item, language string) activitypub.Article {
	a := activitypub.Article{
		URL:      strings.TrimSpace(item.Link),
		Title:    strings.TrimSpace(item.Title),
		Excerpt:  item.Description,
		Content:  item.Content,
		Language: language,
		Tags:     hashtags(item.Categories),
	}
	if a.Content == "" {
		a.Content, a.Excerpt = item.Description, ""
	}
	if item.PublishedParsed != nil {
		a.Published = item.PublishedParsed.UTC()
	} else if item.UpdatedParsed != nil {
		a.Published = item.UpdatedParsed.UTC()
	}
	// An image of unknown type would make fedsite refuse the whole article: leave it out.
	if img, ok := itemImage(item); ok && (img.MediaType != "" || imageExt(img.URL)) {
		a.Images = []activitypub.Image{img}
	}
	return a
}

// updatedOf is when the item says it was last changed: updated, else published, else zero.
func updatedOf(item *gofeed.Item) time.Time {
	switch {
	case item.UpdatedParsed != nil:
		return item.UpdatedParsed.UTC()
	case item.PublishedParsed != nil:
		return item.PublishedParsed.UTC()
	}
	return time.Time{}
}

// contentHash is a digest of everything an article federates but its dates, so that an edit of
// any of it, and nothing else, is noticed.
func contentHash(a activitypub.Article) string {
	a.Published = time.Time{}
	b, _ := json.Marshal(a) // an Article always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashtags turns categories into hashtags: "Local News" becomes LocalNews; characters a hashtag
// cannot hold are dropped, and so are categories left empty or all digits.
func hashtags(categories []string) []string {
	var tags []string
	seen := map[string]bool{}
	for _, c := range categories {
		tag := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
				return r
			}
			return -1
		}, c)
		if tag == "" || strings.IndexFunc(tag, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 || seen[strings.ToLower(tag)] {
			continue
		}
		seen[strings.ToLower(tag)] = true
		tags = append(tags, tag)
	}
	return tags
}

// itemImage is the item's image: an image enclosure, else a media:content image (with its
// media:description or media:title as alt text), else the image gofeed found (Atom and JSON Feed
// images, media:thumbnail, iTunes).
func itemImage(item *gofeed.Item) (activitypub.Image, bool) {
	for _, e := range item.Enclosures {
		if strings.HasPrefix(e.Type, "image/") && e.URL != "" {
			return activitypub.Image{URL: e.URL, MediaType: e.Type}, true
		}
	}
	for _, m := range item.Extensions["media"]["content"] {
		src, typ := m.Attrs["url"], m.Attrs["type"]
		if src == "" || !(strings.HasPrefix(typ, "image/") || m.Attrs["medium"] == "image") {
			continue
		}
		img := activitypub.Image{URL: src, MediaType: typ}
		for _, name := range []string{"description", "title"} {
			if v := m.Children[name]; len(v) > 0 && strings.TrimSpace(v[0].Value) != "" {
				img.Alt = strings.TrimSpace(v[0].Value)
				break
			}
		}
		return img, true
	}
	if item.Image != nil && item.Image.URL != "" {
		return activitypub.Image{URL: item.Image.URL, Alt: item.Image.Title}, true
	}
	return activitypub.Image{}, false
}

// imageExt reports whether the URL's path ends in an image file's extension.
func imageExt(u string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.HasPrefix(mime.TypeByExtension(path.Ext(p.Path)), "image/")
}
