package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Hosts = (*Store)(nil)

// HostStates implements [store.Hosts] with one query for all the hosts.
func (s *Store) HostStates(ctx context.Context, hosts ...string) ([]store.HostState, error) {
	const op = "host states"
	if err := s.check(op); err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return nil, wrap(op, ctx.Err())
	}
	found := make(map[string]store.HostState, len(hosts))
	rows, err := queryJSON(ctx, s.qs.hostStates, hosts)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var h store.HostState
		var last, open int64
		err := rows.Scan(&h.Host, &h.Failures, &last, &open)
		h.LastFailure, h.OpenUntil = fromZeroNanos(last), fromZeroNanos(open)
		found[h.Host] = h
		return err
	}); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.HostState, len(hosts))
	for i, host := range hosts {
		h, ok := found[host]
		if !ok {
			h = store.HostState{Host: host}
		}
		out[i] = h
	}
	return out, nil
}

// HostFailed implements [store.Hosts] with one upsert that adds 1 to the stored count; MySQL, whose
// upsert returns no row, reads the count back in the upsert's transaction.
func (s *Store) HostFailed(ctx context.Context, host string, at time.Time) (store.HostState, error) {
	const op = "host failed"
	h := store.HostState{Host: host}
	if err := s.check(op); err != nil {
		return h, err
	}
	var last, open int64
	var err error
	if s.dialect == MySQL {
		// No RETURNING: the upsert's row lock holds until the read in its transaction.
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.StmtContext(ctx, s.qs.hostFailed).ExecContext(ctx, host, zeroNanos(at)); err != nil {
				return err
			}
			return tx.StmtContext(ctx, s.qs.hostState).QueryRowContext(ctx, host).Scan(&h.Failures, &last, &open)
		})
	} else {
		err = s.qs.hostFailed.QueryRowContext(ctx, host, zeroNanos(at)).Scan(&h.Failures, &last, &open)
	}
	h.LastFailure, h.OpenUntil = fromZeroNanos(last), fromZeroNanos(open)
	return h, wrap(op, err)
}

// OpenHost implements [store.Hosts].
func (s *Store) OpenHost(ctx context.Context, host string, until time.Time) error {
	const op = "open host"
	if err := s.check(op); err != nil {
		return err
	}
	_, err := s.qs.openHost.ExecContext(ctx, host, zeroNanos(until))
	return wrap(op, err)
}

// HostSucceeded implements [store.Hosts] by deleting the host's row.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	const op = "host succeeded"
	if err := s.check(op); err != nil {
		return err
	}
	_, err := s.qs.hostSucceeded.ExecContext(ctx, host)
	return wrap(op, err)
}
