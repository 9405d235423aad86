package activitypub

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/store"
)

// Operations is what the people running the site do besides publishing: retry a host whose
// deliveries wait, replay deliveries that gave up. Get it from [Federation.Operations]. Each method
// that changes something asks Config.Authorize first, with the site as a whole as the actor (Act's
// Actor ""), and audits what it did.
type Operations struct {
	f *Federation
}

// Operations returns the Federation's operations.
func (f *Federation) Operations() Operations {
	return Operations{f: f}
}

// Hosts lists the remote hosts whose deliveries failed, by name, with their circuit breaker state
// and their waiting deliveries, limit at most per page.
func (o Operations) Hosts(ctx context.Context, cursor string, limit int) (store.Page[delivery.Host], error) {
	p, err := o.f.sender.engine.Hosts(ctx, cursor, limit)
	if err != nil {
		return p, fmt.Errorf("activitypub: %w", err)
	}
	return p, nil
}

// RetryHost closes the host's circuit breaker and makes its waiting deliveries due at once; it
// returns how many it hurried. It asks Authorize with ActionRetryHost.
func (o Operations) RetryHost(ctx context.Context, host string) (int, error) {
	if err := o.f.authorize(ctx, ActionRetryHost, "", host); err != nil {
		return 0, err
	}
	n, err := o.f.sender.engine.RetryHost(ctx, host)
	if err != nil {
		return 0, fmt.Errorf("activitypub: %w", err)
	}
	o.f.audit.record(ctx, store.AuditEntry{Action: string(ActionRetryHost), Object: host,
		Detail: strconv.Itoa(n) + " deliveries due now"})
	return n, nil
}

// DeadLetters lists the deliveries that gave up, the latest first, limit at most per page.
func (o Operations) DeadLetters(ctx context.Context, cursor string, limit int) (store.Page[delivery.DeadLetter], error) {
	p, err := o.f.sender.engine.DeadLetters(ctx, cursor, limit)
	if err != nil {
		return p, fmt.Errorf("activitypub: %w", err)
	}
	return p, nil
}

// Replay puts the deliveries that gave up with those ids (DeadLetter.ID) back in the queue, due
// at once, or every one of them when all is true (ids are then ignored); it returns how many. It
// asks Authorize with ActionReplay, whose Object is the one id replayed, or "" for several.
func (o Operations) Replay(ctx context.Context, all bool, ids ...string) (int, error) {
	object := ""
	if !all && len(ids) == 1 {
		object = ids[0]
	}
	if err := o.f.authorize(ctx, ActionReplay, "", object); err != nil {
		return 0, err
	}
	var n int
	var err error
	if all {
		n, err = o.f.sender.engine.ReplayAll(ctx)
	} else {
		n, err = o.f.sender.engine.Replay(ctx, ids...)
	}
	if n > 0 {
		o.f.audit.record(ctx, store.AuditEntry{Action: string(ActionReplay), Object: object,
			Detail: strconv.Itoa(n) + " deliveries replayed"})
	}
	if err != nil {
		return n, fmt.Errorf("activitypub: %w", err)
	}
	return n, nil
}

// HideReply takes the reply with that id off the site's pages (hidden true): it is no longer
// listed nor counted among the article's replies, but kept, listed with kind
// store.InteractionHiddenReply, and shown again, in its place, with hidden false. ErrNotFound
// when no reply (no hidden reply, to show one again) has that id. It asks Authorize with
// ActionModerateReply.
func (o Operations) HideReply(ctx context.Context, id string, hidden bool) error {
	if err := o.f.authorize(ctx, ActionModerateReply, "", id); err != nil {
		return err
	}
	if err := store.HideReply(ctx, o.f.cfg.Store, id, hidden); err != nil {
		return fmt.Errorf("activitypub: hide reply %s: %w", id, err)
	}
	action := "hide reply"
	if !hidden {
		action = "show reply"
	}
	o.f.audit.record(ctx, store.AuditEntry{Action: action, Object: id})
	return nil
}

// DeleteReply deletes the reply, shown or hidden, with that id from the store; ErrNotFound when
// there is none. A remote server that sends it again (an edit) adds it again. It asks Authorize
// with ActionModerateReply.
func (o Operations) DeleteReply(ctx context.Context, id string) error {
	if err := o.f.authorize(ctx, ActionModerateReply, "", id); err != nil {
		return err
	}
	i, err := o.f.cfg.Store.Interaction(ctx, id)
	if err == nil && i.Kind != store.InteractionReply && i.Kind != store.InteractionHiddenReply {
		err = store.ErrNotFound
	}
	if err == nil {
		err = o.f.cfg.Store.RemoveInteraction(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("activitypub: delete reply %s: %w", id, err)
	}
	o.f.audit.record(ctx, store.AuditEntry{Action: "delete reply", Object: id, Detail: i.ActorID})
	return nil
}

// AuditFlag is the Action of the audit entry of a report (Flag) received: its Actor is the
// reporter, its Object the reported ids separated by spaces, its Detail the report's comment.
const AuditFlag = "flag"

// AuditFilter picks entries of the audit log. Its zero value picks every entry.
type AuditFilter struct {
	// Actor, when set, is part of the entry's Actor (an IRI, a server's name) or of its User.
	Actor string
	// Action, when set, is the entry's Action, such as "follow", "block" or AuditFlag.
	Action string
	// Direction, when set, is "in" for what remote actors did (the entry's Actor is an IRI on
	// another server) or "out" for what the site and its users did.
	Direction string
	// Since and Until, when set, bound the entry's Time: Since ≤ Time < Until.
	Since, Until time.Time
}

// auditPage is how many entries Audit reads at a time; auditScan how many it reads at most per
// call, so that a filter that picks few entries of a long log still answers quickly: it then
// returns fewer entries than asked, and a cursor to read on.
const (
	auditPage = 200
	auditScan = 5000
)

// Audit lists the entries of the audit log that filter picks, newest first, at most limit per
// page; an empty log when the site store keeps none (see store.Audit). The cursor is "" or a Next
// it returned for the same filter; a page may hold fewer entries than limit, even none, with a
// Next, when the filter picks few of those it read.
func (o Operations) Audit(ctx context.Context, filter AuditFilter, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	var out store.Page[store.AuditEntry]
	if limit < 1 {
		limit = o.f.cfg.Publishing.PageSize
	}
	// A cursor is the store's cursor of the page to read and how many of its entries were read.
	at, skipText, _ := strings.Cut(cursor, "|")
	skip, err := strconv.Atoi(skipText)
	if cursor != "" && (err != nil || skip < 0 || skip > auditPage) {
		return out, invalid("cursor", "%q is not a cursor of the audit log", cursor)
	}
	for scanned := 0; scanned < auditScan; {
		p, err := store.ReadAudit(ctx, o.f.cfg.Store, at, auditPage)
		if err != nil {
			return store.Page[store.AuditEntry]{}, fmt.Errorf("activitypub: audit: %w", err)
		}
		for i := skip; i < len(p.Items); i++ {
			e := p.Items[i]
			if !filter.Since.IsZero() && e.Time.Before(filter.Since) {
				return out, nil // the rest is older still
			}
			if !o.picks(filter, e) {
				continue
			}
			out.Items = append(out.Items, e)
			if len(out.Items) == limit {
				if i+1 < len(p.Items) || p.Next != "" {
					out.Next = at + "|" + strconv.Itoa(i+1)
				}
				return out, nil
			}
		}
		scanned += len(p.Items) - skip
		if p.Next == "" {
			return out, nil
		}
		at, skip = p.Next, 0
	}
	out.Next = at + "|0"
	return out, nil
}

// picks reports whether filter picks e, Since aside.
func (o Operations) picks(filter AuditFilter, e store.AuditEntry) bool {
	if filter.Action != "" && e.Action != filter.Action {
		return false
	}
	if filter.Actor != "" && !strings.Contains(e.Actor, filter.Actor) && !strings.Contains(e.User, filter.Actor) {
		return false
	}
	if !filter.Until.IsZero() && !e.Time.Before(filter.Until) {
		return false
	}
	switch filter.Direction {
	case "in":
		return o.remote(e.Actor)
	case "out":
		return !o.remote(e.Actor)
	}
	return true
}

// remote reports whether actor is an IRI on another server than the site's.
func (o Operations) remote(actor string) bool {
	u, err := url.Parse(actor)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.EqualFold(u.Host, o.f.urls.host())
}

// RecentDeliveries counts the deliveries of every object whose record changed at or after since,
// by state, and names at most worst of the hosts with the most deliveries failed or retrying.
// ok is false when the delivery store keeps no count of its records (it has no
// store.DeliverySummarizer).
func (o Operations) RecentDeliveries(ctx context.Context, since time.Time, worst int) (r delivery.Recent, ok bool, err error) {
	r, ok, err = o.f.sender.engine.Recent(ctx, since, worst)
	if err != nil {
		return r, ok, fmt.Errorf("activitypub: %w", err)
	}
	return r, ok, nil
}
