package activitypub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// countingBlocks counts the reads of a block store.
type countingBlocks struct {
	store.Blocks
	pages, checks atomic.Int32
}

func (c *countingBlocks) BlocksPage(ctx context.Context, cursor string, limit int) (store.Page[store.Block], error) {
	c.pages.Add(1)
	return c.Blocks.BlocksPage(ctx, cursor, limit)
}

func (c *countingBlocks) Blocked(ctx context.Context, iris ...string) ([]bool, error) {
	c.checks.Add(1)
	return c.Blocks.Blocked(ctx, iris...)
}

// TestBlockList checks that block checks are answered from memory, with the store's list read
// once per blockListTTL, again at once after a change through this Federation, and that a block
// made by another instance over the same store holds here once the list is blockListTTL old.
func TestBlockList(t *testing.T) {
	ctx := t.Context()
	st := &countingBlocks{Blocks: memstore.New()}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var ahead atomic.Int64
	b := &blockList{store: st, now: func() time.Time { return now.Add(time.Duration(ahead.Load())) }, limit: maxHeldBlocks}
	blocked := func(iri string) bool {
		t.Helper()
		got, err := b.blocked(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if _, err := st.AddBlock(ctx, store.Block{Domain: "spam.example"}); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if !blocked("https://a.spam.example/users/x#main-key") || blocked("https://good.example/users/y") {
			t.Fatal("wrong answer from the held list")
		}
	}
	if p, c := st.pages.Load(), st.checks.Load(); p != 1 || c != 0 {
		t.Errorf("200 checks read %d pages and asked the store %d times, want 1 page and no asks", p, c)
	}

	// Another instance blocks good.example: seen once the list is blockListTTL old.
	if _, err := st.AddBlock(ctx, store.Block{Domain: "good.example"}); err != nil {
		t.Fatal(err)
	}
	ahead.Store(int64(blockListTTL - time.Millisecond))
	if blocked("https://good.example/users/y") {
		t.Error("the list was read again before it was blockListTTL old")
	}
	ahead.Store(int64(blockListTTL))
	if !blocked("https://good.example/users/y") {
		t.Error("a block made elsewhere is not seen once the list is blockListTTL old")
	}

	// A change through this Federation is seen at once.
	if err := st.RemoveBlock(ctx, "good.example"); err != nil {
		t.Fatal(err)
	}
	b.changed()
	if blocked("https://good.example/users/y") {
		t.Error("a block lifted through this Federation still holds")
	}
	if p := st.pages.Load(); p != 3 {
		t.Errorf("%d reads of the list, want 3: the first, after blockListTTL and after the change", p)
	}
}

// TestBlockListTooLong checks that a list longer than the limit is not held: each check asks the
// store.
func TestBlockListTooLong(t *testing.T) {
	ctx := t.Context()
	st := &countingBlocks{Blocks: memstore.New()}
	for _, d := range []string{"a.example", "b.example"} {
		if _, err := st.AddBlock(ctx, store.Block{Domain: d}); err != nil {
			t.Fatal(err)
		}
	}
	b := &blockList{store: st, now: time.Now, limit: 1}
	for _, tt := range []struct {
		iri  string
		want bool
	}{{"https://a.example/u", true}, {"https://b.example/u", true}, {"https://c.example/u", false}} {
		got, err := b.blocked(ctx, tt.iri)
		if err != nil || got != tt.want {
			t.Errorf("blocked(%s) = %v, %v; want %v", tt.iri, got, err, tt.want)
		}
	}
	if c := st.checks.Load(); c != 3 {
		t.Errorf("the store was asked %d times, want once per check", c)
	}
}
