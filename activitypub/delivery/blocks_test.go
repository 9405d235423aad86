package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestBlockedInboxes checks that an inbox Config.Blocks blocks gets nothing, whether it comes in a
// fan-out's page or in a deliver job of its own, and that its delivery is recorded failed. The
// blocked server is reached as localhost, the other as 127.0.0.1.
func TestBlockedInboxes(t *testing.T) {
	blocks := memstore.New()
	if _, err := blocks.AddBlock(t.Context(), store.Block{Domain: "localhost"}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Blocks = blocks })
	blocked, open := newInbox(t, nil), newInbox(t, nil)
	blockedURL := func(path string) string { return strings.Replace(blocked.url(path), "127.0.0.1", "localhost", 1) }
	for i := range 2 {
		e.follow(t, fmt.Sprintf("https://remote.test/u/b%d", i), blockedURL(fmt.Sprintf("/inbox/%d", i)))
		e.follow(t, fmt.Sprintf("https://remote.test/u/o%d", i), open.url(fmt.Sprintf("/inbox/%d", i)))
	}
	e.run(t)
	// A fan-out, and an explicit delivery to a blocked inbox (a deliver job).
	err := e.eng.Enqueue(t.Context(),
		Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor},
		Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor, Inbox: blockedURL("/inbox/9")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every delivery settled", func() bool {
		st, err := e.eng.Status(t.Context(), testObject)
		return err == nil && st.Total.Delivered+st.Total.Failed == 5 && st.Total.Queued == 0
	})
	waitFor(t, "an empty queue", func() bool {
		d, err := e.st.Depth(t.Context())
		return err == nil && d == store.QueueDepth{}
	})
	if n := blocked.count(); n != 0 {
		t.Errorf("the blocked server got %d deliveries, want none: %v", n, paths(blocked))
	}
	if n := open.count(); n != 2 {
		t.Errorf("the other server got %d deliveries, want 2", n)
	}
	p, err := e.st.DeliveriesPage(t.Context(), testObject, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Items {
		isBlocked := strings.Contains(r.Inbox, "localhost")
		if isBlocked && (r.State != store.DeliveryFailed || r.LastError != errBlockedInbox.Error()) {
			t.Errorf("record of blocked inbox %s: %+v, want failed as blocked", r.Inbox, r)
		}
		if !isBlocked && r.State != store.DeliveryDelivered {
			t.Errorf("record of %s: %+v, want delivered", r.Inbox, r)
		}
	}
}

// failingBlocks is a Blocker whose every answer is an error.
type failingBlocks struct{}

func (failingBlocks) Blocked(context.Context, ...string) ([]bool, error) {
	return nil, errors.New("blocks unavailable")
}

// TestBlocksUnavailable checks that a delivery whose block check fails is not sent: it is retried
// as a failed attempt, and given up with the rest.
func TestBlocksUnavailable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Blocks = failingBlocks{} })
	in := newInbox(t, nil)
	e.follow(t, "https://remote.test/u/1", in.url("/inbox/1"))
	e.run(t)
	err := e.eng.Enqueue(t.Context(),
		Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor},
		Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor, Inbox: in.url("/inbox/2")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both deliveries given up", func() bool {
		st, err := e.eng.Status(t.Context(), testObject)
		return err == nil && st.Total.Failed == 2
	})
	if n := in.count(); n != 0 {
		t.Errorf("the inbox got %d deliveries while blocks could not be read, want none", n)
	}
}
