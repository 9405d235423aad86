package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/fedsite/fedsite/store"
)

// summaryQueries count followers and delivery records for the operators' overview.
type summaryQueries struct {
	// followerInboxes groups an actor's followers by delivery inbox, over the (actor_id,
	// delivery_inbox) index; followerDays groups those since a time by day (86,400 s in Unix
	// nanoseconds), over the (actor_id, created_at) index.
	followerInboxes, followerDays string
	// deliveryCounts groups the recent delivery records by host and state, over the
	// (updated_at, host, state) index (updated_at alone on MySQL).
	deliveryCounts string
}

func newSummaryQueries(r func(string) string) summaryQueries {
	return summaryQueries{
		followerInboxes: r(`SELECT delivery_inbox, COUNT(*) FROM {followers} WHERE actor_id = $1 GROUP BY delivery_inbox`),
		followerDays: r(`SELECT created_at - created_at % 86400000000000, COUNT(*) FROM {followers}
			WHERE actor_id = $1 AND created_at >= $2 GROUP BY created_at - created_at % 86400000000000`),
		deliveryCounts: r(`SELECT host, state, COUNT(*) FROM {deliveries} WHERE updated_at >= $1 GROUP BY host, state`),
	}
}

var (
	_ store.FollowerSummarizer = (*Store)(nil)
	_ store.DeliverySummarizer = (*Store)(nil)
)

// SummarizeFollowers implements [store.FollowerSummarizer] with two grouped reads of the
// followers' indexes: one row per delivery inbox, and one per day since since's day.
func (s *Store) SummarizeFollowers(ctx context.Context, actorID string, since time.Time, hosts int) (store.FollowerSummary, error) {
	const op = "summarize followers"
	if err := s.check(op); err != nil {
		return store.FollowerSummary{}, err
	}
	var t store.FollowerTally
	err := s.eachRow(ctx, s.q.summary.followerInboxes, func(rows *sql.Rows) error {
		var inbox string
		var n int
		if err := rows.Scan(&inbox, &n); err != nil {
			return err
		}
		t.AddInbox(inbox, n)
		return nil
	}, actorID)
	if err == nil {
		err = s.eachRow(ctx, s.q.summary.followerDays, func(rows *sql.Rows) error {
			var day int64
			var n int
			if err := rows.Scan(&day, &n); err != nil {
				return err
			}
			t.AddDay(time.Unix(0, day), n)
			return nil
		}, actorID, since.UTC().Truncate(24*time.Hour).UnixNano())
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
	err := s.eachRow(ctx, s.q.summary.deliveryCounts, func(rows *sql.Rows) error {
		var c store.HostDeliveries
		var state string
		if err := rows.Scan(&c.Host, &state, &c.Count); err != nil {
			return err
		}
		c.State = store.DeliveryState(state)
		out = append(out, c)
		return nil
	}, since.UnixNano())
	if err != nil {
		return nil, wrap(op, err)
	}
	// Sorted here: Postgres would order TEXT by the database's collation, not by bytes.
	slices.SortFunc(out, func(a, b store.HostDeliveries) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(string(a.State), string(b.State)))
	})
	return out, nil
}

// eachRow runs the query q on the read pool and calls scan for each row.
func (s *Store) eachRow(ctx context.Context, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
