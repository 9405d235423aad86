package memstore_test

import (
	"testing"

	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

// BenchmarkEnqueue enqueues batches of 1000 jobs in one call; ns/op is per batch.
func BenchmarkEnqueue(b *testing.B) { storetest.BenchEnqueue(b, memstore.New()) }

// BenchmarkLeaseAck leases jobs 50 at a time and acks each; ns/op is per job.
func BenchmarkLeaseAck(b *testing.B) { storetest.BenchLeaseAck(b, memstore.New()) }
