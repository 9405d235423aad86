package delivery

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

// statusPage is how many delivery records Status reads at a time.
const statusPage = 500

// Counts counts deliveries by state.
type Counts struct {
	Queued, Delivered, Retrying, Failed int
}

func (c *Counts) add(s store.DeliveryState) { c.addN(s, 1) }

// addN counts n deliveries in state s.
func (c *Counts) addN(s store.DeliveryState, n int) {
	switch s {
	case store.DeliveryQueued:
		c.Queued += n
	case store.DeliveryDelivered:
		c.Delivered += n
	case store.DeliveryRetrying:
		c.Retrying += n
	case store.DeliveryFailed:
		c.Failed += n
	}
}

// HostStatus is where the deliveries of an object to one host stand.
type HostStatus struct {
	Host string
	Counts
	// LastError is the latest error reported for a delivery to the host that is not delivered.
	LastError string
	// UpdatedAt is when the latest of the host's records changed.
	UpdatedAt time.Time
}

// Status is where the deliveries of an object's activities stand.
type Status struct {
	ObjectID string
	// Total sums the hosts.
	Total Counts
	// Hosts lists the hosts by name.
	Hosts []HostStatus
}

// Status summarises, per host, the delivery records of the activities about objectID (such as an
// article's Create and Updates). It reads every record of the object, page by page; an object never
// delivered has an empty Status.
func (e *Engine) Status(ctx context.Context, objectID string) (Status, error) {
	s := Status{ObjectID: objectID}
	hosts := map[string]*HostStatus{}
	cursor := ""
	for {
		page, err := e.cfg.Store.DeliveriesPage(ctx, objectID, cursor, statusPage)
		if err != nil {
			return Status{}, fmt.Errorf("delivery: status of %s: %w", objectID, err)
		}
		for _, r := range page.Items {
			h := hosts[r.Host]
			if h == nil {
				h = &HostStatus{Host: r.Host}
				hosts[r.Host] = h
			}
			h.add(r.State)
			s.Total.add(r.State)
			if r.UpdatedAt.After(h.UpdatedAt) {
				h.UpdatedAt = r.UpdatedAt
			}
			if r.State != store.DeliveryDelivered && r.LastError != "" {
				h.LastError = r.LastError
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for _, h := range hosts {
		s.Hosts = append(s.Hosts, *h)
	}
	slices.SortFunc(s.Hosts, func(a, b HostStatus) int { return cmp.Compare(a.Host, b.Host) })
	return s, nil
}
