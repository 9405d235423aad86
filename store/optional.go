package store

import (
	"context"
	"errors"
	"fmt"
)

// Optional capabilities, as database/sql/driver has them: an adapter may implement each for a
// faster or fuller path, and the helper beside it holds the type assertion and the fallback, so
// no caller asserts. storetest proves a capability only on adapters that implement it.

// countPage is how many items a counting fallback asks for per page.
const countPage = 500

// FollowerCounter is an optional capability of a [Followers] store: counting an actor's
// followers without listing them.
type FollowerCounter interface {
	// CountFollowers returns how many followers an actor has.
	CountFollowers(ctx context.Context, actorID string) (int, error)
}

// CountFollowers returns how many followers an actor has: with f's [FollowerCounter] when it has
// one, else by walking [Followers.FollowersPage], which costs a read per 500 followers.
func CountFollowers(ctx context.Context, f Followers, actorID string) (int, error) {
	if c, ok := f.(FollowerCounter); ok {
		return c.CountFollowers(ctx, actorID)
	}
	return countPages(func(cursor string) (int, string, error) {
		p, err := f.FollowersPage(ctx, actorID, cursor, countPage)
		return len(p.Items), p.Next, err
	})
}

// OutboxCounter is an optional capability of an [Outbox] store: counting an actor's outbox
// without listing it.
type OutboxCounter interface {
	// CountOutbox returns how many activities an actor's outbox holds.
	CountOutbox(ctx context.Context, actorID string) (int, error)
}

// CountOutbox returns how many activities an actor's outbox holds: with o's [OutboxCounter] when
// it has one, else by walking [Outbox.OutboxPage], which costs a read per 500 activities.
func CountOutbox(ctx context.Context, o Outbox, actorID string) (int, error) {
	if c, ok := o.(OutboxCounter); ok {
		return c.CountOutbox(ctx, actorID)
	}
	return countPages(func(cursor string) (int, string, error) {
		p, err := o.OutboxPage(ctx, actorID, cursor, countPage)
		return len(p.Items), p.Next, err
	})
}

// InteractionCounter is an optional capability of an [Interactions] store: counting an object's
// interactions without listing them.
type InteractionCounter interface {
	// CountInteractions counts an object's interactions by kind; kinds with none are absent. Each
	// actor counts once for likes and once for announces.
	CountInteractions(ctx context.Context, objectID string) (map[InteractionKind]int, error)
}

// CountInteractions counts an object's interactions by kind, kinds with none absent: with i's
// [InteractionCounter] when it has one, else by walking [Interactions.InteractionsPage] for each
// of [InteractionKinds], which costs a read per kind and per 500 interactions. Either way each
// actor counts once for likes and once for announces, as the store keeps one of each.
func CountInteractions(ctx context.Context, i Interactions, objectID string) (map[InteractionKind]int, error) {
	if c, ok := i.(InteractionCounter); ok {
		return c.CountInteractions(ctx, objectID)
	}
	m := make(map[InteractionKind]int)
	for _, k := range InteractionKinds() {
		n, err := countPages(func(cursor string) (int, string, error) {
			p, err := i.InteractionsPage(ctx, objectID, k, cursor, countPage)
			return len(p.Items), p.Next, err
		})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			m[k] = n
		}
	}
	return m, nil
}

// countPages adds up the items of a listing, page by page.
func countPages(page func(cursor string) (n int, next string, err error)) (int, error) {
	total, cursor := 0, ""
	for {
		n, next, err := page(cursor)
		if err != nil {
			return 0, fmt.Errorf("store: count: %w", err)
		}
		total += n
		if next == "" {
			return total, nil
		}
		cursor = next
	}
}

// AppendAudit adds e to s's audit log when s implements [Audit]. Without it nothing is kept and
// AppendAudit returns nil: an audit log is for operators, and a site that keeps none loses no
// federation state.
func AppendAudit(ctx context.Context, s Site, e AuditEntry) error {
	if a, ok := s.(Audit); ok {
		return a.AppendAudit(ctx, e)
	}
	return nil
}

// ReadAudit returns a page of s's audit log, newest first, as [Audit.AuditPage] does, when s
// implements [Audit]; without it the log is empty.
func ReadAudit(ctx context.Context, s Site, cursor string, limit int) (Page[AuditEntry], error) {
	if a, ok := s.(Audit); ok {
		return a.AuditPage(ctx, cursor, limit)
	}
	return Page[AuditEntry]{}, nil
}

// AckBatch finishes leases and stores records, as [BatchAcker.AckBatch] does: with d's
// BatchAcker when it has one, in one atomic step. Without it, it records the deliveries with one
// [Deliveries.RecordDelivery] call and then acks each lease, so a record is never behind its
// acked job; when recording fails it acks nothing and returns the error. A lease that is no
// longer current does not stop the others; the error then wraps [ErrLeaseLost] for each such
// lease, naming its job, as BatchAcker's does. The fallback is not atomic: a failed Ack leaves
// the records written and the job to run again when its lease ends.
func AckBatch(ctx context.Context, d Delivery, leases []Lease, records ...DeliveryRecord) error {
	if b, ok := d.(BatchAcker); ok {
		return b.AckBatch(ctx, leases, records...)
	}
	if len(records) > 0 {
		if err := d.RecordDelivery(ctx, records...); err != nil {
			return err
		}
	}
	var errs []error
	for _, l := range leases {
		if err := d.Ack(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("store: ack job %s: %w", l.ID, err))
		}
	}
	return errors.Join(errs...)
}

// ReleaseLeases ends every lease of q that has not ended yet, as [LeaseReleaser.ReleaseLeases]
// does, and returns how many it ended, when q has a LeaseReleaser. Without it, it ends none and
// returns 0 and nil: the jobs wait for their leases to end. Call it only in a process that knows
// it is the queue's one user (see LeaseReleaser).
func ReleaseLeases(ctx context.Context, q Queue) (int, error) {
	if r, ok := q.(LeaseReleaser); ok {
		return r.ReleaseLeases(ctx)
	}
	return 0, nil
}

// ReplyHider is an optional capability of an [Interactions] store: hiding a reply in place.
type ReplyHider interface {
	// HideReply makes the reply with that id an [InteractionHiddenReply] (hidden true) or the
	// hidden reply with that id a reply again (hidden false), keeping its id, Document, CreatedAt
	// and place in the listings, in one write; ErrNotFound when no interaction of the kind it
	// changes from has that id.
	HideReply(ctx context.Context, id string, hidden bool) error
}

// HideReply makes the reply with that id an [InteractionHiddenReply] (hidden true) or a hidden
// reply a reply again (hidden false), keeping its id, Document and CreatedAt: with i's
// [ReplyHider] when it has one, else by removing the interaction and adding it again with the
// other kind — two writes, after which a store that lists by insertion shows it first, and
// which put the interaction back as it was when the second fails. ErrNotFound when no
// interaction of the kind it changes from has that id.
func HideReply(ctx context.Context, i Interactions, id string, hidden bool) error {
	if h, ok := i.(ReplyHider); ok {
		return h.HideReply(ctx, id, hidden)
	}
	from, to := HideKinds(hidden)
	cur, err := i.Interaction(ctx, id)
	if err != nil {
		return fmt.Errorf("store: hide reply: %w", err)
	}
	if cur.Kind != from {
		return fmt.Errorf("store: hide reply %s: no %s with that id: %w", id, from, ErrNotFound)
	}
	if err := i.RemoveInteraction(ctx, id); err != nil {
		return fmt.Errorf("store: hide reply: %w", err)
	}
	moved := cur
	moved.Kind = to
	if _, err := i.AddInteraction(ctx, moved); err != nil {
		if _, back := i.AddInteraction(ctx, cur); back != nil {
			return fmt.Errorf("store: hide reply %s: %w (and putting it back: %w)", id, err, back)
		}
		return fmt.Errorf("store: hide reply: %w", err)
	}
	return nil
}
