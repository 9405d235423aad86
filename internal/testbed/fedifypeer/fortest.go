package fedifypeer

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// EnableEnv is the environment variable that turns the Fedify interop
// tests on: [StartForTest] skips while it is empty.
const EnableEnv = "FEDSITE_FEDIFY"

// installTimeout bounds a cold install in [StartForTest].
const installTimeout = 10 * time.Minute

// StartForTest starts a peer for the test t and registers its Close with
// t.Cleanup.
//
// It calls t.Skip when $FEDSITE_FEDIFY is empty. When it is set and the peer
// cannot be installed or started, StartForTest calls t.Fatal with the
// error, which carries npm's or the peer's output: CI fails loudly instead
// of skipping. When t has failed by cleanup time, the peer's log and stderr
// are written to the test log to explain the failure.
func StartForTest(t testing.TB) *Peer {
	t.Helper()
	return StartForTestWith(t, Config{})
}

// StartForTestWith is [StartForTest] with a Config, such as one whose
// ExtraCACerts names a test's local CA.
func StartForTestWith(t testing.TB, cfg Config) *Peer {
	t.Helper()
	if os.Getenv(EnableEnv) == "" {
		t.Skip("set FEDSITE_FEDIFY=1 to run the Fedify interop tests (needs npm)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start Fedify peer: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if entries, err := p.Log(ctx); err == nil {
				for _, e := range entries {
					t.Logf("fedify peer log: %s %s %s: %s", e.Time.Format(time.RFC3339Nano), e.Level, e.Category, e.Message)
				}
			}
			t.Logf("fedify peer stderr (tail):\n%s", p.Stderr())
		}
		if err := p.Close(); err != nil {
			t.Errorf("close Fedify peer: %v", err)
		}
	})
	return p
}

// WaitVerified waits, until ctx is done, for the first activity of type typ the peer received,
// and fails t unless Fedify verified its signature and actor sent it. It returns the activity
// and its document decoded.
func (p *Peer) WaitVerified(ctx context.Context, t testing.TB, typ, actor string) (Activity, *vocab.Object) {
	t.Helper()
	a, err := p.WaitFor(ctx, func(a Activity) bool { return a.Type == typ })
	if err != nil {
		t.Fatalf("no %s reached Fedify: %v", typ, err)
	}
	if !a.Verified || a.Actor != actor {
		t.Fatalf("%s: verified=%v actor=%s, want a verified one from %s (%s)", typ, a.Verified, a.Actor, actor, a.Reason)
	}
	doc, err := vocab.Decode(a.Document)
	if err != nil {
		t.Fatalf("decode %s: %v", a.Document, err)
	}
	return a, doc
}

// FollowAccepted has the peer follow the actor at actorID ([Peer.Follow]) and waits, until ctx
// is done, for that actor's Accept, failing t when either does not happen. It returns the Accept.
func (p *Peer) FollowAccepted(ctx context.Context, t testing.TB, actorID string) Activity {
	t.Helper()
	if _, err := p.Follow(ctx, actorID); err != nil {
		t.Fatalf("Fedify follow %s: %v", actorID, err)
	}
	a, err := p.WaitFor(ctx, func(a Activity) bool { return a.Type == "Accept" && a.Actor == actorID })
	if err != nil {
		t.Fatalf("no Accept from %s reached Fedify: %v", actorID, err)
	}
	return a
}
