package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Queue         = (*Store)(nil)
	_ store.LeaseReleaser = (*Store)(nil)
	_ store.BatchAcker    = (*Store)(nil)
)

// queueQueries are the statements of the queue, host state and delivery status.
type queueQueries struct {
	insertJob, lease, ackJob, extendJob, releaseLeases, retryJob, deadJob, insertDead, depth, unfinishedKeys string

	hostStates, hostFailed, openHost, hostSucceeded string

	// blocked finds which of a JSON array of block targets are blocked; it runs for every inbox
	// request, so it is prepared with the queue's statements.
	blocked string

	recordDelivery, updateDelivery, deliveriesFirst, deliveriesAfter, deliveryStates string
	// recordDeliveries upserts the records of a JSON array in one statement, and ackJobs deletes
	// the jobs of a JSON array of leases in one; Postgres only.
	recordDeliveries, ackJobs string
	// MySQL only: see mysqlQueueQueries.
	leaseStamp, deleteJob, hostState, leaseHeld string
}

const jobCols = `seq, id, kind, ordering_key, payload, not_before, attempts, last_error, enqueued_at, leased_until, token`
const deliveryCols = `object_id, activity_id, inbox, host, state, attempts, last_error, updated_at`

// deliveryUpsert replaces the record of the same activity and inbox unless that one is further on.
const deliveryUpsert = `ON CONFLICT (activity_id, inbox) DO UPDATE SET object_id = excluded.object_id,
	host = excluded.host, state = excluded.state, attempts = excluded.attempts,
	last_error = excluded.last_error, updated_at = excluded.updated_at
	WHERE (CASE excluded.state` + rankCases + ` >= (CASE deliveries.state` + rankCases

// rankCases ends a CASE on a state that gives its [store.DeliveryState.Rank].
const rankCases = ` WHEN 'queued' THEN 1 WHEN 'retrying' THEN 2 WHEN 'delivered' THEN 3 WHEN 'failed' THEN 3 ELSE 0 END)`

func newQueueQueries(d Dialect, schema string) queueQueries {
	r := func(q string) string { return rewrite(d, schema, q) }
	// jsonTexts lists the strings of the JSON array in $1.
	jsonTexts := `SELECT value FROM json_each($1)`
	switch d {
	case Postgres:
		jsonTexts = `SELECT jsonb_array_elements_text($1::jsonb)`
	case MySQL:
		jsonTexts = `SELECT value FROM JSON_TABLE($1, '$[*]' COLUMNS (value ` + mysqlKey + ` PATH '$')) AS j`
	}
	q := queueQueries{
		insertJob: r(`INSERT INTO {jobs} (id, kind, ordering_key, payload, not_before, attempts, last_error,
			enqueued_at, leased_until, token) VALUES ($1, $2, $3, $4, $5, 0, '', $6, 0, '')`),
		ackJob:    r(`DELETE FROM {jobs} WHERE id = $1 AND token = $2 AND token <> ''`),
		extendJob: r(`UPDATE {jobs} SET leased_until = $1 WHERE id = $2 AND token = $3 AND token <> ''`),
		// The token stays: a released lease is current until its job is leased again.
		releaseLeases: r(`UPDATE {jobs} SET leased_until = 0 WHERE leased_until > $1`),
		retryJob: r(`UPDATE {jobs} SET attempts = attempts + 1, not_before = $1, last_error = $2,
			leased_until = 0, token = '' WHERE id = $3 AND token = $4 AND token <> ''`),
		insertDead: r(`INSERT INTO {dead_jobs} (id, kind, ordering_key, payload, attempts, last_error, enqueued_at, died_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
		// Every row of jobs is unfinished (dead ones move to dead_jobs); the (ordering_key, seq)
		// index answers each key with one probe, however many jobs share it.
		unfinishedKeys: r(`WITH wanted(k) AS (` + jsonTexts + `)
			SELECT k FROM wanted WHERE EXISTS (SELECT 1 FROM {jobs} WHERE ordering_key = k)`),

		// The hosts come as one JSON array, so that one prepared statement serves any number.
		hostStates: r(`SELECT host, failures, last_failure, open_until FROM {hosts} WHERE host IN (` + jsonTexts + `)`),
		openHost: r(`INSERT INTO {hosts} (host, failures, last_failure, open_until) VALUES ($1, 0, 0, $2)
			ON CONFLICT (host) DO UPDATE SET open_until = excluded.open_until`),
		hostSucceeded: r(`DELETE FROM {hosts} WHERE host = $1`),

		blocked: r(`SELECT target FROM {blocks} WHERE target IN (` + jsonTexts + `)`),

		deliveriesFirst: r(`SELECT ` + deliveryCols + ` FROM {deliveries} WHERE object_id = $1
			ORDER BY activity_id, inbox LIMIT $2`),
		// The cursor's activity comes twice, as $2 and $3, so that each parameter is used once.
		deliveriesAfter: r(`SELECT ` + deliveryCols + ` FROM {deliveries} WHERE object_id = $1
			AND activity_id >= $2 AND (activity_id > $3 OR inbox > $4)
			ORDER BY activity_id, inbox LIMIT $5`),
		// The inboxes come as a JSON array in $1, as the hosts do; each is one probe of an index
		// that starts with the activity (the primary key) or the object and activity
		// (deliveries_object), whichever the planner picks.
		deliveryStates: r(`SELECT inbox, state FROM {deliveries}
			WHERE inbox IN (` + jsonTexts + `) AND activity_id = $2 AND object_id = $3`),
	}
	if d == MySQL {
		q.mysqlQueueQueries(r)
		return q
	}
	// A job is leasable when it is due, not leased (or its lease ran out), and no older job with
	// the same ordering key is unfinished; the (ordering_key, seq) index answers the last test.
	// Postgres locks the chosen rows and skips rows other leasers hold, so several instances
	// lease side by side; SQLite runs the statement in a BEGIN IMMEDIATE transaction.
	lock := ""
	if d == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
		// Each statement is a round trip to Postgres but not to SQLite, which keeps the
		// per-record statements below; a call's records go to Postgres as one JSON array of
		// deliveryRow objects. json_to_recordset reads the text as it is, without building a
		// jsonb value first, which takes a third of the time off 500 records. One statement
		// cannot update a row twice, so the caller sends only the last record of a pair.
		q.recordDeliveries = r(`INSERT INTO {deliveries} (` + deliveryCols + `)
			SELECT ` + deliveryCols + ` FROM json_to_recordset($1::json) AS r(object_id text,
				activity_id text, inbox text, host text, state text, attempts bigint, last_error text, updated_at bigint)
			` + deliveryUpsert)
		// A lease's job is deleted when its token is still the job's; the ids and tokens of the
		// deleted rows tell the caller which leases were current. The planner takes a set-returning
		// function for 100 rows and would hash them against a scan of every job (1.2 ms at 10,000
		// jobs, for 8 leases); an array of the ids makes it probe the id index for each lease
		// instead, and the pair test keeps each job to its own lease's token.
		leaseRows := `json_to_recordset($1::json) AS l(id text, token text)`
		q.ackJobs = r(`DELETE FROM {jobs} WHERE id = ANY(ARRAY(SELECT l.id FROM ` + leaseRows + `))
			AND (id, token) IN (SELECT l.id, l.token FROM ` + leaseRows + `) AND token <> ''
			RETURNING id, token`)
	}
	q.lease = r(`UPDATE {jobs} SET leased_until = $2, token = $3 || CAST(seq AS TEXT)
			WHERE seq IN (SELECT j.seq FROM {jobs} j
				WHERE j.not_before <= $1 AND j.leased_until <= $1
				AND (j.ordering_key = '' OR NOT EXISTS (
					SELECT 1 FROM {jobs} o WHERE o.ordering_key = j.ordering_key AND o.seq < j.seq))
				ORDER BY j.seq LIMIT $4` + lock + `)
			RETURNING ` + jobCols)
	q.deadJob = r(`DELETE FROM {jobs} WHERE id = $1 AND token = $2 AND token <> ''
			RETURNING id, kind, ordering_key, payload, attempts, enqueued_at`)
	q.depth = r(`SELECT
			COUNT(*) FILTER (WHERE leased_until <= $1 AND not_before <= $1),
			COUNT(*) FILTER (WHERE leased_until <= $1 AND not_before > $1),
			COUNT(*) FILTER (WHERE leased_until > $1),
			(SELECT COUNT(*) FROM {dead_jobs})
			FROM {jobs}`)
	q.hostFailed = r(`INSERT INTO {hosts} (host, failures, last_failure, open_until) VALUES ($1, 1, $2, 0)
			ON CONFLICT (host) DO UPDATE SET failures = hosts.failures + 1, last_failure = excluded.last_failure
			RETURNING failures, last_failure, open_until`)
	// A record whose object stays the same is updated in place: the upsert's SET names the
	// indexed object_id, and SQLite then rewrites the index entry even when it is unchanged.
	q.updateDelivery = r(`UPDATE {deliveries} SET host = $4, state = $5, attempts = $6, last_error = $7,
			updated_at = $8 WHERE activity_id = $2 AND inbox = $3 AND object_id = $1
			AND (CASE state` + rankCases + ` <= (CASE $5` + rankCases)
	q.recordDelivery = r(`INSERT INTO {deliveries} (` + deliveryCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			` + deliveryUpsert)
	return q
}

// mysqlQueueQueries sets the queue's statements that MySQL, which has no UPDATE or DELETE …
// RETURNING, spells otherwise. Lease selects the leasable jobs with FOR UPDATE SKIP LOCKED and
// then stamps them (leaseStamp with a list of sequence numbers); DeadLetter locks the job's row
// with deadJob and deletes it with deleteJob; HostFailed reads the counted row back with
// hostState in the upsert's transaction; Extend asks leaseHeld when its UPDATE changed no row.
func (q *queueQueries) mysqlQueueQueries(r func(string) string) {
	q.lease = r(`SELECT ` + jobCols + ` FROM {jobs} j
		WHERE j.not_before <= $1 AND j.leased_until <= $2
		AND (j.ordering_key = '' OR NOT EXISTS (
			SELECT 1 FROM {jobs} o WHERE o.ordering_key = j.ordering_key AND o.seq < j.seq))
		ORDER BY j.seq LIMIT $3 FOR UPDATE SKIP LOCKED`)
	q.leaseStamp = r(`UPDATE {jobs} SET leased_until = $1, token = CONCAT($2, seq) WHERE seq IN `)
	q.deadJob = r(`SELECT seq, id, kind, ordering_key, payload, attempts, enqueued_at FROM {jobs}
		WHERE id = $1 AND token = $2 AND token <> '' FOR UPDATE`)
	q.deleteJob = r(`DELETE FROM {jobs} WHERE seq = $1`)
	q.leaseHeld = r(`SELECT COUNT(*) FROM {jobs} WHERE id = $1 AND token = $2 AND token <> ''`)
	// The time is bound once, in a derived table, as MySQL binds each parameter once.
	q.depth = r(`SELECT
		COUNT(CASE WHEN leased_until <= n.t AND not_before <= n.t THEN 1 END),
		COUNT(CASE WHEN leased_until <= n.t AND not_before > n.t THEN 1 END),
		COUNT(CASE WHEN leased_until > n.t THEN 1 END),
		(SELECT COUNT(*) FROM {dead_jobs})
		FROM {jobs} CROSS JOIN (SELECT CAST($1 AS SIGNED) AS t) n`)
	q.hostFailed = r(`INSERT INTO {hosts} (host, failures, last_failure, open_until) VALUES ($1, 1, $2, 0)
		ON DUPLICATE KEY UPDATE failures = failures + 1, last_failure = VALUES(last_failure)`)
	q.hostState = r(`SELECT failures, last_failure, open_until FROM {hosts} WHERE host = $1`)
	// The columns are set before state, which the condition reads.
	newer := `(CASE VALUES(state)` + rankCases + ` >= (CASE state` + rankCases
	set := func(col string) string { return col + ` = IF(` + newer + `, VALUES(` + col + `), ` + col + `)` }
	q.recordDelivery = r(`INSERT INTO {deliveries} (` + deliveryCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON DUPLICATE KEY UPDATE ` + strings.Join([]string{set("object_id"), set("host"), set("attempts"),
		set("last_error"), set("updated_at"), set("state")}, ", "))
}

// queryJSON runs st with v, encoded as one JSON value, as its first argument and args after it:
// the way one prepared statement takes a list of any length (json_each, jsonb_array_elements_text,
// json_to_recordset).
func queryJSON(ctx context.Context, st *sql.Stmt, v any, args ...any) (*sql.Rows, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, append([]any{string(b)}, args...)...)
}

// queueStmts are the hot statements of the queue, host state and delivery status, prepared once
// when the store opens: on SQLite's one connection each is parsed once for the life of the store
// rather than at every call. In a transaction they are bound with [sql.Tx.StmtContext], which
// reuses the connection's prepared statement.
type queueStmts struct {
	insertJob, lease, ackJob, extendJob, retryJob, deadJob, insertDead, depth, unfinishedKeys *sql.Stmt

	hostStates, hostFailed, openHost, hostSucceeded *sql.Stmt

	blocked *sql.Stmt

	deliveryStates *sql.Stmt
	// The records of a call: SQLite writes each with updateDelivery or recordDelivery, MySQL each
	// with recordDelivery, Postgres all with recordDeliveries; the statements a dialect does not
	// use stay nil.
	recordDelivery, updateDelivery, recordDeliveries *sql.Stmt
	// The leases of an AckBatch: SQLite and MySQL ack each with ackJob, Postgres all with ackJobs.
	ackJobs *sql.Stmt
	// MySQL only: see mysqlQueueQueries.
	hostState, deleteJob *sql.Stmt
}

// prepareQueue prepares s.qs from s.qq; it closes what it prepared when one fails.
func (s *Store) prepareQueue(ctx context.Context) error {
	q := s.qq
	list := []preparing{
		{&s.qs.insertJob, s.db, q.insertJob}, {&s.qs.lease, s.db, q.lease}, {&s.qs.ackJob, s.db, q.ackJob}, {&s.qs.extendJob, s.db, q.extendJob},
		{&s.qs.retryJob, s.db, q.retryJob}, {&s.qs.deadJob, s.db, q.deadJob}, {&s.qs.insertDead, s.db, q.insertDead},
		{&s.qs.depth, s.db, q.depth}, {&s.qs.unfinishedKeys, s.db, q.unfinishedKeys},
		{&s.qs.hostStates, s.db, q.hostStates}, {&s.qs.hostFailed, s.db, q.hostFailed}, {&s.qs.openHost, s.db, q.openHost},
		{&s.qs.hostSucceeded, s.db, q.hostSucceeded},
		{&s.qs.deliveryStates, s.db, q.deliveryStates}, {&s.qs.blocked, s.db, q.blocked},
	}
	switch s.dialect {
	case Postgres:
		list = append(list, preparing{&s.qs.recordDeliveries, s.db, q.recordDeliveries}, preparing{&s.qs.ackJobs, s.db, q.ackJobs})
	case MySQL:
		list = append(list, preparing{&s.qs.recordDelivery, s.db, q.recordDelivery}, preparing{&s.qs.hostState, s.db, q.hostState},
			preparing{&s.qs.deleteJob, s.db, q.deleteJob})
	default:
		list = append(list, preparing{&s.qs.recordDelivery, s.db, q.recordDelivery}, preparing{&s.qs.updateDelivery, s.db, q.updateDelivery})
	}
	return s.prepare(ctx, list...)
}

// closeStmts closes the statements the store prepared.
func (s *Store) closeStmts() {
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
}

// Enqueue implements [store.Queue] in one transaction. An ID a queued or leased job has is
// [store.ErrConflict].
func (s *Store) Enqueue(ctx context.Context, jobs ...store.Job) error {
	const op = "enqueue"
	if err := s.check(op); err != nil {
		return err
	}
	if len(jobs) == 0 {
		return wrap(op, ctx.Err())
	}
	return wrap(op, s.inTx(ctx, func(tx *sql.Tx) error { return s.insertJobs(ctx, tx, jobs) }))
}

func (s *Store) insertJobs(ctx context.Context, tx *sql.Tx, jobs []store.Job) error {
	now := s.now().UnixNano()
	st := tx.StmtContext(ctx, s.qs.insertJob)
	for _, j := range jobs {
		if j.ID == "" {
			j.ID = rand.Text()
		}
		if _, err := st.ExecContext(ctx, j.ID, j.Kind, j.OrderingKey, nonNil(j.Payload),
			zeroNanos(j.NotBefore), now); err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
	}
	return nil
}

// Lease implements [store.Queue] with one UPDATE … RETURNING over the oldest leasable jobs; on
// MySQL with a SELECT … FOR UPDATE SKIP LOCKED of them and an UPDATE of the rows it locked.
func (s *Store) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	const op = "lease"
	if err := s.check(op); err != nil {
		return nil, err
	}
	if max < 1 || visibility <= 0 {
		return nil, fmt.Errorf("sqlstore: %s: max %d and visibility %v must be positive", op, max, visibility)
	}
	max = min(max, maxLimit)
	var out []store.Lease
	var seqs []int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		until := now.Add(visibility)
		prefix := rand.Text() + ":"
		lease := tx.StmtContext(ctx, s.qs.lease)
		var rows *sql.Rows
		var err error
		if s.dialect == MySQL {
			// The SELECT … FOR UPDATE SKIP LOCKED reads and locks the jobs; leaseStamp stamps them.
			rows, err = lease.QueryContext(ctx, now.UnixNano(), now.UnixNano(), max)
		} else {
			rows, err = lease.QueryContext(ctx, now.UnixNano(), until.UnixNano(), prefix, max)
		}
		if out, seqs, err = scanLeases(rows, err); err != nil || s.dialect != MySQL {
			return err
		}
		for i := range out {
			out[i].Until, out[i].Token = fromNanos(until.UnixNano()), prefix+strconv.FormatInt(seqs[i], 10)
		}
		return execSeqs(ctx, tx, s.qq.leaseStamp, []any{until.UnixNano(), prefix}, seqs)
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	// RETURNING promises no order; hand the jobs out oldest first.
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(seqs[a] - seqs[b]) })
	sorted := make([]store.Lease, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted, nil
}

// scanLeases reads the jobCols rows of the lease statement, as eachRow does.
func scanLeases(rows *sql.Rows, err error) (out []store.Lease, seqs []int64, _ error) {
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		var l store.Lease
		var seq, nb, enq, lu int64
		if err := rows.Scan(&seq, &l.ID, &l.Kind, &l.OrderingKey, &l.Payload, &nb, &l.Attempts, &l.LastError,
			&enq, &lu, &l.Token); err != nil {
			return err
		}
		l.NotBefore, l.EnqueuedAt, l.Until = fromZeroNanos(nb), fromNanos(enq), fromNanos(lu)
		out, seqs = append(out, l), append(seqs, seq)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, seqs, nil
}

// Extend implements [store.Queue] with one UPDATE of the job's row, matched by id and token.
func (s *Store) Extend(ctx context.Context, l store.Lease, visibility time.Duration) (store.Lease, error) {
	const op = "extend"
	if err := s.check(op); err != nil {
		return l, err
	}
	if visibility <= 0 {
		return l, fmt.Errorf("sqlstore: %s: visibility %v must be positive", op, visibility)
	}
	until := s.now().Add(visibility)
	err := affectOne(s.qs.extendJob.ExecContext(ctx, until.UnixNano(), l.ID, l.Token))
	if errors.Is(err, store.ErrLeaseLost) && s.dialect == MySQL {
		// MySQL counts no row when the lease already ends then; it holds if it is current.
		var held int
		if err = s.db.QueryRowContext(ctx, s.qq.leaseHeld, l.ID, l.Token).Scan(&held); err == nil && held == 0 {
			err = store.ErrLeaseLost
		}
	}
	if err != nil {
		return l, wrap(op+" "+l.ID, err)
	}
	l.Until = fromNanos(until.UnixNano())
	return l, nil
}

// Ack implements [store.Queue]: the job's row is deleted and next inserted in one transaction.
func (s *Store) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	const op = "ack"
	if err := s.check(op); err != nil {
		return err
	}
	if len(next) == 0 {
		// One statement is atomic on its own; skipping the transaction saves two round trips.
		return wrap(op+" "+l.ID, affectOne(s.qs.ackJob.ExecContext(ctx, l.ID, l.Token)))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := affectOne(tx.StmtContext(ctx, s.qs.ackJob).ExecContext(ctx, l.ID, l.Token)); err != nil {
			return err
		}
		return s.insertJobs(ctx, tx, next)
	})
	return wrap(op+" "+l.ID, err)
}

// AckBatch implements [store.BatchAcker]: the records are upserted and the rows of the leases still
// current deleted in one transaction; each lost lease is reported with [store.ErrLeaseLost]. On
// Postgres the records take one statement and the leases another, and a call with only one of
// the two runs it without a transaction; SQLite and MySQL take one statement per record and lease.
func (s *Store) AckBatch(ctx context.Context, leases []store.Lease, records ...store.DeliveryRecord) error {
	const op = "ack batch"
	if err := s.check(op); err != nil {
		return err
	}
	switch {
	case len(leases) == 0 && len(records) == 0:
		return wrap(op, ctx.Err())
	case len(leases) == 1 && len(records) == 0:
		return s.Ack(ctx, leases[0])
	}
	var lost []store.Lease
	write := func(tx *sql.Tx) error {
		if err := s.recordDeliveries(ctx, tx, records); err != nil {
			return err
		}
		var err error
		lost, err = s.ackJobs(ctx, tx, leases)
		return err
	}
	var err error
	if s.dialect == Postgres && (len(leases) == 0 || len(records) == 0) {
		// One statement is atomic on its own; skipping the transaction saves two round trips.
		err = write(nil)
	} else {
		err = s.inTx(ctx, write)
	}
	if err != nil {
		return wrap(op, err)
	}
	errs := make([]error, len(lost))
	for i, l := range lost {
		errs[i] = fmt.Errorf("sqlstore: %s %s: %w", op, l.ID, store.ErrLeaseLost)
	}
	return errors.Join(errs...)
}

// ackJobs deletes the jobs of the leases that are still current, in tx or on the pool when tx is
// nil, and returns the others in the order given; a lease listed twice is lost the second time.
// Postgres deletes them with one statement, SQLite with one per lease.
func (s *Store) ackJobs(ctx context.Context, tx *sql.Tx, leases []store.Lease) ([]store.Lease, error) {
	if len(leases) == 0 {
		return nil, nil
	}
	if s.dialect == Postgres {
		return s.ackJobsAtOnce(ctx, tx, leases)
	}
	ack := s.qs.ackJob
	if tx != nil {
		ack = tx.StmtContext(ctx, ack)
	}
	var lost []store.Lease
	for _, l := range leases {
		err := affectOne(ack.ExecContext(ctx, l.ID, l.Token))
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			lost = append(lost, l)
		case err != nil:
			return nil, err
		}
	}
	return lost, nil
}

// leaseRow is a lease as Postgres's ackJobs statement reads it from its JSON array.
type leaseRow struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// ackJobsAtOnce deletes the jobs of the current leases on Postgres with one statement, which takes
// the leases as a JSON array and returns the id and token of each row it deleted: a lease whose
// pair is not among them, or was matched by an earlier copy of the same lease, is lost.
func (s *Store) ackJobsAtOnce(ctx context.Context, tx *sql.Tx, leases []store.Lease) ([]store.Lease, error) {
	arg := make([]leaseRow, len(leases))
	for i, l := range leases {
		arg[i] = leaseRow{ID: l.ID, Token: l.Token}
	}
	st := s.qs.ackJobs
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	deleted := make(map[leaseRow]bool, len(leases))
	rows, err := queryJSON(ctx, st, arg)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var r leaseRow
		if err := rows.Scan(&r.ID, &r.Token); err != nil {
			return err
		}
		deleted[r] = true
		return nil
	}); err != nil {
		return nil, err
	}
	var lost []store.Lease
	for i, l := range leases {
		if !deleted[arg[i]] {
			lost = append(lost, l)
			continue
		}
		delete(deleted, arg[i])
	}
	return lost, nil
}

// Retry implements [store.Queue].
func (s *Store) Retry(ctx context.Context, l store.Lease, at time.Time, reason string) error {
	const op = "retry"
	if err := s.check(op); err != nil {
		return err
	}
	err := affectOne(s.qs.retryJob.ExecContext(ctx, zeroNanos(at), reason, l.ID, l.Token))
	return wrap(op+" "+l.ID, err)
}

// DeadLetter implements [store.Queue]: the job moves to the dead_jobs table in one transaction.
// On MySQL, which has no DELETE … RETURNING, the job's row is locked as it is read, then deleted.
func (s *Store) DeadLetter(ctx context.Context, l store.Lease, reason string) error {
	const op = "dead letter"
	if err := s.check(op); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.StmtContext(ctx, s.qs.deadJob).QueryContext(ctx, l.ID, l.Token)
		if err != nil {
			return err
		}
		var j store.Job
		var seq, enq int64
		dest := []any{&j.ID, &j.Kind, &j.OrderingKey, &j.Payload, &j.Attempts, &enq}
		if s.dialect == MySQL {
			// deadJob locked the row; deleteJob deletes it below.
			dest = append([]any{&seq}, dest...)
		}
		found := rows.Next()
		if found {
			err = rows.Scan(dest...)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return err
		}
		if !found {
			return store.ErrLeaseLost
		}
		if s.dialect == MySQL {
			if _, err := tx.StmtContext(ctx, s.qs.deleteJob).ExecContext(ctx, seq); err != nil {
				return err
			}
		}
		_, err = tx.StmtContext(ctx, s.qs.insertDead).ExecContext(ctx, j.ID, j.Kind, j.OrderingKey, nonNil(j.Payload), j.Attempts,
			reason, enq, s.now().UnixNano())
		return err
	})
	return wrap(op+" "+l.ID, err)
}

// ReleaseLeases implements [store.LeaseReleaser] with one UPDATE of the rows still leased.
func (s *Store) ReleaseLeases(ctx context.Context) (int, error) {
	const op = "release leases"
	if err := s.check(op); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, s.qq.releaseLeases, s.now().UnixNano())
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(op, err)
}

// Depth implements [store.Queue] with one scan of the jobs table; a job whose lease ran out
// counts as ready.
func (s *Store) Depth(ctx context.Context) (store.QueueDepth, error) {
	const op = "depth"
	var d store.QueueDepth
	if err := s.check(op); err != nil {
		return d, err
	}
	err := s.qs.depth.QueryRowContext(ctx, s.now().UnixNano()).Scan(&d.Ready, &d.Delayed, &d.Leased, &d.Dead)
	return d, wrap(op, err)
}

// UnfinishedKeys implements [store.Queue] with one query: the keys go as one JSON array, each
// looked up in the (ordering_key, seq) index. Repeated and empty keys are dropped before it runs.
func (s *Store) UnfinishedKeys(ctx context.Context, keys ...string) ([]string, error) {
	const op = "unfinished keys"
	if err := s.check(op); err != nil {
		return nil, err
	}
	wanted := store.DistinctKeys(keys)
	if len(wanted) == 0 {
		return nil, wrap(op, ctx.Err())
	}
	found := make(map[string]bool, len(wanted))
	rows, err := queryJSON(ctx, s.qs.unfinishedKeys, wanted)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		found[k] = true
		return nil
	}); err != nil {
		return nil, wrap(op, err)
	}
	var out []string
	for _, k := range wanted {
		if found[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// affectOne turns a write that changed no row into [store.ErrLeaseLost].
func affectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// nonNil stores an empty payload as an empty value rather than NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// zeroNanos maps the zero time to 0, the queue's "at once" and "never".
func zeroNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromZeroNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}
