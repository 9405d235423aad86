package activitypub_test

import (
	"testing"

	"github.com/fedsite/fedsite/store/memstore"
)

// TestBlocksPaged: Blocks honours a limit of 1, and its Next cursor reaches the rest.
func TestBlocksPaged(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	ctx := t.Context()
	for _, d := range []string{"a.example", "b.example", "c.example"} {
		if err := s.fed.BlockDomain(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor := ""
	for range 4 {
		p, err := s.fed.Blocks(ctx, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) > 1 {
			t.Fatalf("a page of %d blocks for a limit of 1", len(p.Items))
		}
		for _, b := range p.Items {
			got = append(got, b.Domain)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(got) != 3 {
		t.Errorf("walked %v, want the 3 blocks", got)
	}
}
