package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// siteState is what the sidecar keeps between runs, in a JSON file in the data folder: per feed,
// whether its first backfill is done, its validators for conditional GETs and what it says of
// the site; and every article it federated, from a feed or the webhook, by URL.
type siteState struct {
	Feeds map[string]feedMeta `json:"feeds"` // by feed URL
	Items map[string]seenItem `json:"items"` // by article URL
}

// feedMeta is what the sidecar keeps of one feed.
type feedMeta struct {
	Backfilled   bool    `json:"backfilled"`
	ETag         string  `json:"etag,omitempty"`
	LastModified string  `json:"lastModified,omitempty"`
	Profile      profile `json:"profile"`
}

// profile is what a feed says of the site, shown on its actor's profile.
type profile struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"imageURL,omitempty"`
}

// seenItem is an article as last federated. Its times are UTC, so that == compares them.
type seenItem struct {
	// Actor is the username the article was published as; its Update and Delete go out as it.
	Actor string `json:"actor"`
	// Hash and Updated are the article as its feed last listed it; "" and zero when only the
	// webhook told of it.
	Hash    string    `json:"hash,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
	// HookHash is the article as the webhook last sent it; "" when it never did.
	HookHash string `json:"hookHash,omitempty"`
	// Feed is the feed that lists the article, or last listed it; Left is when it left that
	// feed (zero while listed) and Checked when its URL was last re-checked after that.
	Feed    string    `json:"feed,omitempty"`
	Left    time.Time `json:"left,omitzero"`
	Checked time.Time `json:"checked,omitzero"`
	// Deleted is when the article was deleted; its URL is never published again.
	Deleted time.Time `json:"deleted,omitzero"`
	// Page is what the article's own page said, read once when the feed lacked an image or a
	// summary.
	Page pageMeta `json:"page,omitzero"`
}

// ledger is the sidecar's state, shared by the feed pollers and the webhook, and its file. Each
// change is made in memory and marks the ledger dirty; save writes the file when it is.
type ledger struct {
	path string

	// op is held across one article's read-decide-federate-record, so that a poller and the
	// webhook never decide on the same article at once.
	op sync.Mutex

	mu    sync.Mutex // guards st and dirty
	st    siteState
	dirty bool
}

// openLedger reads the state file at path; a missing file is a fresh state.
func openLedger(path string) (*ledger, error) {
	l := &ledger{path: path, st: siteState{Feeds: map[string]feedMeta{}, Items: map[string]seenItem{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fedsite: read state: %w", err)
	}
	if err := json.Unmarshal(b, &l.st); err != nil {
		return nil, fmt.Errorf("fedsite: read state %s: %w", path, err)
	}
	if l.st.Feeds == nil {
		l.st.Feeds = map[string]feedMeta{}
	}
	if l.st.Items == nil {
		l.st.Items = map[string]seenItem{}
	}
	return l, nil
}

// item returns what is kept of the article at url.
func (l *ledger) item(url string) (seenItem, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	it, ok := l.st.Items[url]
	return it, ok
}

// setItem records the article at url.
func (l *ledger) setItem(url string, it seenItem) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dirty = put(l.st.Items, url, it) || l.dirty
}

// put sets m[k] to v and reports whether that changed m.
func put[K, V comparable](m map[K]V, k K, v V) bool {
	if prev, ok := m[k]; ok && prev == v {
		return false
	}
	m[k] = v
	return true
}

// listedBy returns the articles whose Feed is feedURL and for which keep is true, by URL.
func (l *ledger) listedBy(feedURL string, keep func(seenItem) bool) map[string]seenItem {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]seenItem{}
	for u, it := range l.st.Items {
		if it.Feed == feedURL && keep(it) {
			out[u] = it
		}
	}
	return out
}

// feed returns what is kept of the feed at url.
func (l *ledger) feed(url string) feedMeta {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Feeds[url]
}

// setFeed records the feed at url.
func (l *ledger) setFeed(url string, m feedMeta) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dirty = put(l.st.Feeds, url, m) || l.dirty
}

// save writes the state file when something changed since the last save, atomically: a
// temporary file in the same folder, synced, then renamed over the old one, so a crash leaves the
// old state or the new one, never half of one. A failed save stays dirty, to be tried again.
func (l *ledger) save() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return nil
	}
	b, err := json.MarshalIndent(l.st, "", "  ")
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), filepath.Base(l.path)+".*")
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), l.path)
	}
	if err != nil {
		return fmt.Errorf("fedsite: save state: %w", err)
	}
	l.dirty = false
	return nil
}
