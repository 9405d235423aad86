package memstore_test

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *memstore.Store { return memstore.New() })
	storetest.RunDelivery(t, func(t *testing.T, now func() time.Time) *memstore.Store { return memstore.NewWithClock(now) })
}
