package operator_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// deliveryOnly hides the delivery store's optional capabilities, such as store.DeliverySummarizer.
type deliveryOnly struct{ store.Delivery }

// TestOverviewPanels checks the overview's panels against a store seeded with followers who
// started following on known days and delivery records of known times: the growth by day, the
// servers with the most followers, the deliveries of the last hour and day and the worst hosts.
func TestOverviewPanels(t *testing.T) {
	st := memstore.New()
	fx := newFixtureWith(t, func(c *activitypub.Config) { c.Store = st })
	ctx := t.Context()
	news := fx.fed.ActorID("news")
	now := time.Now()
	today := now.UTC().Truncate(24 * time.Hour)
	// The fixture's bob follows from social.example today. Add 3 followers on a.example today, 2
	// on b.example 3 days ago and 1 on c.example 40 days ago, before the 30 days shown.
	for i, f := range []struct {
		host string
		at   time.Time
	}{
		{"a.example", today.Add(time.Minute)}, {"a.example", today.Add(2 * time.Minute)}, {"a.example", today.Add(3 * time.Minute)},
		{"b.example", today.AddDate(0, 0, -3)}, {"b.example", today.AddDate(0, 0, -3).Add(time.Hour)},
		{"c.example", today.AddDate(0, 0, -40)},
	} {
		id := fmt.Sprintf("https://%s/users/u%d", f.host, i)
		if err := st.AddFollower(ctx, store.Follower{ActorID: news, FollowerID: id, Inbox: id + "/inbox",
			SharedInbox: "https://" + f.host + "/inbox", CreatedAt: f.at}); err != nil {
			t.Fatal(err)
		}
	}
	// Deliveries, besides the fixture's to social.example: a.example failed twice and
	// delivered once, b.example retrying once, all within the hour; c.example failed 3 hours ago
	// and d.example 2 days ago.
	rec := func(host string, i int, state store.DeliveryState, at time.Time) store.DeliveryRecord {
		return store.DeliveryRecord{ObjectID: articleURL, ActivityID: articleURL + "#u", Inbox: fmt.Sprintf("https://%s/inbox%d", host, i),
			Host: host, State: state, Attempts: 1, UpdatedAt: at}
	}
	if err := st.RecordDelivery(ctx,
		rec("a.example", 0, store.DeliveryFailed, now.Add(-time.Minute)), rec("a.example", 1, store.DeliveryFailed, now.Add(-time.Minute)),
		rec("a.example", 2, store.DeliveryDelivered, now.Add(-time.Minute)), rec("b.example", 0, store.DeliveryRetrying, now.Add(-time.Minute)),
		rec("c.example", 0, store.DeliveryFailed, now.Add(-3*time.Hour)), rec("d.example", 0, store.DeliveryFailed, now.Add(-48*time.Hour)),
	); err != nil {
		t.Fatal(err)
	}
	b := fx.browser(t, "editor")
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	tests := []struct {
		name, page string
		status     int
		want, not  []string
		// order lists strings that must appear in this order.
		order []string
	}{
		{name: "followers of the first actor", page: "", status: 200, want: []string{
			`<h2 id="followers">Followers of @news</h2>`,
			`<strong aria-current="true">@news</strong>`, `<a href="?actor=desk">@desk</a>`,
			"7 followers; 6 started following in the last 7 days, 6 in the last 30.",
			`<svg role="img" aria-labelledby="growth-title"`,
			"Followers of @news over the last 30 days: 1 to 7</title>",
			`<th scope="row">` + day(0) + `</th><td class="n">4</td><td class="n">7</td>`,
			`<th scope="row">` + day(-1) + `</th><td class="n">0</td><td class="n">3</td>`,
			`<th scope="row">` + day(-3) + `</th><td class="n">2</td><td class="n">3</td>`,
			`<th scope="row">` + day(-4) + `</th><td class="n">0</td><td class="n">1</td>`,
			`<th scope="row">` + day(-29) + `</th><td class="n">0</td><td class="n">1</td>`,
			`<th scope="row">a.example</th><td class="n">3</td>`, `<th scope="row">b.example</th><td class="n">2</td>`,
			`<th scope="row">c.example</th><td class="n">1</td>`, `<th scope="row">social.example</th><td class="n">1</td>`,
			// Hour: a.example's 3, b.example's and the fixture's two deliveries to social.example
			// (the Accept of bob's Follow and the article).
			`<th scope="row">Last hour</th><td class="n">3</td><td class="n">1</td><td class="n">2</td>`,
			`<th scope="row">Last day</th><td class="n">3</td><td class="n">1</td><td class="n">3</td>`,
			`<th scope="row">a.example</th><td class="n">2</td><td class="n">0</td><td class="n">1</td>`,
			`<th scope="row">c.example</th><td class="n">1</td><td class="n">0</td><td class="n">0</td>`,
			`<th scope="row">b.example</th><td class="n">0</td><td class="n">1</td><td class="n">0</td>`,
		}, not: []string{day(-30), `<th scope="row">d.example</th>`, "keeps no count"},
			order: []string{
				// Servers: most followers first, ties by name.
				`<th scope="row">a.example</th><td class="n">3</td>`, `<th scope="row">b.example</th><td class="n">2</td>`,
				`<th scope="row">c.example</th><td class="n">1</td>`, `<th scope="row">social.example</th><td class="n">1</td>`,
				// Worst hosts: most failed or retrying first, then most failed.
				`<th scope="row">a.example</th><td class="n">2</td>`, `<th scope="row">c.example</th><td class="n">1</td>`,
				`<th scope="row">b.example</th><td class="n">0</td>`,
			}},
		{name: "another actor", page: "?actor=desk", status: 200, want: []string{
			`<h2 id="followers">Followers of @desk</h2>`, "0 followers; 0 started following in the last 7 days",
			`<a href="?actor=news">@news</a>`,
		}, not: []string{`<th scope="row">a.example</th><td class="n">3</td>`}},
		{name: "unknown actor", page: "?actor=nobody", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := b.checkPage(t, tt.page, tt.status, tt.want, tt.not)
			at := 0
			for _, s := range tt.order {
				i := strings.Index(body[at:], s)
				if i < 0 {
					t.Fatalf("%q not found after offset %d", s, at)
				}
				at += i + len(s)
			}
		})
	}
	// The chart has a point per day, from the left edge to the right one.
	_, body := b.get("")
	m := regexp.MustCompile(`points="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no polyline points")
	}
	pts := strings.Fields(m[1])
	if len(pts) != 30 || !strings.HasPrefix(pts[0], "0,") || !strings.HasPrefix(pts[29], "300,0") {
		t.Errorf("points = %q, want 30 from 0,… to 300,0 (the most followers at the top)", m[1])
	}
}

// TestOverviewWithoutDeliveryCounts: a delivery store without store.DeliverySummarizer gets a
// note instead of the counts, and the rest of the page.
func TestOverviewWithoutDeliveryCounts(t *testing.T) {
	st := memstore.New()
	fx := newFixtureWith(t, func(c *activitypub.Config) { c.Store, c.DeliveryStore = st, deliveryOnly{st} })
	fx.browser(t, "editor").checkPage(t, "", 200,
		[]string{"The delivery store keeps no count of recent deliveries.", `<h2 id="followers">Followers of @news</h2>`},
		[]string{"Last hour", "Worst hosts"})
}
