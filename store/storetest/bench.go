package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// BenchEnqueue measures q.Enqueue with batches of 1000 jobs of 200 bytes spread over 100
// ordering keys; ns/op is per batch, and the jobs/s metric per job. An adapter calls it from a
// Benchmark function of its own with a fresh queue, as every adapter in this repository does.
func BenchEnqueue(b *testing.B, q store.Queue) {
	ctx := context.Background()
	batch := make([]store.Job, 1000)
	for i := range batch {
		batch[i] = store.Job{Kind: "deliver", OrderingKey: fmt.Sprintf("obj host%d", i%100), Payload: make([]byte, 200)}
	}
	for b.Loop() {
		if err := q.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "jobs/s")
}

// BenchLeaseAck measures leasing jobs 50 at a time from q and acking each; ns/op is per job. The
// jobs are enqueued before the timer starts.
func BenchLeaseAck(b *testing.B, q store.Queue) {
	ctx := context.Background()
	batch := make([]store.Job, 1000)
	for i := range batch {
		batch[i] = store.Job{Kind: "deliver", Payload: make([]byte, 200)}
	}
	for range b.N/len(batch) + 1 {
		if err := q.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		ls, err := q.Lease(ctx, min(50, b.N-done), time.Minute)
		if err != nil || len(ls) == 0 {
			b.Fatalf("Lease = %d, %v", len(ls), err)
		}
		for _, l := range ls {
			if err := q.Ack(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
		done += len(ls)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
