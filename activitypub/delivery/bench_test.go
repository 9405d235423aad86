package delivery

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// BenchmarkFanOut delivers one activity to b.N inboxes on b.N distinct hosts (a loopback fleet
// that verifies one signature in 1000) over the memstore queue, RSA-2048 signed: the engine's cost
// per delivery, signing included. Compare with BenchmarkSign (signing alone). Deliveries of one
// object to one host go one at a time, so inboxes on distinct hosts are what a fan-out to shared
// inboxes looks like.
func BenchmarkFanOut(b *testing.B) {
	benchFanOut(b, func(context.Context) ([]byte, error) { return []byte(`{"type":"Create"}`), nil })
}

// BenchmarkFanOutProof is BenchmarkFanOut of a Create as Publish stores it (an Article of about
// 1 KB), without and with its FEP-8b32 proof. With the proof, the timed part also makes it, once,
// as Publish does before it queues the fan-out: the proof costs one signature per activity and
// some 300 bytes per delivery.
func BenchmarkFanOutProof(b *testing.B) {
	const doc = `{"@context":["https://www.w3.org/ns/activitystreams",{"sensitive":"as:sensitive","Hashtag":"as:Hashtag"}],` +
		`"id":"` + testActivity + `","type":"Create","actor":"` + testActor + `","published":"2026-12-06T03:00:00Z",` +
		`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["` + testActor + `/followers"],` +
		`"object":{"id":"https://example.com/articles/benchmarks","type":"Article","attributedTo":"` + testActor + `",` +
		`"name":"What the benchmarks say","url":"https://example.com/articles/benchmarks","published":"2026-12-06T03:00:00Z",` +
		`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["` + testActor + `/followers"],` +
		`"content":"<p>A fan-out sends the stored activity to every inbox; the proof is made once, before it.</p>` +
		`<p>The figures are in BENCHMARKS.md, with the commands that made them and the state of the machine.</p>",` +
		`"summary":"<p>What the fan-out costs with and without object integrity proofs.</p>",` +
		`"tag":[{"type":"Hashtag","href":"https://example.com/tags/fediverse","name":"#fediverse"}],"sensitive":false}}`
	ed, err := signing.GenerateEd25519Key()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("proof=off", func(b *testing.B) {
		benchFanOut(b, func(context.Context) ([]byte, error) { return []byte(doc), nil })
	})
	b.Run("proof=on", func(b *testing.B) {
		benchFanOut(b, func(context.Context) ([]byte, error) {
			// As Publish does: the data integrity context added, then the proof.
			signed := strings.Replace(doc, `}],"id"`, `},"`+signing.ContextDataIntegrity+`"],"id"`, 1)
			return signing.AddProof([]byte(signed), signing.Key{ID: testActor + "#ed25519-key", Signer: ed},
				signing.ProofOptions{Created: time.Now()})
		})
	})
}

// benchFanOut delivers the document that doc returns to b.N inboxes; doc runs, and the document
// is stored, in the timed part.
func benchFanOut(b *testing.B, doc func(context.Context) ([]byte, error)) {
	fleet, err := inboxfleet.Start(inboxfleet.Config{Key: testKey().Public(), KeyID: testActor + "#main-key", VerifyEvery: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.Close()
	ctx := context.Background()
	st := memstore.New()
	for i := range b.N {
		st.AddFollower(ctx, store.Follower{ActorID: testActor, FollowerID: fmt.Sprint("https://r.test/u/", i), Inbox: inboxfleet.Inbox(i, i)})
	}
	key := testKey()
	eng, err := New(Config{Store: st, Inboxes: st, Documents: st,
		Keys: func(context.Context, string) (signing.Key, error) {
			return signing.Key{ID: testActor + "#main-key", Signer: key}, nil
		},
		Client: inboxfleet.Client(fleet.Addr(), 64), Options: Options{PollInterval: 5 * time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- eng.Run(ctx) }()
	b.ResetTimer()
	d, err := doc(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.PutObject(ctx, store.Object{ID: testActivity, ActorID: testActor, Type: "Create", Document: d}); err != nil {
		b.Fatal(err)
	}
	if err := eng.Enqueue(ctx, Activity{ID: testActivity, ActorID: testActor}); err != nil {
		b.Fatal(err)
	}
	for fleet.Distinct() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if bad := fleet.BadSignatures(); bad > 0 {
		b.Fatalf("%d bad signatures", bad)
	}
	cancel()
	<-done
}

// BenchmarkSign is the signing of one delivery alone, the bound of BenchmarkFanOut.
func BenchmarkSign(b *testing.B) {
	key := signing.Key{ID: testActor + "#main-key", Signer: testKey()}
	body := []byte(`{"type":"Create"}`)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "https://r.test/inbox", nil)
		if err := signing.Sign(req, key, body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
