package activitypubtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// Delivery is one activity POSTed to an inbox: one a [Remote] received or a [Recorder] recorded.
type Delivery struct {
	// Inbox is the URL it was posted to; Path is its path, such as "/users/{name}/inbox" or
	// "/inbox".
	Inbox, Path string
	// Activity is the decoded body; nil when Err is set.
	Activity *vocab.Object
	// Type is the activity's first type, such as "Create"; Actor is its actor's id.
	Type, Actor string
	// Object is the activity's object when it is embedded (the Article of a Create, the Follow of
	// an Accept), else nil; ObjectID is the object's id either way.
	Object   *vocab.Object
	ObjectID string
	// Signer is the owner of the key that signed it.
	Signer string
	// ProofBy is the controller of the key that made its FEP-8b32 proof, verified; "" when it
	// carries none. A proof that does not verify sets Err.
	ProofBy string
	// Status is the status it was answered with.
	Status int
	// Err says why the delivery is not acceptable: a signature that does not verify, a body that
	// does not decode, or a Content-Type other than application/activity+json.
	Err error
}

// decodeDelivery decodes the body of a delivery to inbox; Err is set when it does not decode.
func decodeDelivery(inbox, path string, body []byte) Delivery {
	d := Delivery{Inbox: inbox, Path: path}
	d.Activity, d.Err = vocab.Decode(body)
	if d.Err != nil {
		d.Activity = nil
		return d
	}
	a := d.Activity
	d.Type, d.Actor, d.Object, d.ObjectID = a.Type.First(), a.Actor.ID(), a.Object.Object, a.Object.ID()
	return d
}

// checkDelivery checks a decoded delivery's signature with v and its Content-Type, setting
// d.Signer, or d.Err when either is wrong.
func checkDelivery(v checker, req *http.Request, body []byte, d *Delivery) {
	if d.Err != nil {
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != vocab.MediaType {
		d.Err = fmt.Errorf("delivered with Content-Type %q", ct)
		return
	}
	ver, err := v.sigs.Verify(req.Context(), req, body)
	if err != nil {
		d.Err = err
		return
	}
	d.Signer = ver.Owner
	p, err := v.proofs.Verify(req.Context(), body)
	switch {
	case errors.Is(err, signing.ErrNoProof):
	case err != nil:
		d.Err = err
	default:
		d.ProofBy = p.Controller
	}
}

// checker verifies deliveries as a receiving server does: the HTTP signature and, when the body
// carries one, the FEP-8b32 proof, with keys from the same resolver.
type checker struct {
	sigs   *signing.Verifier
	proofs *signing.ProofVerifier
}

// newChecker returns a checker over keys; now tells the time, nil for time.Now.
func newChecker(keys signing.KeyResolver, now func() time.Time) (checker, error) {
	sigs, err := signing.NewVerifier(signing.VerifierConfig{Keys: keys, Now: now})
	if err != nil {
		return checker{}, err
	}
	proofs, err := signing.NewProofVerifier(signing.ProofVerifierConfig{Keys: keys, Now: now})
	if err != nil {
		return checker{}, err
	}
	return checker{sigs: sigs, proofs: proofs}, nil
}

// WaitTimeout is how long waits last whose context has no deadline.
const WaitTimeout = 10 * time.Second

// withWaitTimeout gives ctx a deadline of WaitTimeout when it has none.
func withWaitTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, WaitTimeout)
}

// deliveryLog is the list of deliveries received, with a channel that is closed at every change
// so that waiters need not poll.
type deliveryLog struct {
	mu      sync.Mutex
	list    []Delivery
	changes chan struct{}
}

func newDeliveryLog() deliveryLog { return deliveryLog{changes: make(chan struct{})} }

// add appends d and wakes the waiters.
func (l *deliveryLog) add(d Delivery) {
	l.mu.Lock()
	l.list = append(l.list, d)
	l.mu.Unlock()
	l.changed()
}

// changed wakes the waiters.
func (l *deliveryLog) changed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changes)
	l.changes = make(chan struct{})
}

// next returns a channel closed at the next change.
func (l *deliveryLog) next() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes
}

func (l *deliveryLog) all() []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Delivery(nil), l.list...)
}

// wait returns the first delivery pred accepts, waiting for it until ctx ends (WaitTimeout when
// ctx has no deadline); a delivery with Err set ends the wait with its error.
func (l *deliveryLog) wait(ctx context.Context, pred func(Delivery) bool) (Delivery, error) {
	ctx, cancel := withWaitTimeout(ctx)
	defer cancel()
	for {
		next := l.next()
		for _, d := range l.all() {
			if d.Err != nil {
				return d, fmt.Errorf("activitypubtest: delivery to %s: %w", d.Inbox, d.Err)
			}
			if pred(d) {
				return d, nil
			}
		}
		select {
		case <-next:
		case <-ctx.Done():
			return Delivery{}, fmt.Errorf("activitypubtest: no such delivery: %w", ctx.Err())
		}
	}
}
