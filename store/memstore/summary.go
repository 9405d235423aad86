package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.FollowerSummarizer = (*Store)(nil)
	_ store.DeliverySummarizer = (*Store)(nil)
)

// SummarizeFollowers counts an actor's followers by server from its delivery inbox counts, and by
// day from the followers themselves.
func (s *Store) SummarizeFollowers(ctx context.Context, actorID string, since time.Time, hosts int) (store.FollowerSummary, error) {
	if err := check(ctx, "summarize followers"); err != nil {
		return store.FollowerSummary{}, err
	}
	var t store.FollowerTally
	s.mu.RLock()
	if a := s.actors[actorID]; a != nil {
		for inbox, n := range a.inboxes {
			t.AddInbox(inbox, n)
		}
		for _, e := range a.byID {
			if !e.f.CreatedAt.Before(since.Truncate(24 * time.Hour)) {
				t.AddDay(e.f.CreatedAt, 1)
			}
		}
	}
	s.mu.RUnlock()
	return t.Summary(since, hosts), nil
}

// CountDeliveries counts the records updated at or after since by host and state, reading every
// record under the deliveries' lock.
func (s *Store) CountDeliveries(ctx context.Context, since time.Time) ([]store.HostDeliveries, error) {
	if err := check(ctx, "count deliveries"); err != nil {
		return nil, err
	}
	type key struct {
		host  string
		state store.DeliveryState
	}
	counts := make(map[key]int)
	d := s.deliveries
	d.mu.Lock()
	for _, m := range d.byObject {
		for _, r := range m {
			if !r.UpdatedAt.Before(since) {
				counts[key{r.Host, r.State}]++
			}
		}
	}
	d.mu.Unlock()
	out := make([]store.HostDeliveries, 0, len(counts))
	for k, n := range counts {
		out = append(out, store.HostDeliveries{Host: k.host, State: k.state, Count: n})
	}
	slices.SortFunc(out, store.HostDeliveries.Compare)
	return out, nil
}
