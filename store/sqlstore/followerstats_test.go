package sqlstore

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestMigrationFollowerCounts checks that migration 16 counts the followers a store already
// holds by inbox and by day, as the follower writes keep them afterwards.
func TestMigrationFollowerCounts(t *testing.T) {
	const actor = "https://news.example/actors/news"
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var followers []store.Follower
	for i := range 30 {
		id := fmt.Sprintf("https://h%d.example/users/u%d", i%4, i)
		f := store.Follower{ActorID: actor, FollowerID: id, Inbox: id + "/inbox", FollowID: id + "/follow",
			CreatedAt: day.AddDate(0, 0, i%7).Add(time.Duration(i) * time.Hour)}
		if i%4 != 3 {
			f.SharedInbox = fmt.Sprintf("https://h%d.example/inbox", i%4)
		}
		followers = append(followers, f)
	}
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := t.Context()
			old := atVersion(t, be, 14)
			insert := rewrite(old.dialect, old.schema, `INSERT INTO {followers}
				(actor_id, follower_id, inbox, shared_inbox, delivery_inbox, follow_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`)
			var want store.FollowerTally
			for _, f := range followers {
				if _, err := old.db.ExecContext(ctx, insert, f.ActorID, f.FollowerID, f.Inbox, f.SharedInbox,
					f.DeliveryInbox(), f.FollowID, f.CreatedAt.UnixNano()); err != nil {
					t.Fatal(err)
				}
				want.Add(f)
			}
			up, err := Open(ctx, Config{DB: old.db, Dialect: old.dialect, Schema: old.schema})
			if err != nil {
				t.Fatal(err)
			}
			defer up.Close()
			got, err := up.SummarizeFollowers(ctx, actor, day.AddDate(0, 0, 2), 3)
			if err != nil {
				t.Fatal(err)
			}
			if w := want.Summary(day.AddDate(0, 0, 2), 3); !reflect.DeepEqual(got, w) {
				t.Errorf("SummarizeFollowers after migration = %+v, want %+v", got, w)
			}
			if n, err := up.CountFollowers(ctx, actor); err != nil || n != len(followers) {
				t.Errorf("CountFollowers after migration = %d, %v; want %d", n, err, len(followers))
			}
		})
	}
}
