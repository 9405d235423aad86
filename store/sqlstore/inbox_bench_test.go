package sqlstore

import (
	"strconv"
	"testing"

	"github.com/fedsite/fedsite/store"
)

// BenchmarkInboxReads makes the reads an inbox request asks of the store, one at a time: the
// object a Like names (Object) and a remote actor from the cache, by id and by key id
// (RemoteActor, RemoteActorByKey). Besides the wall time, which a busy machine stretches, it
// reports the process's CPU time per call (cpu-ns/op): preparing a query on SQLite costs CPU in the
// driver's own memory, which -benchmem does not count.
func BenchmarkInboxReads(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := b.Context()
			const obj, actorID = "https://news.example/articles/a1", "https://r.example/users/u"
			if err := s.PutObject(ctx, store.Object{ID: obj, ActorID: "https://news.example/actor", Type: "Article",
				Document: []byte(`{"type":"Article"}`)}); err != nil {
				b.Fatal(err)
			}
			if err := s.PutRemoteActor(ctx, store.RemoteActor{ID: actorID, Inbox: actorID + "/inbox",
				Document: []byte(`{"type":"Person"}`), Keys: []store.RemoteKey{{ID: actorID + "#main-key", PublicKeyPEM: "PEM"}}}); err != nil {
				b.Fatal(err)
			}
			b.Run("Object", func(b *testing.B) {
				loopCPU(b, func() error {
					_, err := s.Object(ctx, obj)
					return err
				})
			})
			b.Run("RemoteActor", func(b *testing.B) {
				loopCPU(b, func() error {
					_, err := s.RemoteActor(ctx, actorID)
					return err
				})
			})
			b.Run("RemoteActorByKey", func(b *testing.B) {
				loopCPU(b, func() error {
					_, err := s.RemoteActorByKey(ctx, actorID+"#main-key")
					return err
				})
			})
		})
	}
}

// BenchmarkAddLike adds a new Like per call, one at a time, as the inbox does for each Like it
// accepts, and reports the process's CPU time per call as BenchmarkInboxReads does.
func BenchmarkAddLike(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := b.Context()
			i := 0
			loopCPU(b, func() error {
				id := strconv.Itoa(i)
				i++
				_, err := s.AddInteraction(ctx, store.Interaction{ID: "https://r.example/likes/" + id, Kind: store.InteractionLike,
					ObjectID: "https://news.example/articles/a1", ActorID: "https://r" + id + ".example/u"})
				return err
			})
		})
	}
}

// loopCPU runs call in b's loop and reports the process's CPU time per call (cpu-ns/op).
func loopCPU(b *testing.B, call func() error) {
	cpu0 := cpuTime(b)
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}
