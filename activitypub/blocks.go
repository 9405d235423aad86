package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Blocks are kept in Config.Store (store.Blocks), so every instance sharing it applies them at
// once and they survive restarts. A blocked server or actor is refused everywhere: its inbox
// requests and signed fetches get 403 before anything is fetched, nothing is fetched from it (the
// instance actor's client refuses its URLs, redirects included), nothing is delivered to it (the
// delivery engine's Config.Blocks), and its followers are removed when the block is made.

// BlockDomain blocks a server and all its subdomains, as Mastodon's domain blocks do: domain is a
// host name such as "spam.example", without scheme or port. The site user in ctx (see [WithUser])
// is who blocked, and reason says why; both are kept with the block and audited. Every
// follower on the domain, of every site actor, is removed and reported to
// Config.OnFollowersGone. Blocking a domain already blocked keeps the first block and removes the
// followers all the same. A domain that is not a host name, or the site's own, is an
// *InvalidError.
func (f *Federation) BlockDomain(ctx context.Context, domain, reason string) error {
	if err := f.authorize(ctx, ActionBlock, "", domain); err != nil {
		return err
	}
	return f.block(ctx, store.Block{Domain: domain, CreatedBy: userFrom(ctx), Reason: reason}, "domain")
}

// BlockActor blocks one remote actor, given by its id: its keys (the id with a fragment) too.
// The rest is as for [Federation.BlockDomain]: its follows of every site actor are removed and
// reported to Config.OnFollowersGone. An id that is not an absolute IRI, or one of the site's, is
// an *InvalidError.
func (f *Federation) BlockActor(ctx context.Context, actorID, reason string) error {
	if err := f.authorize(ctx, ActionBlock, "", actorID); err != nil {
		return err
	}
	return f.block(ctx, store.Block{ActorID: actorID, CreatedBy: userFrom(ctx), Reason: reason}, "actor")
}

// UnblockDomain lifts a block made with BlockDomain; it returns an error matching ErrNotFound
// when the domain is not blocked. Followers removed by the block stay removed: they may follow
// again.
func (f *Federation) UnblockDomain(ctx context.Context, domain string) error {
	if err := f.authorize(ctx, ActionUnblock, "", domain); err != nil {
		return err
	}
	return f.unblock(ctx, store.Block{Domain: domain}, "domain")
}

// UnblockActor lifts a block made with BlockActor, as [Federation.UnblockDomain] does.
func (f *Federation) UnblockActor(ctx context.Context, actorID string) error {
	if err := f.authorize(ctx, ActionUnblock, "", actorID); err != nil {
		return err
	}
	return f.unblock(ctx, store.Block{ActorID: actorID}, "actor")
}

// Blocks lists the blocks, newest first, with who made each, when and why; cursor is "" for the
// first page or a previous page's Next. A limit below 1 is Config.Publishing.PageSize.
func (f *Federation) Blocks(ctx context.Context, cursor string, limit int) (store.Page[store.Block], error) {
	if limit < 1 {
		limit = f.cfg.Publishing.PageSize
	}
	p, err := f.cfg.Store.BlocksPage(ctx, cursor, limit)
	if errors.Is(err, store.ErrBadCursor) {
		return p, invalid("cursor", "%q is not a page of blocks", cursor)
	}
	if err != nil {
		return p, fmt.Errorf("activitypub: blocks: %w", err)
	}
	return p, nil
}

func (f *Federation) block(ctx context.Context, b store.Block, field string) error {
	b, err := normalizeBlock(b, field, f.urls.base)
	if err != nil {
		return err
	}
	b.CreatedAt = f.cfg.Now()
	removed, err := f.cfg.Store.AddBlock(ctx, b)
	f.blocks.changed()
	if err != nil {
		return fmt.Errorf("activitypub: block %s: %w", b.Target(), err)
	}
	f.audit.record(ctx, store.AuditEntry{Action: "block", Object: b.Target(), Detail: b.Reason})
	f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: blocked", slog.String("target", b.Target()),
		slog.String("by", b.CreatedBy), slog.Int("removed", len(removed)))
	followersGone(ctx, f.cfg.OnFollowersGone, removed)
	return nil
}

func (f *Federation) unblock(ctx context.Context, b store.Block, field string) error {
	b, err := normalizeBlock(b, field, f.urls.base)
	if err != nil {
		return err
	}
	err = f.cfg.Store.RemoveBlock(ctx, b.Target())
	f.blocks.changed()
	if err != nil { // ErrNotFound when not blocked
		return fmt.Errorf("activitypub: unblock %s: %w", b.Target(), err)
	}
	f.audit.record(ctx, store.AuditEntry{Action: "unblock", Object: b.Target()})
	return nil
}

// normalizeBlock checks a block the site asks for and returns it normalized. A block of the site
// itself, site (a domain covering its host, an actor on its origin), is refused.
func normalizeBlock(b store.Block, field, site string) (store.Block, error) {
	n, err := b.Normalized()
	if err != nil {
		return store.Block{}, invalid(field, "%v", err)
	}
	own := n.Covers(site)
	if n.ActorID != "" {
		if _, ok := origin(n.ActorID); !ok {
			return store.Block{}, invalid(field, "%q is not an http(s) IRI", b.ActorID)
		}
		own = sameOrigin(n.ActorID, site)
	}
	if own {
		return store.Block{}, invalid(field, "%q is the site itself", n.Target())
	}
	return n, nil
}

// followersGone tells hook, Config.OnFollowersGone, about followers removed by a block, once per
// delivery inbox, as deliveries that met a 410 do.
func followersGone(ctx context.Context, hook func(ctx context.Context, inbox string, removed []store.Follower), removed []store.Follower) {
	if hook == nil || len(removed) == 0 {
		return
	}
	var inboxes []string
	byInbox := make(map[string][]store.Follower)
	for _, fl := range removed {
		in := fl.DeliveryInbox()
		if byInbox[in] == nil {
			inboxes = append(inboxes, in)
		}
		byInbox[in] = append(byInbox[in], fl)
	}
	for _, in := range inboxes {
		hook(ctx, in, byInbox[in])
	}
}

// checkBlocked returns an error matching ErrBlocked when a block covers iri.
func checkBlocked(ctx context.Context, blocks *blockList, iri string) error {
	blocked, err := blocks.blocked(ctx, iri)
	if err != nil {
		return fmt.Errorf("activitypub: blocks: %w", err)
	}
	if blocked {
		return fmt.Errorf("activitypub: %s: %w", iri, ErrBlocked)
	}
	return nil
}

const (
	// blockListTTL is how long blockList answers from the block list it read: a block made
	// through another Federation sharing the store takes effect here at most this late; one made
	// through this Federation, at once.
	blockListTTL = 2 * time.Second
	// maxHeldBlocks is the most blocks blockList holds in memory; with more, it asks the store
	// each time.
	maxHeldBlocks = 100_000
)

// blockList answers block checks, which every inbox request and every fetch makes, from the
// store's block list held in memory, read again once it is blockListTTL old or after this
// Federation changed it: a store read per request cost the SQLite inbox a quarter of its CPU.
type blockList struct {
	store store.Blocks
	now   func() time.Time
	limit int // the most blocks held (maxHeldBlocks)

	mu      sync.RWMutex
	read    time.Time       // when targets was read; zero: read it before the next answer
	targets map[string]bool // the stored blocks' targets; nil: too many to hold, ask the store
}

// blocked reports whether a block covers iri (see store.BlockTargets).
func (b *blockList) blocked(ctx context.Context, iri string) (bool, error) {
	now := b.now()
	b.mu.RLock()
	targets, fresh := b.targets, b.fresh(now)
	b.mu.RUnlock()
	if !fresh {
		b.mu.Lock()
		if !b.fresh(now) {
			t, err := b.load(ctx)
			if err != nil {
				b.mu.Unlock()
				return false, err
			}
			b.targets, b.read = t, now
		}
		targets = b.targets
		b.mu.Unlock()
	}
	if targets == nil {
		got, err := b.store.Blocked(ctx, iri)
		if err != nil {
			return false, err
		}
		if len(got) != 1 {
			return false, fmt.Errorf("%d answers for one IRI", len(got))
		}
		return got[0], nil
	}
	return slices.ContainsFunc(store.BlockTargets(iri), func(t string) bool { return targets[t] }), nil
}

// fresh reports whether the list read is recent enough to answer at now. b.mu is held.
func (b *blockList) fresh(now time.Time) bool {
	return !b.read.IsZero() && !now.Before(b.read) && now.Sub(b.read) < blockListTTL
}

// load reads every block's target, or returns nil when there are more than b.limit.
func (b *blockList) load(ctx context.Context) (map[string]bool, error) {
	targets := make(map[string]bool)
	for cursor := ""; ; {
		p, err := b.store.BlocksPage(ctx, cursor, 1000)
		if err != nil {
			return nil, err
		}
		for _, bl := range p.Items {
			targets[bl.Target()] = true
		}
		if len(targets) > b.limit {
			return nil, nil
		}
		if cursor = p.Next; cursor == "" {
			return targets, nil
		}
	}
}

// changed makes the next check read the list again, after this Federation added or lifted a
// block.
func (b *blockList) changed() {
	b.mu.Lock()
	b.read = time.Time{}
	b.mu.Unlock()
}
