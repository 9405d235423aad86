package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Threads: a reply to a reply to one of the site's objects is part of that object's
// conversation. Its inReplyTo chain is walked up to the site's object, through the replies
// fedsite keeps and, for the others, signed fetches from their servers, within limits.

const (
	// maxThreadDepth is how many steps up the inReplyTo chain, the site's object included, a
	// reply is followed before it is taken for none of the site's conversations.
	maxThreadDepth = 8
	// threadFetchTime bounds the fetches of one walk up a chain.
	threadFetchTime = 10 * time.Second
)

// errNoThread says that a walk up an inReplyTo chain reached none of the site's objects.
var errNoThread = errors.New("activitypub: not in a conversation of the site")

// threadOf walks up the inReplyTo chain from parent, the post a reply answers, that is not one of
// the site's objects, and returns the site's object whose conversation it belongs to, and the
// posts fetched on the way that fedsite did not keep, nearest first. A parent fedsite keeps as a
// reply ends the walk with its object. The walk stops with errNoThread at a post that answers
// nothing, at a loop, at a post on a blocked server, after maxThreadDepth posts, or when a fetch
// fails or threadFetchTime has passed.
func (in *inbox) threadOf(ctx context.Context, parent string) (string, []*vocab.Object, error) {
	ctx, cancel := context.WithTimeout(ctx, threadFetchTime)
	defer cancel()
	var fetched []*vocab.Object
	seen := make(map[string]bool)
	for cur := parent; len(seen) < maxThreadDepth; {
		if cur == "" || seen[cur] {
			return "", nil, errNoThread
		}
		seen[cur] = true
		if ok, err := in.ours(ctx, cur); err != nil || ok {
			return cur, fetched, err
		}
		kept, err := in.interactions.Interaction(ctx, cur)
		if err == nil && (kept.Kind == store.InteractionReply || kept.Kind == store.InteractionHiddenReply) {
			return kept.ObjectID, fetched, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", nil, fmt.Errorf("activitypub: thread of %s: %w", parent, err)
		}
		blocked, err := in.blocks.blocked(ctx, cur)
		if err != nil {
			return "", nil, err
		}
		if blocked {
			return "", nil, errNoThread
		}
		_, doc, err := in.remote.fetch(ctx, cur)
		if err != nil {
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: thread walk stopped", slog.String("at", cur), slog.Any("err", err))
			return "", nil, errNoThread
		}
		if !isNote(doc) {
			return "", nil, errNoThread
		}
		fetched = append(fetched, doc)
		cur = doc.InReplyTo.ID()
	}
	return "", nil, errNoThread
}

// keepAncestors keeps the posts a walk up a thread fetched (nearest first) as replies in the
// conversation of target, farthest first, so that the thread is whole; one that cannot be kept
// (attributed to an actor of another server, say) is skipped and logged.
func (in *inbox) keepAncestors(ctx context.Context, target string, ancestors []*vocab.Object) error {
	for i := len(ancestors) - 1; i >= 0; i-- {
		obj := ancestors[i]
		var author string
		if ids := obj.AttributedTo.IDs(); len(ids) > 0 {
			author = ids[0]
		}
		if author == "" || !sameOrigin(author, obj.ID) {
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: thread post without an author of its server",
				slog.String("id", obj.ID), slog.String("author", author))
			continue
		}
		if blocked, err := in.blocks.blocked(ctx, author); err != nil || blocked {
			if err != nil {
				return err
			}
			continue
		}
		req := &inboxRequest{act: &vocab.Object{Type: vocab.Types{"Create"}, Actor: vocab.Ref{IRI: author}, Object: vocab.Ref{Object: obj}}}
		if err := in.keepReply(ctx, req, author, obj, target, false); err != nil {
			return err
		}
	}
	return nil
}
