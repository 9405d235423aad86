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

// BenchFollowersWalk measures walking every page of actorID's followers, 1000 a page, and fails
// unless it sees want followers; the followers/s metric counts followers walked. The store is
// loaded before the call.
func BenchFollowersWalk(b *testing.B, s store.Followers, actorID string, want int) {
	ctx := context.Background()
	for b.Loop() {
		n, cursor := 0, ""
		for {
			p, err := s.FollowersPage(ctx, actorID, cursor, 1000)
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Items)
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if n != want {
			b.Fatalf("walked %d followers, want %d", n, want)
		}
	}
	b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "followers/s")
}

// BenchDeliveryInboxes measures iterating the distinct delivery inboxes of actorID's followers,
// 1000 at a time, and fails unless there are want of them. The store is loaded before the call.
func BenchDeliveryInboxes(b *testing.B, s store.Followers, actorID string, want int) {
	ctx := context.Background()
	for b.Loop() {
		n, after := 0, ""
		for {
			batch, err := s.DeliveryInboxes(ctx, actorID, after, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			n += len(batch)
			after = batch[len(batch)-1]
		}
		if n != want {
			b.Fatalf("iterated %d inboxes, want %d", n, want)
		}
	}
}

// BenchPageRecords measures the records a fan-out page writes when it delivers straight from
// memory: the page's 500 "queued" records in one call, then each "delivered" record in calls of
// 16 (a group commit of the engine's completer), as the deliveries finish in inbox order. ns/op and
// the records/s metric are per delivery, both writes included.
func BenchPageRecords(b *testing.B, d store.Deliveries) {
	ctx := context.Background()
	const page, group = 500, 16
	recs := make([]store.DeliveryRecord, page)
	for done := 0; done < b.N; done += page {
		activity := fmt.Sprintf("https://bench.test/ap/activities/%d", done)
		for i := range recs {
			recs[i] = store.DeliveryRecord{ObjectID: "https://bench.test/articles/1", ActivityID: activity,
				Inbox: fmt.Sprintf("https://h%05d.bench.test/inbox", i), Host: fmt.Sprintf("h%05d.bench.test", i),
				State: store.DeliveryQueued}
		}
		if err := d.RecordDelivery(ctx, recs...); err != nil {
			b.Fatal(err)
		}
		for i := range recs {
			recs[i].State, recs[i].Attempts = store.DeliveryDelivered, 1
		}
		for i := 0; i < page; i += group {
			if err := d.RecordDelivery(ctx, recs[i:min(i+group, page)]...); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
