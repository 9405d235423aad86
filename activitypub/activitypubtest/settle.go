package activitypubtest

import (
	"context"
	"time"

	"github.com/fedsite/fedsite/store"
)

// The wrappers below pass every call through and tell the Recorder after each one that may
// settle a delivery (see Recorder.Settle): the queue operations that finish or put back a job,
// and the delivery records.

// watchedStore is a delivery store whose queue and delivery records the Recorder watches.
type watchedStore struct {
	store.Delivery
	r *Recorder
}

// watchedBatchStore is a watchedStore over a store that is a store.BatchAcker, which it stays.
type watchedBatchStore struct {
	*watchedStore
	b store.BatchAcker
}

// watchedSummaryStore and watchedBatchSummaryStore keep a store's store.DeliverySummarizer, a
// read the Recorder need not watch.
type (
	watchedSummaryStore struct {
		*watchedStore
		store.DeliverySummarizer
	}
	watchedBatchSummaryStore struct {
		*watchedBatchStore
		store.DeliverySummarizer
	}
)

// wrapStore wraps s, keeping it a store.BatchAcker and a store.DeliverySummarizer if it is one:
// fedsite finds those capabilities by type assertion.
func wrapStore(s store.Delivery, r *Recorder) store.Delivery {
	w := &watchedStore{Delivery: s, r: r}
	b, batch := s.(store.BatchAcker)
	sum, summary := s.(store.DeliverySummarizer)
	switch {
	case batch && summary:
		return &watchedBatchSummaryStore{&watchedBatchStore{watchedStore: w, b: b}, sum}
	case batch:
		return &watchedBatchStore{watchedStore: w, b: b}
	case summary:
		return &watchedSummaryStore{w, sum}
	}
	return w
}

func (s *watchedStore) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	defer s.r.log.changed()
	return s.Delivery.Ack(ctx, l, next...)
}

func (s *watchedStore) Retry(ctx context.Context, l store.Lease, at time.Time, reason string) error {
	defer s.r.log.changed()
	return s.Delivery.Retry(ctx, l, at, reason)
}

func (s *watchedStore) DeadLetter(ctx context.Context, l store.Lease, reason string) error {
	defer s.r.log.changed()
	return s.Delivery.DeadLetter(ctx, l, reason)
}

func (s *watchedStore) RecordDelivery(ctx context.Context, records ...store.DeliveryRecord) error {
	err := s.Delivery.RecordDelivery(ctx, records...)
	if err == nil {
		s.r.recorded(records)
	}
	return err
}

func (s *watchedBatchStore) AckBatch(ctx context.Context, leases []store.Lease, records ...store.DeliveryRecord) error {
	defer s.r.recorded(records) // the records are written whatever leases were lost
	return s.b.AckBatch(ctx, leases, records...)
}
