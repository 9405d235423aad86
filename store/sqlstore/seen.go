package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// pruneEvery is how many MarkSeen calls pass between two prunes of expired ids; each prune deletes
// at most pruneBatch rows, so it never stalls the caller. seenBatchMax caps the MarkSeen calls one
// SQLite transaction commits together.
const (
	pruneEvery   = 1024
	pruneBatch   = 1000
	seenBatchMax = 256
)

// seenHash is the key an id is stored under: the first 16 bytes of its SHA-256, so every row has
// the same small size however long the id (a URL) is. Two ids collide with probability 2⁻¹²⁸.
func seenHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:16]
}

// MarkSeen implements [store.Seen] with one statement: insert the id's hash, or, when it is stored
// but expired, renew it. The id is new exactly when a row changed, and the database's unique index
// makes one of several concurrent callers win. Every 1024th call also deletes up to 1000 expired
// ids. A ttl of zero or less records an id that has expired at once.
//
// On SQLite, whose one writer would make every inbox request wait for its own commit, concurrent
// calls are committed together: each hands its id to the store's seen writer, which runs the
// statements of every call waiting, up to 256, in one transaction, and tells each caller its own
// result or error. A call whose ctx ends before the writer takes it returns ctx's error and records
// nothing; once taken, it waits for that one commit.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	const op = "mark seen"
	if err := s.check(op); err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	r := &seenReq{hash: seenHash(id), expires: now + int64(max(ttl, 0)), now: now}
	if s.seen == nil {
		res, err := s.db.ExecContext(ctx, s.q.markSeen, r.hash, r.expires, r.now)
		r.setResult(res, err)
		if s.seenCalls.Add(1)%pruneEvery == 0 {
			s.pruneSeen(ctx, now)
		}
		return r.isNew, wrap(op, r.err)
	}
	if err := ctx.Err(); err != nil {
		return false, wrap(op, err)
	}
	r.done = make(chan struct{})
	select {
	case s.seen.reqs <- r:
	case <-ctx.Done():
		return false, wrap(op, ctx.Err())
	case <-s.seen.stopped:
		return false, fmt.Errorf("sqlstore: %s: %w", op, ErrClosed)
	}
	<-r.done
	return r.isNew, wrap(op, r.err)
}

// seenReq is one MarkSeen call: its arguments, then its result once done is closed.
type seenReq struct {
	hash         []byte
	expires, now int64
	done         chan struct{}

	isNew bool
	err   error
}

func (r *seenReq) setResult(res sql.Result, err error) {
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	r.isNew, r.err = n > 0, err
}

// seenWriter commits the MarkSeen calls of a SQLite store in groups.
type seenWriter struct {
	reqs    chan *seenReq // unbuffered: a call waiting to send is a call waiting to be written
	stmt    *sql.Stmt
	stopped <-chan struct{}
	stop    func()
	done    chan struct{}
}

// startSeenWriter starts the goroutine that commits MarkSeen calls in groups, until stopSeenWriter.
func (s *Store) startSeenWriter(ctx context.Context) error {
	stmt, err := s.db.PrepareContext(ctx, s.q.markSeen)
	if err != nil {
		return wrap("prepare mark seen", err)
	}
	life, stop := context.WithCancel(context.Background())
	w := &seenWriter{reqs: make(chan *seenReq), stmt: stmt, stopped: life.Done(), stop: stop, done: make(chan struct{})}
	s.seen = w
	go func() {
		defer close(w.done)
		batch := make([]*seenReq, 0, seenBatchMax)
		for {
			batch = batch[:0]
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			case <-life.Done():
				return
			}
		take:
			for len(batch) < seenBatchMax {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
				default:
					break take
				}
			}
			s.writeSeen(life, batch)
		}
	}()
	return nil
}

// stopSeenWriter ends the seen writer after its current group; calls not yet taken get ErrClosed.
func (s *Store) stopSeenWriter() error {
	if s.seen == nil {
		return nil
	}
	s.seen.stop()
	<-s.seen.done
	return s.seen.stmt.Close()
}

// writeSeen runs batch's statements in one transaction, in order, so that of two calls with one id
// the first wins, and closes each call's done. A statement's error is its call's; a failed commit
// is the error of every call.
func (s *Store) writeSeen(ctx context.Context, batch []*seenReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	stmt := tx.StmtContext(ctx, s.seen.stmt)
	for _, r := range batch {
		res, err := stmt.ExecContext(ctx, r.hash, r.expires, r.now)
		r.setResult(res, err)
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.isNew, r.err = false, err
			}
		}
		return
	}
	n := uint64(len(batch))
	if c := s.seenCalls.Add(n); c/pruneEvery != (c-n)/pruneEvery {
		s.pruneSeen(ctx, batch[len(batch)-1].now)
	}
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	const op = "forget seen"
	if err := s.check(op); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.forgetSeen, seenHash(id))
	return wrap(op, err)
}

// pruneSeen deletes a batch of expired ids. A failure only costs disk space, so it is logged, not
// returned.
func (s *Store) pruneSeen(ctx context.Context, now int64) {
	res, err := s.db.ExecContext(ctx, s.q.pruneSeen, now, pruneBatch)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "pruning expired seen ids failed", slog.Any("error", err))
		return
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		s.log.LogAttrs(ctx, slog.LevelDebug, "pruned expired seen ids", slog.Int64("count", n))
	}
}
