package activitypub

import (
	"context"
	"net/url"
	"strings"
	"sync"
)

// BlockList tells fedsite which remote actors and servers the site refuses. fedsite asks it
// before any other work on a request and before any fetch: the actor of an incoming activity,
// the keyId of a signature (so a blocked server's key is never fetched), the verified signer,
// and any remote actor about to be fetched. A blocked party gets 403.
type BlockList interface {
	// Blocked reports whether iri — an actor id, a key id or another object IRI — is blocked,
	// either itself or through its host. An error makes the request fail with 500, so that the
	// sender retries later rather than being let in.
	Blocked(ctx context.Context, iri string) (bool, error)
}

// BlockListFunc adapts a function to [BlockList].
type BlockListFunc func(ctx context.Context, iri string) (bool, error)

// Blocked calls f.
func (f BlockListFunc) Blocked(ctx context.Context, iri string) (bool, error) { return f(ctx, iri) }

var (
	_ BlockList = BlockListFunc(nil)
	_ BlockList = (*Blocks)(nil)
)

// Blocks is an in-memory [BlockList] for sites without their own, managed at run time. A domain
// block covers the domain and all its subdomains, as Mastodon's domain blocks do; an actor block
// covers the actor's IRI and its keys (the IRI with any fragment). The zero value blocks nothing
// and is ready to use; Blocks is safe for concurrent use. It is not persisted: a site that wants
// blocks to survive a restart re-applies them at start-up or implements BlockList on its data.
type Blocks struct {
	mu      sync.RWMutex
	domains map[string]bool
	actors  map[string]bool
}

// BlockDomain blocks a host name (without port) and its subdomains. Case does not matter.
func (b *Blocks) BlockDomain(domain string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.domains == nil {
		b.domains = make(map[string]bool)
	}
	b.domains[normDomain(domain)] = true
}

// UnblockDomain lifts a domain block set with BlockDomain.
func (b *Blocks) UnblockDomain(domain string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.domains, normDomain(domain))
}

// BlockActor blocks one actor by its IRI.
func (b *Blocks) BlockActor(actorID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.actors == nil {
		b.actors = make(map[string]bool)
	}
	b.actors[stripFragment(actorID)] = true
}

// UnblockActor lifts an actor block set with BlockActor.
func (b *Blocks) UnblockActor(actorID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.actors, stripFragment(actorID))
}

// Blocked implements [BlockList]. An IRI that does not parse as an absolute URL is reported
// blocked, since nothing can be fetched or trusted from it anyway.
func (b *Blocks) Blocked(_ context.Context, iri string) (bool, error) {
	host, ok := hostOf(iri)
	if !ok {
		return true, nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.actors[stripFragment(iri)] {
		return true, nil
	}
	for d := host; d != ""; {
		if b.domains[d] {
			return true, nil
		}
		_, rest, found := strings.Cut(d, ".")
		if !found {
			break
		}
		d = rest
	}
	return false, nil
}

// hostOf returns the lower-cased host name (without port) of an absolute URL.
func hostOf(iri string) (string, bool) {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return "", false
	}
	return normDomain(u.Hostname()), true
}

func normDomain(d string) string { return strings.TrimSuffix(strings.ToLower(d), ".") }

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// noBlocks is the BlockList of a Config without one.
type noBlocks struct{}

func (noBlocks) Blocked(context.Context, string) (bool, error) { return false, nil }
