package storetest_test

import (
	"testing"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

// TestRunMemstore runs the suite on memstore, as the package documentation shows an adapter doing
// in its own test file. (The package has no Example: Run needs the *testing.T of a running test,
// which an Example does not have.)
func TestRunMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
