package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Relays = (*Store)(nil)

const relayCols = `actor_id, relay_id, style, inbox, follow_id, state, created_at`

// relayQueries are the statements of [store.Relays].
type relayQueries struct {
	put, remove, list string
}

func newRelayQueries(r func(string) string) relayQueries {
	return relayQueries{
		put: r(`INSERT INTO {relays} (` + relayCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (actor_id, relay_id) DO UPDATE SET style = excluded.style, inbox = excluded.inbox,
				follow_id = excluded.follow_id, state = excluded.state`),
		remove: r(`DELETE FROM {relays} WHERE actor_id = $1 AND relay_id = $2`),
		list:   r(`SELECT ` + relayCols + ` FROM {relays} WHERE actor_id = $1 ORDER BY relay_id`),
	}
}

// PutRelay implements [store.Relays] with one upsert, which keeps the row's CreatedAt.
func (s *Store) PutRelay(ctx context.Context, r store.Relay) error {
	const op = "put relay"
	if err := s.check(op); err != nil {
		return err
	}
	if r.ActorID == "" || r.ID == "" {
		return fmt.Errorf("sqlstore: %s: ActorID and ID are required", op)
	}
	created := r.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q.relays.put, r.ActorID, r.ID, string(r.Style), r.Inbox, r.FollowID,
		string(r.State), created.UnixNano())
	return wrap(op, err)
}

// RemoveRelay implements [store.Relays].
func (s *Store) RemoveRelay(ctx context.Context, actorID, id string) error {
	return s.execOne(ctx, "remove relay", s.q.relays.remove, actorID, id)
}

// ActorRelays implements [store.Relays].
func (s *Store) ActorRelays(ctx context.Context, actorID string) ([]store.Relay, error) {
	const op = "actor relays"
	if err := s.check(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.q.relays.list, actorID)
	out, err := collectRows(rows, err, func(rows *sql.Rows) (store.Relay, error) {
		var r store.Relay
		var style, state string
		var created int64
		err := rows.Scan(&r.ActorID, &r.ID, &style, &r.Inbox, &r.FollowID, &state, &created)
		r.Style, r.State, r.CreatedAt = store.RelayStyle(style), store.RelayState(state), fromNanos(created)
		return r, err
	})
	return out, wrap(op, err)
}
