package memstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Queue         = (*Store)(nil)
	_ store.LeaseReleaser = (*Store)(nil)
	_ store.BatchAcker    = (*Store)(nil)
)

// queue is the job state of a Store, guarded by its own lock so workers do not contend with the
// follower and object maps.
type queue struct {
	now func() time.Time
	mu  sync.Mutex
	// jobs holds the unfinished (queued or leased) jobs by ID.
	jobs map[string]*memJob
	// order holds the unfinished jobs in enqueue order, plus finished ones not yet compacted away.
	order    []*memJob
	finished int
	// skip is how many jobs at the start of order are finished, so Lease need not walk them.
	skip int
	// heads holds, per ordering key, the unfinished jobs with that key in enqueue order; only the
	// first may be leased.
	heads map[string][]*memJob
	// dead holds the dead letters in the order the jobs died, one per job ID; deadSeq numbers
	// them.
	dead    []memDead
	deadSeq int64
}

type memJob struct {
	job   store.Job
	token string
	until time.Time
	done  bool
}

func newQueue(now func() time.Time) *queue {
	return &queue{now: now, jobs: make(map[string]*memJob), heads: make(map[string][]*memJob)}
}

// Enqueue adds jobs, all or nothing; an ID in use by an unfinished job is [store.ErrConflict].
func (s *Store) Enqueue(ctx context.Context, jobs ...store.Job) error {
	if err := check(ctx, "enqueue"); err != nil {
		return err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enqueueLocked("", jobs); err != nil {
		return fmt.Errorf("memstore: enqueue: %w", err)
	}
	return nil
}

// enqueueLocked checks every job, then adds them; freed names an ID that is being finished and
// may be reused.
func (q *queue) enqueueLocked(freed string, jobs []store.Job) error {
	if err := q.checkIDs(freed, jobs); err != nil {
		return err
	}
	now := q.now()
	for _, j := range jobs {
		if j.ID == "" {
			j.ID = newID()
		}
		j.Payload = slices.Clone(j.Payload)
		j.Attempts, j.LastError, j.EnqueuedAt = 0, "", now
		m := &memJob{job: j}
		q.jobs[j.ID] = m
		q.order = append(q.order, m)
		if j.OrderingKey != "" {
			q.heads[j.OrderingKey] = append(q.heads[j.OrderingKey], m)
		}
	}
	return nil
}

// Lease hands out up to max ready jobs, oldest first, honouring ordering keys.
func (s *Store) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	if err := check(ctx, "lease"); err != nil {
		return nil, err
	}
	if max < 1 || visibility <= 0 {
		return nil, fmt.Errorf("memstore: lease: max %d and visibility %v must be positive", max, visibility)
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	until := now.Add(visibility)
	var out []store.Lease
	for q.skip < len(q.order) && q.order[q.skip].done {
		q.skip++
	}
	for _, m := range q.order[q.skip:] {
		if len(out) == max {
			break
		}
		if m.done || m.job.NotBefore.After(now) || m.until.After(now) {
			continue
		}
		if k := m.job.OrderingKey; k != "" && q.heads[k][0] != m {
			continue
		}
		m.token, m.until = newID(), until
		l := store.Lease{Job: m.job, Token: m.token, Until: until}
		l.Payload = slices.Clone(l.Payload)
		out = append(out, l)
	}
	return out, nil
}

// current returns the job l leases, or [store.ErrLeaseLost].
func (q *queue) current(l store.Lease) (*memJob, error) {
	m := q.jobs[l.ID]
	if m == nil || m.token == "" || m.token != l.Token {
		return nil, fmt.Errorf("job %s: %w", l.ID, store.ErrLeaseLost)
	}
	return m, nil
}

// withLease runs f under the queue's lock with the job l leases; when l is no longer current it
// fails with [store.ErrLeaseLost], naming op, and f does not run.
func (q *queue) withLease(op string, l store.Lease, f func(*memJob) error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.current(l)
	if err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return f(m)
}

// finish removes a job from the unfinished ones and lets the next job of its key go.
func (q *queue) finish(m *memJob) {
	m.done = true
	delete(q.jobs, m.job.ID)
	if k := m.job.OrderingKey; k != "" {
		h := slices.DeleteFunc(q.heads[k], func(x *memJob) bool { return x == m })
		if len(h) == 0 {
			delete(q.heads, k)
		} else {
			q.heads[k] = h
		}
	}
	q.finished++
	if q.finished > 64 && q.finished > len(q.order)/2 {
		q.order = slices.DeleteFunc(q.order, func(x *memJob) bool { return x.done })
		q.finished, q.skip = 0, 0
	}
}

// Extend keeps a current lease for visibility from now.
func (s *Store) Extend(ctx context.Context, l store.Lease, visibility time.Duration) (store.Lease, error) {
	if err := check(ctx, "extend"); err != nil {
		return l, err
	}
	if visibility <= 0 {
		return l, fmt.Errorf("memstore: extend: visibility %v must be positive", visibility)
	}
	q := s.q
	err := q.withLease("extend", l, func(m *memJob) error {
		m.until = q.now().Add(visibility)
		l.Until = m.until
		return nil
	})
	return l, err
}

// Ack finishes a leased job and enqueues next, atomically.
func (s *Store) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	if err := check(ctx, "ack"); err != nil {
		return err
	}
	q := s.q
	return q.withLease("ack", l, func(m *memJob) error {
		// Check next before finishing, so a conflict leaves the lease as it was.
		if err := q.checkIDs(l.ID, next); err != nil {
			return fmt.Errorf("memstore: ack %s: %w", l.ID, err)
		}
		q.finish(m)
		if err := q.enqueueLocked("", next); err != nil {
			return fmt.Errorf("memstore: ack %s: %w", l.ID, err)
		}
		return nil
	})
}

// AckBatch implements [store.BatchAcker]: under the queue's lock and the delivery records' lock it
// finishes the leases still current and stores records; each lost lease is reported with
// [store.ErrLeaseLost].
func (s *Store) AckBatch(ctx context.Context, leases []store.Lease, records ...store.DeliveryRecord) error {
	if err := check(ctx, "ack batch"); err != nil {
		return err
	}
	q, d := s.q, s.deliveries
	q.mu.Lock()
	defer q.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(records)
	var lost []error
	for _, l := range leases {
		m, err := q.current(l)
		if err != nil {
			lost = append(lost, fmt.Errorf("memstore: ack batch: %w", err))
			continue
		}
		q.finish(m)
	}
	return errors.Join(lost...)
}

// checkIDs reports a conflict enqueueLocked would find, treating freed as free.
func (q *queue) checkIDs(freed string, jobs []store.Job) error {
	ids := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		if j.ID == "" {
			continue
		}
		if _, used := q.jobs[j.ID]; (used && j.ID != freed) || ids[j.ID] {
			return fmt.Errorf("job %s: %w", j.ID, store.ErrConflict)
		}
		ids[j.ID] = true
	}
	return nil
}

// Retry returns a leased job to the queue with one more attempt, not before at.
func (s *Store) Retry(ctx context.Context, l store.Lease, at time.Time, reason string) error {
	if err := check(ctx, "retry"); err != nil {
		return err
	}
	return s.q.withLease("retry", l, func(m *memJob) error {
		m.job.Attempts++
		m.job.LastError = reason
		m.job.NotBefore = at
		m.token, m.until = "", time.Time{}
		return nil
	})
}

// DeadLetter parks a leased job for good.
func (s *Store) DeadLetter(ctx context.Context, l store.Lease, reason string) error {
	if err := check(ctx, "dead letter"); err != nil {
		return err
	}
	q := s.q
	return q.withLease("dead letter", l, func(m *memJob) error {
		m.job.LastError = reason
		q.finish(m)
		q.bury(m.job)
		return nil
	})
}

// ReleaseLeases implements [store.LeaseReleaser]: every lease not yet ended ends now.
func (s *Store) ReleaseLeases(ctx context.Context) (int, error) {
	if err := check(ctx, "release leases"); err != nil {
		return 0, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	n := 0
	for _, m := range q.jobs {
		if m.until.After(now) {
			m.until = time.Time{}
			n++
		}
	}
	return n, nil
}

// Depth counts the jobs by state. A job whose lease ran out counts as ready.
func (s *Store) Depth(ctx context.Context) (store.QueueDepth, error) {
	if err := check(ctx, "depth"); err != nil {
		return store.QueueDepth{}, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	d := store.QueueDepth{Dead: len(q.dead)}
	for _, m := range q.order[q.skip:] {
		switch {
		case m.done:
		case m.until.After(now):
			d.Leased++
		case m.job.NotBefore.After(now):
			d.Delayed++
		default:
			d.Ready++
		}
	}
	return d, nil
}

// UnfinishedKeys returns those of keys that an unfinished job carries, in the order given.
func (s *Store) UnfinishedKeys(ctx context.Context, keys ...string) ([]string, error) {
	if err := check(ctx, "unfinished keys"); err != nil {
		return nil, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, k := range store.DistinctKeys(keys) {
		if len(q.heads[k]) > 0 {
			out = append(out, k)
		}
	}
	return out, nil
}

// newID returns 128 random bits as text, for job ids and lease tokens.
func newID() string {
	return rand.Text()
}
