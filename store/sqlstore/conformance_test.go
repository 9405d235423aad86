package sqlstore

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store/storetest"
)

// TestConformance runs the store conformance suites against both dialects, each subtest on a fresh
// database file or Postgres schema.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) *Store { return b.open(t) })
			storetest.RunDelivery(t, func(t *testing.T, now func() time.Time) *Store { return b.openAt(t, now) })
		})
	}
}
