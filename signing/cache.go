package signing

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// KeyCache stores resolved public keys for a [Resolver]. Implementations must
// be safe for concurrent use. A cache that fails (e.g. a network store) should
// report a miss and log the failure itself; the Resolver then fetches.
type KeyCache interface {
	// CachedKey returns the key stored under keyID, if present and not
	// expired.
	CachedKey(ctx context.Context, keyID string) (*PublicKey, bool)
	// CacheKey stores key under key.ID for ttl.
	CacheKey(ctx context.Context, key *PublicKey, ttl time.Duration)
}

// memCache is the default KeyCache: a bounded LRU with per-entry expiry.
type memCache struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	ll    *list.List // front = most recently used
	items map[string]*list.Element
}

type memEntry struct {
	key     PublicKey
	expires time.Time
}

func newMemCache(maxEntries int, now func() time.Time) *memCache {
	return &memCache{max: maxEntries, now: now, ll: list.New(), items: make(map[string]*list.Element)}
}

func (c *memCache) CachedKey(_ context.Context, keyID string) (*PublicKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[keyID]
	if !ok {
		return nil, false
	}
	e := el.Value.(*memEntry)
	if !c.now().Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, keyID)
		return nil, false
	}
	c.ll.MoveToFront(el)
	k := e.key
	return &k, true
}

func (c *memCache) CacheKey(_ context.Context, key *PublicKey, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &memEntry{key: *key, expires: c.now().Add(ttl)}
	if el, ok := c.items[key.ID]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[key.ID] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*memEntry).key.ID)
	}
}
