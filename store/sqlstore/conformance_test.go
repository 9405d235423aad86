package sqlstore

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/storetest"
)

// TestConformance runs the store conformance suite against both dialects, each subtest on a fresh
// database file or Postgres schema.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return b.open(t) })
			storetest.RunQueue(t, func(t *testing.T, now func() time.Time) store.Store { return b.openAt(t, now) })
		})
	}
}
