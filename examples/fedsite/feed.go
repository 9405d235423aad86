package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/retryafter"
)

// publisher is what the poller needs of the federation.
type publisher interface {
	Backfill(ctx context.Context, username string, articles []activitypub.Article) error
	Publish(ctx context.Context, username string, a activitypub.Article) error
	Update(ctx context.Context, username string, a activitypub.Article) error
	Delete(ctx context.Context, username, articleURL string) error
}

// poller reads one of the site's feeds and federates what is new or changed in it, as the
// feed's actor or, for an item whose author the authors map names, as that author's actor.
type poller struct {
	feedURL   string
	actor     string // the feed's actor
	authors   authorMap
	client    *http.Client // SSRF-guarded, with a timeout
	maxBody   int64
	userAgent string
	fed       publisher
	ledger    *ledger
	pages     *pageReader
	recheck   recheckPolicy
	log       *slog.Logger
	now       func() time.Time
}

// retryAfter is a poll the feed's server asked to delay (429 or 503 with Retry-After).
type retryAfter struct {
	status int
	wait   time.Duration
}

func (e *retryAfter) Error() string {
	return fmt.Sprintf("feed answered %d: retry after %s", e.status, e.wait)
}

// run polls the feed every interval until ctx ends; a Retry-After longer than the interval
// delays the next poll as the feed's server asked.
func (p *poller) run(ctx context.Context, interval time.Duration) {
	for {
		wait := interval
		if err := p.poll(ctx); err != nil {
			if ra, ok := errors.AsType[*retryAfter](err); ok {
				wait = max(wait, ra.wait)
			}
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("fedsite: poll failed; the next poll tries again", "feed", p.feedURL, "err", err, "next", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// poll fetches the feed once, with a conditional GET, and federates it: at the feed's first
// successful poll every item is backfilled without being sent; later, a Create goes out for each
// new item and an Update for each changed one. It then re-checks the articles that left the feed
// (see recheckPolicy). A feed that cannot be fetched or parsed changes nothing.
func (p *poller) poll(ctx context.Context) error {
	meta := p.ledger.feed(p.feedURL)
	feed, resp, err := p.fetch(ctx, meta.ETag, meta.LastModified)
	if err != nil {
		return err
	}
	if feed != nil {
		meta.Profile = profile{Title: feed.Title, Description: feed.Description}
		if feed.Image != nil {
			meta.Profile.ImageURL = feed.Image.URL
		}
		items := p.items(feed)
		if !meta.Backfilled {
			err = p.backfill(ctx, items)
			meta.Backfilled = err == nil
		} else {
			err = p.federate(ctx, items)
		}
		if err == nil {
			p.markLeft(items)
			// The validators are kept only once the whole feed was federated, so a failure is
			// retried with a full GET.
			meta.ETag, meta.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		}
		p.ledger.setFeed(p.feedURL, meta)
	}
	if err == nil {
		err = p.recheckLeft(ctx)
	}
	if serr := p.ledger.save(); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// feedItem is an item ready to federate.
type feedItem struct {
	article activitypub.Article
	actor   string
	updated time.Time
	hash    string
}

// items maps the feed's items to articles, oldest first, each URL once; an item without a
// link or a title is left out with a warning.
func (p *poller) items(feed *gofeed.Feed) []feedItem {
	var items []feedItem
	seen := map[string]bool{}
	for _, it := range feed.Items {
		a := toArticle(it, feed.Language)
		if a.URL == "" || a.Title == "" {
			p.log.Warn("fedsite: feed item without a link or a title left out", "feed", p.feedURL, "guid", it.GUID, "link", a.URL)
			continue
		}
		if seen[a.URL] {
			continue // the same item twice federates once
		}
		seen[a.URL] = true
		if a.Published.IsZero() {
			a.Published = p.now().UTC() // Backfill and Publish date the post; the feed did not
		}
		items = append(items, feedItem{article: a, actor: p.actorOf(it), updated: updatedOf(it), hash: contentHash(a)})
	}
	slices.SortStableFunc(items, func(a, b feedItem) int { return a.article.Published.Compare(b.article.Published) })
	return items
}

// actorOf is the actor an item is published as: the first of its authors, by name or e-mail,
// that the authors map names, else the feed's actor.
func (p *poller) actorOf(it *gofeed.Item) string {
	var names []string
	for _, who := range append([]*gofeed.Person{it.Author}, it.Authors...) {
		if who != nil {
			names = append(names, who.Name, who.Email)
		}
	}
	return p.authors.actor(p.actor, names...)
}

// authorMap maps authors, by lower-cased name or e-mail address, to the actors they publish as.
type authorMap map[string]string

// actor returns the actor of the first of names the map holds, else fallback.
func (m authorMap) actor(fallback string, names ...string) string {
	for _, n := range names {
		if a, ok := m[strings.ToLower(strings.TrimSpace(n))]; ok && n != "" {
			return a
		}
	}
	return fallback
}

// backfill puts every item in the outbox without sending it. Each is backfilled alone, oldest
// first, so one fedsite refuses (a link off the site, say) is logged and does not hold back the
// others. A store failure ends the pass with an error, the backfill still to do: the items it
// did not reach must not be sent as new at the next poll. An item the sidecar knows already
// (from another feed or the webhook) is only marked as listed by this feed.
func (p *poller) backfill(ctx context.Context, items []feedItem) error {
	n := 0
	for _, it := range items {
		if prev, known := p.ledger.item(it.article.URL); known {
			p.ledger.setItem(it.article.URL, p.listed(prev, it))
			continue
		}
		err := p.fed.Backfill(ctx, it.actor, []activitypub.Article{it.article})
		if _, invalid := errors.AsType[*activitypub.InvalidError](err); invalid || errors.Is(err, activitypub.ErrNotFound) {
			p.log.Warn("fedsite: feed item not backfilled", "url", it.article.URL, "actor", it.actor, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("fedsite: backfill %s: %w", it.article.URL, err)
		}
		p.ledger.setItem(it.article.URL, p.listed(seenItem{Actor: it.actor}, it))
		n++
	}
	p.log.Info("fedsite: feed backfilled, nothing sent; new items will be", "feed", p.feedURL, "items", n)
	return nil
}

// listed is prev as this feed lists it now, with the item's hash and date.
func (p *poller) listed(prev seenItem, it feedItem) seenItem {
	prev.Hash, prev.Updated = it.hash, it.updated
	prev.Feed, prev.Left, prev.Checked = p.feedURL, time.Time{}, time.Time{}
	return prev
}

// federate sends a Create for each new item and an Update for each changed one, recording each.
// An item fedsite refuses is logged and left out; a store failure ends the pass.
func (p *poller) federate(ctx context.Context, items []feedItem) error {
	for _, it := range items {
		if err := p.federateOne(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// federateOne federates one item of the feed, if it is new or changed. An item that another feed
// lists is that feed's; one deleted stays deleted; one the webhook published is recorded as
// listed, and sent again only once the feed changes it.
func (p *poller) federateOne(ctx context.Context, it feedItem) error {
	a := it.article
	p.ledger.op.Lock()
	defer p.ledger.op.Unlock()
	prev, known := p.ledger.item(a.URL)
	var err error
	switch {
	case known && prev.Feed != "" && prev.Feed != p.feedURL && prev.Left.IsZero():
		return nil // another feed lists it: it federates from there, once
	case known && !prev.Deleted.IsZero():
		p.ledger.setItem(a.URL, p.listed(prev, it))
		return nil
	case known && prev.Hash != "" && prev.Hash == it.hash && prev.Updated.Equal(it.updated):
		if prev.Feed != p.feedURL || !prev.Left.IsZero() {
			p.ledger.setItem(a.URL, p.listed(prev, it)) // back in the feed
		}
		return nil
	case known && prev.Hash == "":
		p.ledger.setItem(a.URL, p.listed(prev, it)) // the webhook sent it first
		return nil
	case known:
		a, prev.Page = p.pages.complete(ctx, a, prev.Page)
		if err = p.fed.Update(ctx, prev.Actor, a); err == nil {
			p.log.Info("fedsite: updated", "url", a.URL, "actor", prev.Actor)
		}
	default:
		prev.Actor = it.actor
		a, prev.Page = p.pages.complete(ctx, a, prev.Page)
		err = p.fed.Publish(ctx, it.actor, a)
		if errors.Is(err, activitypub.ErrAlreadyPublished) {
			err = nil // published before the state was saved: a crash between the two
		} else if err == nil {
			p.log.Info("fedsite: published", "url", a.URL, "actor", it.actor)
		}
	}
	if _, invalid := errors.AsType[*activitypub.InvalidError](err); invalid || errors.Is(err, activitypub.ErrNotFound) {
		p.log.Warn("fedsite: feed item not federated", "url", a.URL, "actor", prev.Actor, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("fedsite: federate %s: %w", a.URL, err)
	}
	p.ledger.setItem(a.URL, p.listed(prev, it))
	return nil
}

// markLeft records when each article this feed listed left it.
func (p *poller) markLeft(items []feedItem) {
	now := make(map[string]bool, len(items))
	for _, it := range items {
		now[it.article.URL] = true
	}
	listed := p.ledger.listedBy(p.feedURL, func(it seenItem) bool { return it.Left.IsZero() })
	for u, it := range listed {
		if !now[u] {
			it.Left = p.now().UTC()
			p.ledger.setItem(u, it)
		}
	}
}

// fetch GETs the feed, conditionally, and parses it. It returns a nil feed and no error when
// the feed is unchanged (304); a *retryAfter for 429 and 503; an error for any other status, a
// body over maxBody, a timeout or a feed gofeed cannot parse.
func (p *poller) fetch(ctx context.Context, etag, lastModified string) (*gofeed.Feed, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.feedURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fedsite: feed %s: %w", p.feedURL, err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
	req.Header.Set("User-Agent", p.userAgent)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fedsite: feed %s: %w", p.feedURL, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, resp, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return nil, nil, &retryAfter{status: resp.StatusCode, wait: retryafter.Parse(resp.Header.Get("Retry-After"), p.now())}
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("fedsite: feed %s: status %d", p.feedURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("fedsite: feed %s: %w", p.feedURL, err)
	}
	if int64(len(body)) > p.maxBody {
		return nil, nil, fmt.Errorf("fedsite: feed %s: body over %d bytes (see -max-feed-bytes)", p.feedURL, p.maxBody)
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("fedsite: feed %s: %w", p.feedURL, err)
	}
	return feed, resp, nil
}
