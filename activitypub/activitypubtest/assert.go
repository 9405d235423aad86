package activitypubtest

import (
	"context"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// About returns a predicate for [Recorder.WaitFor] that accepts a delivery of an activity of
// type typ (such as "Create") whose object has the id objectID (an article's URL, say).
func About(typ, objectID string) func(Delivery) bool {
	return func(d Delivery) bool { return d.Activity.Type.Has(typ) && d.ObjectID == objectID }
}

// Delivered waits up to [WaitTimeout] for the site to deliver an activity of type typ about
// objectID and returns the first such delivery; it fails the test if none comes or a delivery
// was not acceptable (see Delivery.Err).
func Delivered(t testing.TB, rec *Recorder, typ, objectID string) Delivery {
	t.Helper()
	d, err := rec.WaitFor(context.Background(), About(typ, objectID))
	if err != nil {
		t.Fatalf("waiting for a %s of %s: %v", typ, objectID, err)
	}
	return d
}

// Created waits for the Create of the object with that URL, as [Delivered] does, and returns
// the object it carries.
func Created(t testing.TB, rec *Recorder, objectURL string) *vocab.Object {
	t.Helper()
	d := Delivered(t, rec, "Create", objectURL)
	if d.Object == nil {
		t.Fatalf("the Create of %s does not embed its object", objectURL)
	}
	return d.Object
}

// NotFederated waits until the site has settled ([Recorder.Settle]) and fails the test if any
// activity about objectURL was delivered, as must not happen for an unpublished draft.
func NotFederated(t testing.TB, rec *Recorder, objectURL string) {
	t.Helper()
	if err := rec.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Sent() {
		if d.ObjectID == objectURL {
			t.Errorf("%s delivered a %s about %s", d.Inbox, d.Type, objectURL)
		}
	}
}
