package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Interactions       = (*Store)(nil)
	_ store.InteractionCounter = (*Store)(nil)
)

// socialQueries are the statements of interactions and follow requests.
type socialQueries struct {
	addInteraction, addOnePerActor, interaction string
	interactionBy, removeInteraction            string
	interactionsFirst, interactionsAfter        string
	countInteractions                           string

	addRequest, request, removeRequest string
	requestsFirst, requestsAfter       string

	// MySQL adds an interaction of a one-per-actor kind in up to three steps (see addOnePerActorMySQL), with
	// addOnePerActor an insert that changes no row on a duplicate key.
	setDocument, interactionKnown string
}

const interactionCols = `id, kind, object_id, actor_id, emoji, document, created_at`

// onePerActorKinds are the kinds store.InteractionKind.OnePerActor names, as the predicate of the
// unique index interactions_one_per_actor (migration 10) spells them, so that the planner may use
// it.
const onePerActorKinds = `kind IN ('like', 'announce', 'dislike', 'reaction')`

func newSocialQueries(d Dialect, r func(string) string) socialQueries {
	return socialQueries{
		addInteraction: r(`INSERT INTO {interactions} (` + interactionCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET document = excluded.document`),
		addOnePerActor:   r(addOnePerActorQuery(d)),
		setDocument:      r(`UPDATE {interactions} SET document = $1 WHERE id = $2`),
		interactionKnown: r(`SELECT COUNT(*) FROM {interactions} WHERE id = $1`),
		interaction:      r(`SELECT ` + interactionCols + ` FROM {interactions} WHERE id = $1`),
		interactionBy: r(`SELECT ` + interactionCols + ` FROM {interactions}
			WHERE object_id = $1 AND actor_id = $2 AND kind = $3 AND emoji = $4 AND ` + onePerActorKinds),
		removeInteraction: r(`DELETE FROM {interactions} WHERE id = $1`),
		interactionsFirst: r(`SELECT seq, ` + interactionCols + ` FROM {interactions}
			WHERE object_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT $3`),
		interactionsAfter: r(`SELECT seq, ` + interactionCols + ` FROM {interactions}
			WHERE object_id = $1 AND kind = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`),
		countInteractions: r(`SELECT kind, COUNT(*) FROM {interactions} WHERE object_id = $1 GROUP BY kind`),

		addRequest: r(`INSERT INTO {follow_requests} (` + requestCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (actor_id, follower_id) DO UPDATE SET inbox = excluded.inbox,
				shared_inbox = excluded.shared_inbox, follow_id = excluded.follow_id, document = excluded.document`),
		request:       r(`SELECT ` + requestCols + ` FROM {follow_requests} WHERE actor_id = $1 AND follower_id = $2`),
		removeRequest: r(`DELETE FROM {follow_requests} WHERE actor_id = $1 AND follower_id = $2`),
		requestsFirst: r(`SELECT seq, ` + requestCols + ` FROM {follow_requests} WHERE actor_id = $1 ORDER BY seq DESC LIMIT $2`),
		requestsAfter: r(`SELECT seq, ` + requestCols + ` FROM {follow_requests} WHERE actor_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`),
	}
}

// addOnePerActorQuery is the statement that adds an interaction of a one-per-actor kind (a
// Like, an Announce, a Dislike or a reaction). It returns the id when
// the interaction is recorded, new or, for a known id, given the new document as a reply's upsert
// does, and no row when the actor's interaction of that kind and emoji on the object (the unique index
// interactions_one_per_actor) has another id, which stays.
//
// SQLite takes an ON CONFLICT clause per constraint and checks the DO UPDATE one, on the id,
// before the others. Postgres takes one clause, and DO NOTHING would not tell which constraint
// stopped the row: a known id is updated first; otherwise the row goes in with the actor's index
// as arbiter, whose no-op DO UPDATE applies only to a row of the same id, so that a repeat under
// another id returns no row, even against a row a concurrent call committed after the statement
// began. The id's index is no arbiter there: when a concurrent call inserts the same id, the
// statement fails with a unique violation, and AddInteraction runs it again to find the id known.
func addOnePerActorQuery(d Dialect) string {
	switch d {
	case MySQL:
		return `INSERT INTO {interactions} (` + interactionCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON DUPLICATE KEY UPDATE seq = seq`
	case SQLite:
		return `INSERT INTO {interactions} (` + interactionCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET document = excluded.document
			ON CONFLICT DO NOTHING
			RETURNING id`
	}
	return `WITH known AS (
			UPDATE {interactions} SET document = $6 WHERE id = $1 RETURNING id
		), added AS (
			INSERT INTO {interactions} AS kept (` + interactionCols + `)
				SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT FROM known)
			ON CONFLICT (object_id, actor_id, kind, emoji) WHERE ` + onePerActorKinds + `
				DO UPDATE SET document = excluded.document WHERE kept.id = excluded.id
			RETURNING id
		)
		SELECT id FROM known UNION ALL SELECT id FROM added`
}

// AddInteraction implements [store.Interactions] with one statement, run twice only when a
// concurrent call adds the same Like or Announce on Postgres; on SQLite concurrent calls are
// committed together (see groupCommit). For a reply one upsert keeps the
// row's sequence number, CreatedAt, kind, object and actor, and replaces only the document. A Like
// or an Announce, which has no document, is added the same way unless the actor has one of that
// kind on the object under another id: see addOnePerActorQuery, and addOnePerActorMySQL for MySQL.
func (s *Store) AddInteraction(ctx context.Context, i store.Interaction) (bool, error) {
	const op = "add interaction"
	if err := s.check(op); err != nil {
		return false, err
	}
	if i.ID == "" || i.ObjectID == "" || i.Kind == "" {
		return false, fmt.Errorf("sqlstore: %s: ID, Kind and ObjectID are required", op)
	}
	created := i.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	args := []any{i.ID, string(i.Kind), i.ObjectID, i.ActorID, i.Emoji, nonNilBytes(i.Document), created.UnixNano()}
	if !i.Kind.OnePerActor() {
		err := s.groupCommit(ctx, func(ctx context.Context, q querier) error {
			_, err := bind(ctx, q, s.inbox.addInteraction).ExecContext(ctx, args...)
			return err
		})
		return err == nil, wrap(op, err)
	}
	if s.dialect == MySQL {
		added, err := s.addOnePerActorMySQL(ctx, args)
		return added, wrap(op, err)
	}
	var id string
	err := s.groupCommit(ctx, func(ctx context.Context, q querier) error {
		return bind(ctx, q, s.inbox.addOnePerActor).QueryRowContext(ctx, args...).Scan(&id)
	})
	if isUniqueViolation(err) {
		// Postgres: a concurrent call inserted this id (see addOnePerActorQuery); it is known now.
		err = s.inbox.addOnePerActor.QueryRowContext(ctx, args...).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the actor's older one stays
	}
	return err == nil, wrap(op, err)
}

// addOnePerActorMySQL adds an interaction of a one-per-actor kind on MySQL, whose ON DUPLICATE KEY UPDATE does
// not tell which unique key the row met: the insert changes no row when the id or the actor's
// interaction of that kind on the object (interactions_one_per_actor) is stored. Then the id's
// row, if any, takes the new document; when none changed, the interaction is recorded only if
// its id is stored.
func (s *Store) addOnePerActorMySQL(ctx context.Context, args []any) (bool, error) {
	if n, err := rowsAffected(s.inbox.addOnePerActor.ExecContext(ctx, args...)); err != nil || n > 0 {
		return err == nil, err
	}
	id, doc := args[0], args[5]
	if n, err := rowsAffected(s.db.ExecContext(ctx, s.q.social.setDocument, doc, id)); err != nil || n > 0 {
		return err == nil, err
	}
	var known int
	err := s.db.QueryRowContext(ctx, s.q.social.interactionKnown, id).Scan(&known)
	return known > 0, err
}

// rowsAffected returns the rows a statement changed, or its error.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Interaction implements [store.Interactions].
func (s *Store) Interaction(ctx context.Context, id string) (store.Interaction, error) {
	const op = "interaction"
	if err := s.check(op); err != nil {
		return store.Interaction{}, err
	}
	i, err := scanInteraction(s.rdb.QueryRowContext(ctx, s.q.social.interaction, id))
	return i, wrap(op, err)
}

// InteractionBy implements [store.Interactions] with one read of the unique index of
// migration 10.
func (s *Store) InteractionBy(ctx context.Context, actorID, objectID string, kind store.InteractionKind, emoji string) (store.Interaction, error) {
	const op = "interaction by"
	if err := s.check(op); err != nil {
		return store.Interaction{}, err
	}
	i, err := scanInteraction(s.rdb.QueryRowContext(ctx, s.q.social.interactionBy, objectID, actorID, string(kind), emoji))
	return i, wrap(op, err)
}

// RemoveInteraction implements [store.Interactions].
func (s *Store) RemoveInteraction(ctx context.Context, id string) error {
	return s.execOne(ctx, "remove interaction", s.q.social.removeInteraction, id)
}

// InteractionsPage implements [store.Interactions]. The cursor is the sequence number of the last
// interaction of the previous page; a limit below 1 is an error, and at most 10000 are returned.
func (s *Store) InteractionsPage(ctx context.Context, objectID string, kind store.InteractionKind, cursor string, limit int) (store.Page[store.Interaction], error) {
	return seqPage(ctx, s, "interactions page", s.q.social.interactionsFirst, s.q.social.interactionsAfter,
		[]any{objectID, string(kind)}, cursor, limit,
		func(rows *sql.Rows) (store.Interaction, string, error) {
			var seq int64
			i, err := scanInteraction(rows, &seq)
			return i, formatCursor(seq), err
		})
}

// CountInteractions implements [store.Interactions] with one grouped count over the
// (object_id, kind) index.
func (s *Store) CountInteractions(ctx context.Context, objectID string) (map[store.InteractionKind]int, error) {
	const op = "count interactions"
	if err := s.check(op); err != nil {
		return nil, err
	}
	counts := make(map[store.InteractionKind]int)
	rows, err := s.rdb.QueryContext(ctx, s.q.social.countInteractions, objectID)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var kind string
		var n int
		err := rows.Scan(&kind, &n)
		counts[store.InteractionKind(kind)] = n
		return err
	}); err != nil {
		return nil, wrap(op, err)
	}
	return counts, nil
}

// execOne runs a statement that must affect a row; none is [store.ErrNotFound].
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	if err := s.check(op); err != nil {
		return err
	}
	n, err := rowsAffected(s.db.ExecContext(ctx, query, args...))
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return wrap(op, store.ErrNotFound)
	}
	return nil
}

// nonNilBytes stores an absent document as an empty one, which reads back as nil.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func scanInteraction(sc scanner, seq ...*int64) (store.Interaction, error) {
	var i store.Interaction
	var kind string
	var created int64
	dest := []any{&i.ID, &kind, &i.ObjectID, &i.ActorID, &i.Emoji, &i.Document, &created}
	if len(seq) > 0 {
		dest = append([]any{seq[0]}, dest...)
	}
	if err := sc.Scan(dest...); err != nil {
		return store.Interaction{}, err
	}
	if len(i.Document) == 0 {
		i.Document = nil
	}
	i.Kind = store.InteractionKind(kind)
	i.CreatedAt = fromNanos(created)
	return i, nil
}
