package sqlstore

import (
	"fmt"
	"testing"

	"github.com/fedsite/fedsite/store"
)

// BenchmarkInteractions measures what an article page asks of the store, CountInteractions and
// the first page of replies, on an article with 10k likes, 2k announces and 1k replies among
// 50 articles' interactions, on SQLite and (when configured) PostgreSQL.
func BenchmarkInteractions(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(tb testing.TB) *Store
	}{{"SQLite", newSQLite}, {"Postgres", newPostgres}} {
		b.Run(d.name, func(b *testing.B) {
			s := d.open(b)
			ctx := b.Context()
			const article = "https://news.example/articles/a0"
			kinds := []struct {
				kind store.InteractionKind
				n    int
			}{{store.InteractionLike, 10_000}, {store.InteractionAnnounce, 2_000}, {store.InteractionReply, 1_000}}
			for a := range 50 {
				obj := fmt.Sprintf("https://news.example/articles/a%d", a)
				for _, k := range kinds {
					n := k.n
					if a > 0 {
						n /= 100
					}
					for i := range n {
						var doc []byte
						if k.kind == store.InteractionReply {
							doc = []byte(`{"type":"Note","content":"<p>a reply of a few words</p>"}`)
						}
						_, err := s.AddInteraction(ctx, store.Interaction{ID: fmt.Sprintf("%s/%s/%d", obj, k.kind, i), Kind: k.kind,
							ObjectID: obj, ActorID: fmt.Sprintf("https://r%d.example/u", i), Document: doc})
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.Run("Count", func(b *testing.B) {
				for b.Loop() {
					if c, err := s.CountInteractions(ctx, article); err != nil || c[store.InteractionLike] != 10_000 {
						b.Fatal(c, err)
					}
				}
			})
			b.Run("RepliesPage50", func(b *testing.B) {
				for b.Loop() {
					if p, err := s.InteractionsPage(ctx, article, store.InteractionReply, "", 50); err != nil || len(p.Items) != 50 {
						b.Fatal(len(p.Items), err)
					}
				}
			})
		})
	}
}
