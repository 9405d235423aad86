package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/fedsite/fedsite/activitypub"
)

// pageMeta is what an article's own page says of it in its Open Graph tags, read once.
type pageMeta struct {
	Read        bool   `json:"read,omitempty"`
	Image       string `json:"image,omitempty"`
	Description string `json:"description,omitempty"`
}

// pageReader reads the site's article pages: their Open Graph tags, for items that lack an image
// or a summary, and their status, for the re-check of articles that left the feed.
type pageReader struct {
	client    *http.Client // SSRF-guarded, with a timeout
	maxBytes  int64        // of a page read for its tags
	userAgent string
	log       *slog.Logger
}

// complete fills what a lacks from its page's og:image (the lead image, which servers show as
// the link's preview) and og:description (the excerpt). The page is read at most once: what it said is returned, to be
// kept with the item, and passed back as known the next time. A page that cannot be read is
// logged and leaves a as it is; it is not read again either.
func (r *pageReader) complete(ctx context.Context, a activitypub.Article, known pageMeta) (activitypub.Article, pageMeta) {
	if a.Excerpt != "" && (a.ImageURL != "" || len(a.Images) > 0) {
		return a, known
	}
	if !known.Read {
		var err error
		if known, err = r.read(ctx, a.URL); err != nil {
			r.log.Warn("fedsite: article page not read for its image and summary", "url", a.URL, "err", err)
		}
		known.Read = true
	}
	if a.ImageURL == "" && len(a.Images) == 0 && imageExt(known.Image) {
		a.ImageURL = known.Image
	}
	if a.Excerpt == "" {
		a.Excerpt = known.Description
	}
	return a, known
}

// read GETs the page at u and reads the Open Graph tags in its head, from at most maxBytes of it.
func (r *pageReader) read(ctx context.Context, u string) (pageMeta, error) {
	resp, err := r.get(ctx, u)
	if err != nil {
		return pageMeta{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return pageMeta{}, fmt.Errorf("fedsite: page %s: status %d", u, resp.StatusCode)
	}
	return openGraph(io.LimitReader(resp.Body, r.maxBytes), resp.Request.URL), nil
}

// status GETs the page at u and returns its status, reading none of its body.
func (r *pageReader) status(ctx context.Context, u string) (int, error) {
	resp, err := r.get(ctx, u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (r *pageReader) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fedsite: page %s: %w", u, err)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fedsite: page %s: %w", u, err)
	}
	return resp, nil
}

// openGraph reads og:image and og:description from the head of an HTML page at
// base; a relative og:image is resolved against base. It stops at the body.
func openGraph(page io.Reader, base *url.URL) pageMeta {
	var m pageMeta
	z := html.NewTokenizer(page)
	for {
		switch z.Next() {
		case html.ErrorToken:
			return m
		case html.StartTagToken, html.SelfClosingTagToken:
			name, attrs := z.TagName()
			switch string(name) {
			case "body":
				return m
			case "meta":
			default:
				continue
			}
			var prop, content string
			for attrs {
				var k, v []byte
				k, v, attrs = z.TagAttr()
				switch string(k) {
				case "property", "name":
					prop = strings.ToLower(string(v))
				case "content":
					content = strings.TrimSpace(string(v))
				}
			}
			switch {
			case content == "":
			case prop == "og:image" && m.Image == "":
				if u, err := base.Parse(content); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
					m.Image = u.String()
				}
			case prop == "og:description" && m.Description == "":
				m.Description = content
			}
		}
	}
}

// recheckPolicy bounds the re-checks of articles that left their feed. A feed is a window, so an
// article leaving it is no deletion; but an article deleted on the site leaves it too. So, for
// Window after it left, the article's URL is fetched at most once every Every, by at most PerPoll
// articles a poll (those that left longest ago first); a 404 or 410 deletes it. Any other answer,
// or none, changes nothing, and after Window it is no longer checked: delete it with the webhook.
type recheckPolicy struct {
	Window, Every time.Duration
	PerPoll       int
}

// The re-check policy of fedsite serve: daily, for a week, ten articles a poll.
const (
	recheckWindow  = 7 * 24 * time.Hour
	recheckEvery   = 24 * time.Hour
	recheckPerPoll = 10
)

// recheckLeft re-checks the articles that left the feed and are due under the policy.
func (p *poller) recheckLeft(ctx context.Context) error {
	now := p.now().UTC()
	type due struct {
		url string
		it  seenItem
	}
	var list []due
	isDue := func(it seenItem) bool {
		return !it.Left.IsZero() && it.Deleted.IsZero() && now.Sub(it.Left) <= p.recheck.Window && now.Sub(it.Checked) >= p.recheck.Every
	}
	for u, it := range p.ledger.listedBy(p.feedURL, isDue) {
		list = append(list, due{u, it})
	}
	slices.SortFunc(list, func(a, b due) int { return a.it.Left.Compare(b.it.Left) })
	for _, d := range list[:min(len(list), p.recheck.PerPoll)] {
		if err := p.recheckOne(ctx, d.url); err != nil {
			return err
		}
	}
	return nil
}

// recheckOne fetches the article's URL and deletes the article when it answers 404 or 410.
func (p *poller) recheckOne(ctx context.Context, u string) error {
	code, err := p.pages.status(ctx, u)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.ledger.op.Lock()
	defer p.ledger.op.Unlock()
	it, ok := p.ledger.item(u)
	if !ok || !it.Deleted.IsZero() || it.Left.IsZero() {
		return nil // deleted by the webhook, or back in the feed, meanwhile
	}
	it.Checked = p.now().UTC()
	if err != nil || (code != http.StatusNotFound && code != http.StatusGone) {
		p.log.Debug("fedsite: article that left the feed re-checked", "url", u, "status", code, "err", err)
		p.ledger.setItem(u, it)
		return nil
	}
	if err := p.fed.Delete(ctx, it.Actor, u); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("fedsite: delete %s: %w", u, err)
	}
	p.log.Info("fedsite: deleted: the article's URL answered "+http.StatusText(code), "url", u, "actor", it.Actor)
	it.Deleted = it.Checked
	p.ledger.setItem(u, it)
	return nil
}
