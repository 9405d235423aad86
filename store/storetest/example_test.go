package storetest_test

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

// siteOnly and deliveryOnly offer the required contracts of one aggregate and nothing else: no
// counters, no audit log, no batch acks, no releasing of leases.
type (
	siteOnly     struct{ store.Site }
	deliveryOnly struct{ store.Delivery }
)

// TestRunRequiredOnly runs the suites on stores without any optional capability, so the
// fallbacks of package store (counting by pages, acking one lease at a time) keep the contracts,
// and a delivery backend is proven on its own. Each adapter runs the suites on itself in its own
// test file, as the package documentation shows (memstore's TestConformance runs them on the full
// memstore). The package has no Example: the suites need the *testing.T of a running test, which
// an Example does not have.
func TestRunRequiredOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T) siteOnly { return siteOnly{memstore.New()} })
	storetest.RunDelivery(t, func(t *testing.T, now func() time.Time) deliveryOnly {
		return deliveryOnly{memstore.NewWithClock(now)}
	})
}
