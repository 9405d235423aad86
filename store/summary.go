package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// FollowerSummary is what an operator sees of an actor's followers at a glance.
type FollowerSummary struct {
	// Total is how many followers the actor has.
	Total int
	// Hosts are the servers the followers are on, by the host of their delivery inbox (see
	// [Follower.DeliveryInbox] and [HostOf]), the most followers first, ties by name; at most as
	// many as asked. Followers whose inbox has no host are counted in Total only.
	Hosts []HostCount
	// Days counts, for each UTC day from the day of the time asked for, the current followers
	// that started following that day (by [Follower.CreatedAt]), oldest day first; days when no
	// current follower started are left out.
	Days []DayCount
}

// HostCount is how many followers are on one server.
type HostCount struct {
	Host      string
	Followers int
}

// DayCount is how many current followers started following on one UTC day.
type DayCount struct {
	// Day is the day's midnight, UTC.
	Day       time.Time
	Followers int
}

// FollowerSummarizer is an optional capability of a [Followers] store: summarizing an actor's
// followers without listing them.
type FollowerSummarizer interface {
	// SummarizeFollowers returns the [FollowerSummary] of an actor's followers, with the days
	// from since's day on and at most hosts Hosts.
	SummarizeFollowers(ctx context.Context, actorID string, since time.Time, hosts int) (FollowerSummary, error)
}

// SummarizeFollowers returns the [FollowerSummary] of an actor's followers, with the days from
// since's day on and at most hosts Hosts: with f's [FollowerSummarizer] when it has one, else by
// walking [Followers.FollowersPage], which costs a read per 500 followers.
func SummarizeFollowers(ctx context.Context, f Followers, actorID string, since time.Time, hosts int) (FollowerSummary, error) {
	if s, ok := f.(FollowerSummarizer); ok {
		return s.SummarizeFollowers(ctx, actorID, since, hosts)
	}
	var t FollowerTally
	_, err := countPages(func(cursor string) (int, string, error) {
		p, err := f.FollowersPage(ctx, actorID, cursor, countPage)
		for _, fl := range p.Items {
			t.Add(fl)
		}
		return len(p.Items), p.Next, err
	})
	if err != nil {
		return FollowerSummary{}, fmt.Errorf("store: summarize followers: %w", err)
	}
	return t.Summary(since, hosts), nil
}

// FollowerTally adds followers up into a [FollowerSummary]. Adapters that summarize in their own
// code, and the fallback of [SummarizeFollowers], use it, so that hosts and days are counted and
// ordered one way. Its zero value is empty.
type FollowerTally struct {
	total int
	hosts map[string]int
	days  map[int64]int
}

// Add counts f, by its delivery inbox and the day it started following.
func (t *FollowerTally) Add(f Follower) {
	t.AddInbox(f.DeliveryInbox(), 1)
	t.AddDay(f.CreatedAt, 1)
}

// AddInbox counts n followers whose delivery inbox is inbox.
func (t *FollowerTally) AddInbox(inbox string, n int) {
	t.total += n
	if h, ok := HostOf(inbox); ok {
		if t.hosts == nil {
			t.hosts = make(map[string]int)
		}
		t.hosts[h] += n
	}
}

// AddDay counts n followers that started following at, for the days only: an adapter that
// groups by inbox and by day apart calls AddInbox for every follower and AddDay for the recent.
func (t *FollowerTally) AddDay(at time.Time, n int) {
	if t.days == nil {
		t.days = make(map[int64]int)
	}
	t.days[dayOf(at)] += n
}

// Summary returns the summary of what was added, with the days from since's day on and at most
// hosts Hosts.
func (t *FollowerTally) Summary(since time.Time, hosts int) FollowerSummary {
	s := FollowerSummary{Total: t.total}
	for h, n := range t.hosts {
		s.Hosts = append(s.Hosts, HostCount{Host: h, Followers: n})
	}
	slices.SortFunc(s.Hosts, func(a, b HostCount) int {
		return cmp.Or(cmp.Compare(b.Followers, a.Followers), cmp.Compare(a.Host, b.Host))
	})
	s.Hosts = s.Hosts[:min(len(s.Hosts), max(hosts, 0))]
	from := dayOf(since)
	for d, n := range t.days {
		if d >= from {
			s.Days = append(s.Days, DayCount{Day: time.Unix(d*secondsPerDay, 0).UTC(), Followers: n})
		}
	}
	slices.SortFunc(s.Days, func(a, b DayCount) int { return a.Day.Compare(b.Day) })
	return s
}

const secondsPerDay = 24 * 60 * 60

// dayOf numbers t's UTC day from the Unix epoch.
func dayOf(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s < 0 && s%secondsPerDay != 0 {
		d--
	}
	return d
}

// HostDeliveries counts one host's delivery records in one state.
type HostDeliveries struct {
	Host  string
	State DeliveryState
	Count int
}

// Compare orders h and o by host, then by state, in byte order, as
// [DeliverySummarizer.CountDeliveries] returns them; adapters sort their counts with
// slices.SortFunc(counts, HostDeliveries.Compare).
func (h HostDeliveries) Compare(o HostDeliveries) int {
	return cmp.Or(cmp.Compare(h.Host, o.Host), cmp.Compare(h.State, o.State))
}

// DeliverySummarizer is an optional capability of a [Deliveries] store: counting recent delivery
// records by host and state, for an overview of every object's deliveries.
type DeliverySummarizer interface {
	// CountDeliveries counts the records whose UpdatedAt is at or after since, by host and state,
	// ordered by host then state (byte order); pairs with no record are left out.
	CountDeliveries(ctx context.Context, since time.Time) ([]HostDeliveries, error)
}

// CountDeliveries counts d's recent delivery records as [DeliverySummarizer.CountDeliveries]
// does, and reports true, when d has that capability. Without it, it returns nothing and false:
// the [Deliveries] contract lists records per object only, so there is no walk to fall back on.
func CountDeliveries(ctx context.Context, d Deliveries, since time.Time) ([]HostDeliveries, bool, error) {
	s, ok := d.(DeliverySummarizer)
	if !ok {
		return nil, false, nil
	}
	c, err := s.CountDeliveries(ctx, since)
	return c, true, err
}
