package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/operator"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/sqlstore"

	_ "modernc.org/sqlite"
)

// The large site's size: what the operator pages must render in under 50 ms each.
const (
	largeFollowers = 100_000
	largeHosts     = 1_000
	largeArticles  = 1_000
)

// largeSite builds a site on SQLite with largeFollowers followers of @news on largeHosts
// servers, who started following over the last year, and largeArticles articles, the last of them
// delivered to every server but one in ten (failed for half of those, retrying for the others),
// seeded through the store and the Federation without delivering anything, and returns the
// operator handler.
func largeSite(b *testing.B) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "site.db"), sqlstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fed, err := activitypub.New(activitypub.Config{BaseURL: activitypubtest.BaseURL, Actors: siteActors{}, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	news := fed.ActorID("news")
	start := time.Now()
	const year = 365 * 24 * time.Hour
	// Writers in parallel, as inbox requests come, so that SQLite commits them in groups.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < largeFollowers; i += 16 {
				h := i % largeHosts
				id := fmt.Sprintf("https://h%d.example/users/u%d", h, i)
				if err := st.AddFollower(ctx, store.Follower{ActorID: news, FollowerID: id, Inbox: id + "/inbox",
					SharedInbox: fmt.Sprintf("https://h%d.example/inbox", h), FollowID: id + "/follow",
					CreatedAt: start.Add(-year + time.Duration(i)*(year/largeFollowers))}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var last string
	for i := range largeArticles {
		last = fmt.Sprintf("%s/articles/a%d", activitypubtest.BaseURL, i)
		if err := fed.Publish(ctx, "news", activitypub.Article{URL: last, Title: fmt.Sprint("Article ", i), Content: "<p>Text.</p>"}); err != nil {
			b.Fatal(err)
		}
	}
	recs := make([]store.DeliveryRecord, largeHosts)
	for h := range recs {
		recs[h] = store.DeliveryRecord{ObjectID: last, ActivityID: last + "#create", Inbox: fmt.Sprintf("https://h%d.example/inbox", h),
			Host: fmt.Sprintf("h%d.example", h), State: store.DeliveryDelivered, Attempts: 1}
		switch h % 20 {
		case 0:
			recs[h].State, recs[h].Attempts, recs[h].LastError = store.DeliveryFailed, 8, "503 Service Unavailable"
		case 10:
			recs[h].State, recs[h].Attempts, recs[h].LastError = store.DeliveryRetrying, 2, "timeout"
		}
	}
	if err := st.RecordDelivery(ctx, recs...); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d followers and %d articles in %v", largeFollowers, largeArticles, time.Since(start).Round(time.Millisecond))
	op, err := operator.New(operator.Config{Federation: fed, Actors: siteActors{}, User: cookieUser})
	if err != nil {
		b.Fatal(err)
	}
	return op, last
}

// BenchmarkRenderLarge renders each operator page of a site with 100,000 followers and 1,000
// articles on SQLite, through the handler, without the network.
func BenchmarkRenderLarge(b *testing.B) {
	h, article := largeSite(b)
	pages := []struct{ name, page string }{
		{"overview", "/"}, {"article", "/article?url=" + url.QueryEscape(article)},
		{"requests", "/requests?actor=desk"}, {"moderation", "/moderation"}, {"mentions", "/mentions"},
		{"relays", "/relays?actor=news"}, {"hosts", "/hosts"}, {"dead", "/dead"}, {"audit", "/audit"},
		{"audit-filtered", "/audit?action=flag&direction=in"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, p.page, nil)
				r.AddCookie(&http.Cookie{Name: "user", Value: "editor"})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: status %d: %s", p.page, w.Code, w.Body)
				}
			}
		})
	}
}
