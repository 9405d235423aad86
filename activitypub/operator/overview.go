package operator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/store"
)

// The overview's panels: followers' growth over growthDays days, the topHosts servers with the
// most followers, and the worstHosts hosts with the most deliveries failed or retrying in the
// last day.
const (
	growthDays = 30
	topHosts   = 10
	worstHosts = 10
)

// actorRow is one actor on the overview.
type actorRow struct {
	Name, Handle string
	activitypub.ActorStats
}

// overview is the overview page's data.
type overview struct {
	Actors   []actorRow
	Delivery delivery.Stats
	// Panel is about one actor, the one asked for or the first.
	Panel *actorPanel
	// Recent counts the deliveries of the last hour and day; nil when the delivery store keeps
	// no count of them.
	Recent *recentPanel
	// Migration is the domain migration's progress; nil when the site never migrated.
	Migration *activitypub.DomainMigration
}

// actorPanel is the overview of one actor's followers.
type actorPanel struct {
	// Actor is the actor shown; Actors all of them, to switch between (see the "actors" template).
	Actor  string
	Actors []string
	store.FollowerSummary
	// Growth is every day of the last growthDays, oldest first, with the followers who started
	// following that day and the number at its end; New7 and New30 add up the last 7 and 30.
	Growth      []growthDay
	New7, New30 int
	// Points draws the number of followers at the end of each day as an SVG polyline in a
	// chartWidth by chartHeight box.
	Points string
}

// growthDay is one day of an actor's followers' growth.
type growthDay struct {
	Day        time.Time
	New, Total int
}

// recentPanel is the deliveries of every actor in the last hour and day.
type recentPanel struct {
	Hour, Day delivery.Counts
	// Worst are the hosts that fared worst in the last day.
	Worst []delivery.HostCounts
}

// The size of the growth chart, in SVG user units.
const chartWidth, chartHeight = 300, 60

func (h *Handler) serveOverview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fed := h.cfg.Federation
	names, err := h.cfg.Actors.FederatedActorNames(ctx)
	if err != nil {
		h.fail(w, r, "list actors", err)
		return
	}
	var o overview
	for _, n := range names {
		s, err := fed.ActorStats(ctx, n)
		if errors.Is(err, activitypub.ErrNotFound) {
			continue // listed, but deleted with DeleteActor
		}
		if err != nil {
			h.fail(w, r, "actor stats", err)
			return
		}
		o.Actors = append(o.Actors, actorRow{Name: n, Handle: fed.Handle(n), ActorStats: s})
	}
	if o.Delivery, err = fed.DeliveryStats(ctx); err != nil {
		h.fail(w, r, "delivery stats", err)
		return
	}
	if o.Migration, err = fed.DomainMigration(ctx); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		h.fail(w, r, "domain migration", err)
		return
	}
	now := time.Now()
	actor := r.URL.Query().Get("actor")
	switch {
	case actor == "" && len(o.Actors) > 0:
		actor = o.Actors[0].Name
	case actor != "" && !slices.ContainsFunc(o.Actors, func(a actorRow) bool { return a.Name == actor }):
		http.Error(w, "no such actor", http.StatusNotFound)
		return
	}
	if actor != "" {
		p := &actorPanel{Actor: actor}
		for _, a := range o.Actors {
			p.Actors = append(p.Actors, a.Name)
		}
		today := now.UTC().Truncate(24 * time.Hour)
		first := today.AddDate(0, 0, 1-growthDays)
		if p.FollowerSummary, err = fed.FollowerSummary(ctx, actor, first, topHosts); err != nil {
			h.fail(w, r, "follower summary", err)
			return
		}
		p.growth(first, today)
		o.Panel = p
	}
	ops := fed.Operations()
	var rp recentPanel
	day, kept, err := ops.RecentDeliveries(ctx, now.Add(-24*time.Hour), worstHosts)
	if err == nil && kept {
		rp.Day, rp.Worst = day.Total, day.Worst
		var hour delivery.Recent
		hour, _, err = ops.RecentDeliveries(ctx, now.Add(-time.Hour), 0)
		rp.Hour = hour.Total
		o.Recent = &rp
	}
	if err != nil {
		h.fail(w, r, "recent deliveries", err)
		return
	}
	h.render(w, r, http.StatusOK, "overview.html", view{Title: "Fediverse overview", Nav: "overview", Page: o})
}

// growth fills Growth, New7, New30 and Points for the days from first to last (UTC midnights)
// from the summary's Days and Total.
func (p *actorPanel) growth(first, last time.Time) {
	byDay := make(map[time.Time]int, len(p.Days))
	for _, d := range p.Days {
		byDay[d.Day] = d.Followers
	}
	// Walk back from today: the number at the end of a day is the total less those who started
	// following after it.
	total := p.Total
	for d := last; !d.Before(first); d = d.AddDate(0, 0, -1) {
		n := byDay[d]
		p.Growth = append(p.Growth, growthDay{Day: d, New: n, Total: total})
		total -= n
	}
	for i, j := 0, len(p.Growth)-1; i < j; i, j = i+1, j-1 {
		p.Growth[i], p.Growth[j] = p.Growth[j], p.Growth[i]
	}
	lo, hi := p.Growth[0].Total, p.Growth[0].Total
	for i, g := range p.Growth {
		lo, hi = min(lo, g.Total), max(hi, g.Total)
		if i >= len(p.Growth)-7 {
			p.New7 += g.New
		}
		p.New30 += g.New
	}
	var b strings.Builder
	for i, g := range p.Growth {
		x := i * chartWidth / max(len(p.Growth)-1, 1)
		y := chartHeight / 2
		if hi > lo {
			y = chartHeight - (g.Total-lo)*chartHeight/(hi-lo)
		}
		fmt.Fprintf(&b, "%d,%d ", x, y)
	}
	p.Points = strings.TrimSpace(b.String())
}
