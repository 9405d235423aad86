package activitypub

import (
	"context"
	"fmt"
	"strconv"

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
	p, err := o.f.engine.Hosts(ctx, cursor, limit)
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
	n, err := o.f.engine.RetryHost(ctx, host)
	if err != nil {
		return 0, fmt.Errorf("activitypub: %w", err)
	}
	o.f.audit.record(ctx, store.AuditEntry{Actor: userFrom(ctx), Action: string(ActionRetryHost), Object: host,
		Detail: strconv.Itoa(n) + " deliveries due now"})
	return n, nil
}

// DeadLetters lists the deliveries that gave up, the latest first, limit at most per page.
func (o Operations) DeadLetters(ctx context.Context, cursor string, limit int) (store.Page[delivery.DeadLetter], error) {
	p, err := o.f.engine.DeadLetters(ctx, cursor, limit)
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
		n, err = o.f.engine.ReplayAll(ctx)
	} else {
		n, err = o.f.engine.Replay(ctx, ids...)
	}
	if n > 0 {
		o.f.audit.record(ctx, store.AuditEntry{Actor: userFrom(ctx), Action: string(ActionReplay), Object: object,
			Detail: strconv.Itoa(n) + " deliveries replayed"})
	}
	if err != nil {
		return n, fmt.Errorf("activitypub: %w", err)
	}
	return n, nil
}
