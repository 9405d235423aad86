package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrBadBlock reports a [Block] that names neither or both of a domain and an actor, or a domain
// that is not a host name.
var ErrBadBlock = errors.New("store: bad block")

// Block is a remote server or actor the site refuses: nothing is accepted from it, fetched from
// it or delivered to it. Exactly one of Domain and ActorID is set.
type Block struct {
	// Domain is a blocked host name, without scheme or port. The block covers the domain and all
	// its subdomains, as Mastodon's domain blocks do.
	Domain string
	// ActorID is a blocked actor's IRI. The block covers the IRI with any fragment, so the
	// actor's keys too, and the IRIs under its path, such as its personal inbox (see
	// [BlockTargets]).
	ActorID string
	// Reason says why, for the site's moderators; free text.
	Reason string
	// CreatedBy names who blocked: the site's own id for the moderator, free text.
	CreatedBy string
	// CreatedAt is when the block was made. Adapters set it when it is zero.
	CreatedAt time.Time
}

// Normalized returns b in the form adapters store and compare: Domain lower-cased and without a
// final dot, ActorID without a fragment. It returns an error matching ErrBadBlock when b names
// neither or both, or when Domain is not a bare host name (a scheme, port, path or space).
func (b Block) Normalized() (Block, error) {
	switch {
	case (b.Domain == "") == (b.ActorID == ""):
		return Block{}, fmt.Errorf("%w: exactly one of Domain and ActorID must be set", ErrBadBlock)
	case b.Domain != "":
		b.Domain = normDomain(b.Domain)
		if b.Domain == "" || strings.ContainsAny(b.Domain, "/:@?#[]% \t\r\n") {
			return Block{}, fmt.Errorf("%w: domain %q is not a host name", ErrBadBlock, b.Domain)
		}
	default:
		b.ActorID = stripFragment(b.ActorID)
		if _, ok := HostOf(b.ActorID); !ok {
			return Block{}, fmt.Errorf("%w: actor %q is not an absolute IRI", ErrBadBlock, b.ActorID)
		}
	}
	return b, nil
}

// Target is what a normalized block blocks: its Domain or its ActorID, whichever is set. A
// domain never holds a '/' and an actor IRI always does, so the two never collide.
func (b Block) Target() string {
	if b.Domain != "" {
		return b.Domain
	}
	return b.ActorID
}

// Covers reports whether the normalized block b covers iri (see [BlockTargets]).
func (b Block) Covers(iri string) bool {
	t := b.Target()
	for _, k := range BlockTargets(iri) {
		if k == t {
			return true
		}
	}
	return false
}

// BlockTargets lists the targets (see [Block.Target]) whose block covers iri, in this order:
//   - actor blocks: the IRI without its fragment (so an actor's keys are covered with it), then
//     each ancestor of its path, without query, down to the first segment: an actor's block
//     covers what lies under its IRI, such as its personal inbox and, on Mastodon, its statuses;
//   - domain blocks: the IRI's host, then each parent domain of it.
//
// An IRI without a host, which nothing fetches or trusts anyway, has only the first. Adapters
// answer [Blocks.Blocked] by looking these up.
func BlockTargets(iri string) []string {
	s := stripFragment(iri)
	out := []string{s}
	host, ok := HostOf(iri)
	if !ok {
		return out
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
		out = append(out, s)
	}
	// The path starts at the first '/' after "scheme://"; an ancestor keeps a segment of it.
	if auth := strings.Index(s, "://"); auth >= 0 {
		if p := strings.IndexByte(s[auth+3:], '/'); p >= 0 {
			pathStart := auth + 3 + p
			for {
				i := strings.LastIndexByte(s, '/')
				if i <= pathStart {
					break
				}
				s = s[:i]
				out = append(out, s)
			}
		}
	}
	for d := host; d != ""; {
		out = append(out, d)
		_, rest, found := strings.Cut(d, ".")
		if !found {
			break
		}
		d = rest
	}
	return out
}

// HostOf returns the host name of an absolute IRI as blocks compare it: lower-cased, without port
// or final dot. ok is false when iri has no host.
func HostOf(iri string) (host string, ok bool) {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return "", false
	}
	h := normDomain(u.Hostname())
	return h, h != ""
}

func normDomain(d string) string { return strings.TrimSuffix(strings.ToLower(d), ".") }

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// Blocks keeps the servers and actors the site blocks, for every instance sharing the store.
type Blocks interface {
	// AddBlock records b (normalized, see [Block.Normalized]) and removes every follower, of any
	// local actor, whose FollowerID b covers, all or nothing; it returns the removed followers in
	// no particular order. A target already blocked keeps its block as it was (Reason, CreatedBy,
	// CreatedAt, place); the followers it covers are removed all the same, so a call repeated
	// after a failure finishes the work. A bad b is an error matching ErrBadBlock.
	AddBlock(ctx context.Context, b Block) ([]Follower, error)
	// RemoveBlock lifts the block of target, a normalized block's [Block.Target]; ErrNotFound
	// when there is none.
	RemoveBlock(ctx context.Context, target string) error
	// BlocksPage lists the blocks, newest first.
	BlocksPage(ctx context.Context, cursor string, limit int) (Page[Block], error)
	// Blocked reports for each IRI, in the order given, whether a block covers it: one of its
	// [BlockTargets] is blocked. It reads them all at once, so that an inbox request or a page of
	// deliveries costs one read; it is on the path of every inbox request.
	Blocked(ctx context.Context, iris ...string) ([]bool, error)
}
