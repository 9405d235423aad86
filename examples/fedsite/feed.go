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
	"sync"
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
}

// poller reads the site's feed and federates what is new or changed in it. Its state (feedState)
// is kept in a file and written only when something changed.
type poller struct {
	feedURL   string
	client    *http.Client // SSRF-guarded, with a timeout
	maxBody   int64
	userAgent string
	actor     string
	fed       publisher
	log       *slog.Logger
	now       func() time.Time
	statePath string

	// state is read and changed by poll only, which runs on one goroutine at a time.
	state feedState

	mu   sync.Mutex // guards prof, which the actor source reads while poll federates
	prof profile
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

// poll fetches the feed once, with a conditional GET, and federates it: at the first successful
// poll every item is backfilled without being sent; later, a Create goes out for each new item
// and an Update for each changed one. A feed that cannot be fetched or parsed changes nothing.
func (p *poller) poll(ctx context.Context) error {
	feed, resp, err := p.fetch(ctx, p.state.ETag, p.state.LastModified)
	if err != nil || feed == nil {
		return err
	}
	next := p.state // a copy of the scalars; Items is copied below
	next.Items = make(map[string]seenItem, len(p.state.Items))
	for k, v := range p.state.Items {
		next.Items[k] = v
	}
	next.Profile = profile{Title: feed.Title, Description: feed.Description}
	if feed.Image != nil {
		next.Profile.ImageURL = feed.Image.URL
	}
	p.setProfile(next.Profile) // the actor's name and summary as the feed now says
	items := p.items(feed)
	if !next.Backfilled {
		err = p.backfill(ctx, items, next.Items)
		next.Backfilled = err == nil
	} else {
		err = p.federate(ctx, items, next.Items)
	}
	if err == nil {
		// The validators are kept only once the whole feed was federated, so a failure is
		// retried with a full GET.
		next.ETag, next.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	if changed(p.state, next) {
		if serr := saveState(p.statePath, next); serr != nil {
			return errors.Join(err, serr)
		}
		p.state = next
	}
	return err
}

// feedItem is an item ready to federate.
type feedItem struct {
	article activitypub.Article
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
		items = append(items, feedItem{article: a, updated: updatedOf(it), hash: contentHash(a)})
	}
	slices.SortStableFunc(items, func(a, b feedItem) int { return a.article.Published.Compare(b.article.Published) })
	return items
}

// backfill puts every item in the outbox without sending it. Each is backfilled alone, oldest
// first, so one fedsite refuses (a link off the site, say) is logged and does not hold back the
// others. A store failure ends the pass with an error, the backfill still to do: the items it
// did not reach must not be sent as new at the next poll.
func (p *poller) backfill(ctx context.Context, items []feedItem, seen map[string]seenItem) error {
	n := 0
	for _, it := range items {
		err := p.fed.Backfill(ctx, p.actor, []activitypub.Article{it.article})
		if _, invalid := errors.AsType[*activitypub.InvalidError](err); invalid {
			p.log.Warn("fedsite: feed item not backfilled", "url", it.article.URL, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("fedsite: backfill %s: %w", it.article.URL, err)
		}
		seen[it.article.URL] = seenItem{Hash: it.hash, Updated: it.updated}
		n++
	}
	p.log.Info("fedsite: feed backfilled, nothing sent; new items will be", "feed", p.feedURL, "items", n)
	return nil
}

// federate sends a Create for each new item and an Update for each changed one, recording each
// in seen. An item fedsite refuses is logged and left out; a store failure ends the pass.
func (p *poller) federate(ctx context.Context, items []feedItem, seen map[string]seenItem) error {
	for _, it := range items {
		a := it.article
		prev, known := seen[a.URL]
		var err error
		switch {
		case !known:
			err = p.fed.Publish(ctx, p.actor, a)
			if errors.Is(err, activitypub.ErrAlreadyPublished) {
				err = nil // published before the state was saved: a crash between the two
			} else if err == nil {
				p.log.Info("fedsite: published", "url", a.URL)
			}
		case prev.Hash != it.hash || !prev.Updated.Equal(it.updated):
			if err = p.fed.Update(ctx, p.actor, a); err == nil {
				p.log.Info("fedsite: updated", "url", a.URL)
			}
		default:
			continue
		}
		if _, invalid := errors.AsType[*activitypub.InvalidError](err); invalid {
			p.log.Warn("fedsite: feed item not federated", "url", a.URL, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("fedsite: federate %s: %w", a.URL, err)
		}
		seen[a.URL] = seenItem{Hash: it.hash, Updated: it.updated}
	}
	return nil
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

// profile returns what the feed says of the site, as last read.
func (p *poller) profile() profile {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.prof
}

func (p *poller) setProfile(pr profile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prof = pr
}

// changed reports whether next differs from st in anything kept.
func changed(st, next feedState) bool {
	if st.Backfilled != next.Backfilled || st.ETag != next.ETag || st.LastModified != next.LastModified ||
		st.Profile != next.Profile || len(st.Items) != len(next.Items) {
		return true
	}
	for k, v := range next.Items {
		if w, ok := st.Items[k]; !ok || w.Hash != v.Hash || !w.Updated.Equal(v.Updated) {
			return true
		}
	}
	return false
}
