package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fedsite/fedsite/internal/pagecursor"
	"github.com/fedsite/fedsite/store"
)

var _ store.Deliveries = (*Store)(nil)

type deliveryKey struct{ activity, inbox string }

func compareDeliveryKeys(a, b deliveryKey) int {
	return cmp.Or(strings.Compare(a.activity, b.activity), strings.Compare(a.inbox, b.inbox))
}

type deliveries struct {
	now      func() time.Time
	mu       sync.Mutex
	byObject map[string]map[deliveryKey]store.DeliveryRecord
	objectOf map[deliveryKey]string
}

// RecordDelivery stores records under one lock, each replacing the record of the same activity
// and inbox (even one filed under another object). A zero UpdatedAt is set to the current time.
func (s *Store) RecordDelivery(ctx context.Context, records ...store.DeliveryRecord) error {
	if err := check(ctx, "record delivery"); err != nil {
		return err
	}
	d := s.deliveries
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(records)
	return nil
}

// putLocked stores records, none over a record further on; d.mu is held.
func (d *deliveries) putLocked(records []store.DeliveryRecord) {
	now := d.now()
	for _, r := range records {
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		k := deliveryKey{r.ActivityID, r.Inbox}
		if old, ok := d.objectOf[k]; ok {
			if d.byObject[old][k].State.Rank() > r.State.Rank() {
				continue
			}
			if old != r.ObjectID {
				delete(d.byObject[old], k)
			}
		}
		m := d.byObject[r.ObjectID]
		if m == nil {
			m = make(map[deliveryKey]store.DeliveryRecord)
			d.byObject[r.ObjectID] = m
		}
		m[k] = r
		d.objectOf[k] = r.ObjectID
	}
}

// DeliveriesPage lists the delivery records of an object's activities by activity, then inbox, in
// byte order. The cursor names the last record of the previous page.
func (s *Store) DeliveriesPage(ctx context.Context, objectID, cursor string, limit int) (store.Page[store.DeliveryRecord], error) {
	const op = "deliveries page"
	var p store.Page[store.DeliveryRecord]
	if err := check(ctx, op); err != nil {
		return p, err
	}
	if err := checkLimit(op, limit); err != nil {
		return p, err
	}
	var after deliveryKey
	if cursor != "" {
		a, in, ok := pagecursor.ParsePair(cursor)
		if !ok {
			return p, fmt.Errorf("memstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		after = deliveryKey{a, in}
	}
	d := s.deliveries
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.byObject[objectID]
	keys := make([]deliveryKey, 0, len(m))
	for k := range m {
		if cursor == "" || compareDeliveryKeys(k, after) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareDeliveryKeys)
	for i, k := range keys {
		if i == limit {
			last := keys[i-1]
			p.Next = pagecursor.Pair(last.activity, last.inbox)
			break
		}
		p.Items = append(p.Items, m[k])
	}
	return p, nil
}

// DeliveryStates returns the state of activityID's delivery to each inbox, "" where none is
// recorded under objectID.
func (s *Store) DeliveryStates(ctx context.Context, objectID, activityID string, inboxes ...string) ([]store.DeliveryState, error) {
	if err := check(ctx, "delivery states"); err != nil {
		return nil, err
	}
	d := s.deliveries
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.byObject[objectID]
	out := make([]store.DeliveryState, len(inboxes))
	for i, in := range inboxes {
		out[i] = m[deliveryKey{activityID, in}].State
	}
	return out, nil
}
