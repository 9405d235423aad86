package delivery

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fedsite/fedsite/store"
)

// HostCounts counts one host's deliveries by state.
type HostCounts struct {
	Host string
	Counts
}

// Recent is what the deliveries of every object came to since a time, by the latest state of
// each delivery's record.
type Recent struct {
	// Total counts every delivery.
	Total Counts
	// Worst are the hosts with deliveries failed or retrying: the most of those first, then the
	// most failed, then by name.
	Worst []HostCounts
}

// Recent counts the deliveries whose record changed at or after since, and names at most worst
// of the hosts that fare worst. ok is false when the store keeps no count of its records (it has
// no store.DeliverySummarizer): then Recent is empty.
func (e *Engine) Recent(ctx context.Context, since time.Time, worst int) (r Recent, ok bool, err error) {
	counts, ok, err := store.CountDeliveries(ctx, e.cfg.Store, since)
	if err != nil {
		return Recent{}, ok, fmt.Errorf("delivery: recent deliveries: %w", err)
	}
	var hosts []HostCounts
	for _, c := range counts {
		r.Total.addN(c.State, c.Count)
		// The store orders by host, so a host's states come together.
		if len(hosts) == 0 || hosts[len(hosts)-1].Host != c.Host {
			hosts = append(hosts, HostCounts{Host: c.Host})
		}
		hosts[len(hosts)-1].addN(c.State, c.Count)
	}
	hosts = slices.DeleteFunc(hosts, func(h HostCounts) bool { return h.Failed+h.Retrying == 0 })
	slices.SortFunc(hosts, func(a, b HostCounts) int {
		return cmp.Or(cmp.Compare(b.Failed+b.Retrying, a.Failed+a.Retrying), cmp.Compare(b.Failed, a.Failed), strings.Compare(a.Host, b.Host))
	})
	r.Worst = hosts[:min(len(hosts), max(worst, 0))]
	return r, ok, nil
}
