package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// groupMax caps the writes one group commit takes.
const groupMax = 256

// groupWriter commits the small writes of a SQLite store's concurrent callers together: SQLite
// has one writer, and a commit per call would make each inbox request wait for the commits of all
// the requests queued before it.
type groupWriter struct {
	writes  chan *groupWrite // unbuffered: a call waiting to send is a call waiting to be written
	stopped <-chan struct{}
	stop    func()
	done    chan struct{}
}

// querier is a pool or a transaction, for writes that run in either.
type querier interface {
	execer
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// bind returns st for use on q: st itself on the pool, or st bound to q when q is a transaction.
func bind(ctx context.Context, q querier, st *sql.Stmt) *sql.Stmt {
	if tx, ok := q.(*sql.Tx); ok {
		return tx.StmtContext(ctx, st)
	}
	return st
}

// groupWrite is one call's write, and its error once done is closed.
type groupWrite struct {
	fn   func(context.Context, querier) error
	done chan struct{}
	err  error
}

// startGroupWriter starts the goroutine that commits groupCommit's writes, until stopGroupWriter.
func (s *Store) startGroupWriter() {
	life, stop := context.WithCancel(context.Background())
	w := &groupWriter{writes: make(chan *groupWrite), stopped: life.Done(), stop: stop, done: make(chan struct{})}
	s.group = w
	go func() {
		defer close(w.done)
		batch := make([]*groupWrite, 0, groupMax)
		for {
			batch = batch[:0]
			select {
			case g := <-w.writes:
				batch = append(batch, g)
			case <-life.Done():
				return
			}
		take:
			for len(batch) < groupMax {
				select {
				case g := <-w.writes:
					batch = append(batch, g)
				default:
					break take
				}
			}
			s.commitGroup(life, batch)
		}
	}()
}

// stopGroupWriter ends the group writer after its current group; calls not yet taken get
// ErrClosed.
func (s *Store) stopGroupWriter() {
	if s.group != nil {
		s.group.stop()
		<-s.group.done
	}
}

// groupCommit runs fn in the next transaction the group writer commits, beside the writes of the
// other calls waiting, and returns fn's error or, when fn succeeded, the commit's. fn must write
// with one statement, which SQLite undoes alone when it fails, or within a savepoint it rolls
// back to (AppendRecord), so that a failing call leaves the others' writes in the group. On a
// store without a group writer (Postgres, which has no single writer to queue for) fn runs on
// the pool. A call whose ctx ends before the
// writer takes it returns ctx's error and writes nothing; once taken, it waits for that one commit.
func (s *Store) groupCommit(ctx context.Context, fn func(context.Context, querier) error) error {
	if s.group == nil {
		return fn(ctx, s.db)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	g := &groupWrite{fn: fn, done: make(chan struct{})}
	select {
	case s.group.writes <- g:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.group.stopped:
		return ErrClosed
	}
	<-g.done
	return g.err
}

// errGroupBroken, wrapped in a group write's error, says that the write left the group's
// transaction in a state it must not be committed in.
var errGroupBroken = errors.New("sqlstore: the group's transaction cannot go on")

// commitGroup runs batch's writes in one transaction, in order, and closes each one's done. A
// write's error is its call's; a failed commit is the error of every call. A write that breaks the
// transaction (errGroupBroken) rolls the whole group back: its error is every call's.
func (s *Store) commitGroup(ctx context.Context, batch []*groupWrite) {
	defer func() {
		for _, g := range batch {
			close(g.done)
		}
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		for _, g := range batch {
			g.err = err
		}
		return
	}
	for _, g := range batch {
		if g.err = g.fn(ctx, tx); errors.Is(g.err, errGroupBroken) {
			_ = tx.Rollback() // the transaction may be gone already; g.err says why
			for _, other := range batch {
				other.err = g.err
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", err)
		for _, g := range batch {
			if g.err == nil {
				g.err = err
			}
		}
	}
}
