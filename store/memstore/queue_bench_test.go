package memstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// BenchmarkEnqueue enqueues batches of 1000 jobs in one call; ns/op is per batch.
func BenchmarkEnqueue(b *testing.B) {
	s := memstore.New()
	ctx := context.Background()
	batch := make([]store.Job, 1000)
	for i := range batch {
		batch[i] = store.Job{Kind: "deliver", OrderingKey: fmt.Sprintf("obj host%d", i%100), Payload: make([]byte, 200)}
	}
	for b.Loop() {
		if err := s.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkLeaseAck leases jobs 50 at a time and acks each; ns/op is per job.
func BenchmarkLeaseAck(b *testing.B) {
	s := memstore.New()
	ctx := context.Background()
	batch := make([]store.Job, 1000)
	for i := range batch {
		batch[i] = store.Job{Kind: "deliver", Payload: make([]byte, 200)}
	}
	for range b.N/len(batch) + 1 {
		if err := s.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		ls, err := s.Lease(ctx, min(50, b.N-done), time.Minute)
		if err != nil || len(ls) == 0 {
			b.Fatalf("Lease = %d, %v", len(ls), err)
		}
		for _, l := range ls {
			if err := s.Ack(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
		done += len(ls)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
