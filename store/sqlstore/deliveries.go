package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/internal/pagecursor"
	"github.com/fedsite/fedsite/store"
)

var _ store.Deliveries = (*Store)(nil)

// RecordDelivery implements [store.Deliveries] with upserts keyed by activity and inbox: on
// Postgres one statement writes all the records, on SQLite and MySQL one per record, several in
// one transaction.
func (s *Store) RecordDelivery(ctx context.Context, records ...store.DeliveryRecord) error {
	const op = "record delivery"
	if err := s.check(op); err != nil {
		return err
	}
	switch {
	case len(records) == 0:
		return wrap(op, ctx.Err())
	case len(records) == 1 || s.dialect == Postgres:
		// One statement is atomic on its own; skipping the transaction saves two round trips.
		return wrap(op, s.recordDeliveries(ctx, nil, records))
	}
	return wrap(op, s.inTx(ctx, func(tx *sql.Tx) error { return s.recordDeliveries(ctx, tx, records) }))
}

// deliveryRow is a record as Postgres's recordDeliveries statement reads it from its JSON array.
type deliveryRow struct {
	ObjectID   string `json:"object_id"`
	ActivityID string `json:"activity_id"`
	Inbox      string `json:"inbox"`
	Host       string `json:"host"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	LastError  string `json:"last_error"`
	UpdatedAt  int64  `json:"updated_at"`
}

// recordDeliveries upserts records in tx, or on the pool when tx is nil; a zero UpdatedAt becomes
// the current time. Postgres writes them with one statement, SQLite with one or two per record.
func (s *Store) recordDeliveries(ctx context.Context, tx *sql.Tx, records []store.DeliveryRecord) error {
	now := s.now()
	if s.dialect == Postgres {
		return s.recordDeliveriesAtOnce(ctx, tx, records, now)
	}
	// MySQL, whose upsert rewrites no index entry that stays the same, has no updateDelivery.
	up, ins := s.qs.updateDelivery, s.qs.recordDelivery
	if tx != nil {
		ins = tx.StmtContext(ctx, ins)
		if up != nil {
			up = tx.StmtContext(ctx, up)
		}
	}
	for _, r := range records {
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		args := []any{r.ObjectID, r.ActivityID, r.Inbox, r.Host, string(r.State), r.Attempts, r.LastError, r.UpdatedAt.UnixNano()}
		if r.State != store.DeliveryQueued && up != nil {
			// Past "queued", a record most often exists under the same object.
			res, err := up.ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err == nil && n == 1 {
				continue
			}
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// recordDeliveriesAtOnce upserts records on Postgres with one statement, which takes them as a
// JSON array. The statement cannot update a row twice, so of the records of one activity and
// inbox only the one that would stand last is sent (the last of those furthest on); the others
// keep their order.
func (s *Store) recordDeliveriesAtOnce(ctx context.Context, tx *sql.Tx, records []store.DeliveryRecord, now time.Time) error {
	if len(records) == 0 {
		return nil
	}
	type pair struct{ activity, inbox string }
	last := make(map[pair]int, len(records))
	for i, r := range records {
		k := pair{r.ActivityID, r.Inbox}
		if j, ok := last[k]; !ok || r.State.Rank() >= records[j].State.Rank() {
			last[k] = i
		}
	}
	rows := make([]deliveryRow, 0, len(last))
	for i, r := range records {
		if last[pair{r.ActivityID, r.Inbox}] != i {
			continue
		}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		rows = append(rows, deliveryRow{ObjectID: r.ObjectID, ActivityID: r.ActivityID, Inbox: r.Inbox, Host: r.Host,
			State: string(r.State), Attempts: r.Attempts, LastError: r.LastError, UpdatedAt: r.UpdatedAt.UnixNano()})
	}
	arg, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	st := s.qs.recordDeliveries
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	_, err = st.ExecContext(ctx, string(arg))
	return err
}

// DeliveriesPage implements [store.Deliveries] over the (object_id, activity_id, inbox) index,
// in byte order on both dialects. The cursor names the last record of the previous page; a limit
// below 1 is an error, and at most 10000 are returned.
func (s *Store) DeliveriesPage(ctx context.Context, objectID, cursor string, limit int) (store.Page[store.DeliveryRecord], error) {
	const op = "deliveries page"
	query, after := s.qq.deliveriesFirst, []any(nil)
	if cursor != "" {
		activity, inbox, ok := pagecursor.ParsePair(cursor)
		if !ok {
			return store.Page[store.DeliveryRecord]{}, fmt.Errorf("sqlstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		query, after = s.qq.deliveriesAfter, []any{activity, activity, inbox}
	}
	return page(ctx, s, op, query, []any{objectID}, limit, after,
		func(rows *sql.Rows) (store.DeliveryRecord, string, error) {
			var r store.DeliveryRecord
			var state string
			var updated int64
			err := rows.Scan(&r.ObjectID, &r.ActivityID, &r.Inbox, &r.Host, &state, &r.Attempts, &r.LastError, &updated)
			r.State, r.UpdatedAt = store.DeliveryState(state), fromNanos(updated)
			return r, pagecursor.Pair(r.ActivityID, r.Inbox), err
		})
}

// DeliveryStates implements [store.Deliveries] with one query that looks each inbox up by
// activity and inbox; the inboxes go as one JSON array, so one prepared statement serves any
// number.
func (s *Store) DeliveryStates(ctx context.Context, objectID, activityID string, inboxes ...string) ([]store.DeliveryState, error) {
	const op = "delivery states"
	if err := s.check(op); err != nil {
		return nil, err
	}
	if len(inboxes) == 0 {
		return nil, wrap(op, ctx.Err())
	}
	found := make(map[string]store.DeliveryState, len(inboxes))
	rows, err := queryJSON(ctx, s.qs.deliveryStates, inboxes, activityID, objectID)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var inbox, state string
		err := rows.Scan(&inbox, &state)
		found[inbox] = store.DeliveryState(state)
		return err
	}); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.DeliveryState, len(inboxes))
	for i, inbox := range inboxes {
		out[i] = found[inbox]
	}
	return out, nil
}
