package storetest_test

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

// An adapter proves it keeps the contracts with one test function that hands Run a factory of
// fresh, isolated stores. This example runs the suite on memstore.
func ExampleRun() {
	// In the adapter's _test.go file:
	_ = func(t *testing.T) { // func TestConformance(t *testing.T)
		storetest.Run(t, func(t *testing.T) store.Store {
			return memstore.New()
		})
		storetest.RunQueue(t, func(t *testing.T, now func() time.Time) store.Store {
			return memstore.NewWithClock(now)
		})
	}
}

func TestRunMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
	storetest.RunQueue(t, func(t *testing.T, now func() time.Time) store.Store { return memstore.NewWithClock(now) })
}
