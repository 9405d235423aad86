package memstore_test

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
	storetest.RunQueue(t, func(t *testing.T, now func() time.Time) store.Store { return memstore.NewWithClock(now) })
}
