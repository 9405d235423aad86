package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

// summaryQueries read and keep the counts behind the operators' overview.
type summaryQueries struct {
	// followerInboxes reads an actor's follower counts by delivery inbox, and followerDays by
	// day since a day; both are kept by the follower writes (see countFollowers), so a summary
	// reads one row per inbox and per day rather than one per follower.
	followerInboxes, followerDays string
	// lockFollower reads a follower's delivery inbox and start, locking the row (SQLite's
	// write transactions lock the database instead); bumpInbox and bumpDay add to a count.
	lockFollower, bumpInbox, bumpDay string
	// deliveryCounts groups the recent delivery records by host and state, over the
	// (updated_at, host, state) index (updated_at alone on MySQL).
	deliveryCounts string
}

func newSummaryQueries(d Dialect, r func(string) string) summaryQueries {
	lock := `SELECT delivery_inbox, created_at FROM {followers} WHERE actor_id = $1 AND follower_id = $2`
	if d != SQLite {
		lock += ` FOR UPDATE`
	}
	// MySQL's upsert names neither the table by an alias nor the existing row: its bare column
	// is the stored value. Postgres finds a bare column ambiguous with excluded's.
	bump := func(table, col string) string {
		if d == MySQL {
			return r(`INSERT INTO {` + table + `} (actor_id, ` + col + `, followers) VALUES ($1, $2, $3)
				ON DUPLICATE KEY UPDATE followers = followers + VALUES(followers)`)
		}
		return r(`INSERT INTO {` + table + `} AS c (actor_id, ` + col + `, followers) VALUES ($1, $2, $3)
			ON CONFLICT (actor_id, ` + col + `) DO UPDATE SET followers = c.followers + excluded.followers`)
	}
	return summaryQueries{
		followerInboxes: r(`SELECT delivery_inbox, followers FROM {follower_inboxes} WHERE actor_id = $1 AND followers > 0`),
		followerDays:    r(`SELECT day_nanos, followers FROM {follower_days} WHERE actor_id = $1 AND day_nanos >= $2 AND followers > 0`),
		lockFollower:    r(lock),
		bumpInbox:       bump("follower_inboxes", "delivery_inbox"),
		bumpDay:         bump("follower_days", "day_nanos"),
		deliveryCounts:  r(`SELECT host, state, COUNT(*) FROM {deliveries} WHERE updated_at >= $1 GROUP BY host, state`),
	}
}

var (
	_ store.FollowerSummarizer = (*Store)(nil)
	_ store.DeliverySummarizer = (*Store)(nil)
)

// SummarizeFollowers implements [store.FollowerSummarizer] with two reads of the follower
// counts: one row per delivery inbox, and one per day since since's day.
func (s *Store) SummarizeFollowers(ctx context.Context, actorID string, since time.Time, hosts int) (store.FollowerSummary, error) {
	const op = "summarize followers"
	if err := s.check(op); err != nil {
		return store.FollowerSummary{}, err
	}
	var t store.FollowerTally
	rows, err := s.rdb.QueryContext(ctx, s.q.summary.followerInboxes, actorID)
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		var inbox string
		var n int
		if err := rows.Scan(&inbox, &n); err != nil {
			return err
		}
		t.AddInbox(inbox, n)
		return nil
	})
	if err == nil {
		rows, err = s.rdb.QueryContext(ctx, s.q.summary.followerDays, actorID, since.UTC().Truncate(24*time.Hour).UnixNano())
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var day int64
			var n int
			if err := rows.Scan(&day, &n); err != nil {
				return err
			}
			t.AddDay(time.Unix(0, day), n)
			return nil
		})
	}
	if err != nil {
		return store.FollowerSummary{}, wrap(op, err)
	}
	return t.Summary(since, hosts), nil
}

// CountDeliveries implements [store.DeliverySummarizer] with one grouped read of the records
// updated since since.
func (s *Store) CountDeliveries(ctx context.Context, since time.Time) ([]store.HostDeliveries, error) {
	const op = "count deliveries"
	if err := s.check(op); err != nil {
		return nil, err
	}
	var out []store.HostDeliveries
	rows, err := s.rdb.QueryContext(ctx, s.q.summary.deliveryCounts, since.UnixNano())
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		var c store.HostDeliveries
		var state string
		if err := rows.Scan(&c.Host, &state, &c.Count); err != nil {
			return err
		}
		c.State = store.DeliveryState(state)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	// Sorted here: Postgres would order TEXT by the database's collation, not by bytes.
	slices.SortFunc(out, store.HostDeliveries.Compare)
	return out, nil
}
