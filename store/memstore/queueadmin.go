package memstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.QueueAdmin = (*Store)(nil)

// memDead is a dead letter and its place in the order jobs died.
type memDead struct {
	seq int64
	dl  store.DeadLetter
}

// bury keeps j as a dead letter, replacing an earlier one of the same ID.
func (q *queue) bury(j store.Job) {
	q.dead = slices.DeleteFunc(q.dead, func(d memDead) bool { return d.dl.ID == j.ID })
	q.deadSeq++
	q.dead = append(q.dead, memDead{seq: q.deadSeq, dl: store.DeadLetter{Job: j, DiedAt: q.now()}})
}

// DeadLettersPage lists the dead letters, the latest to die first.
func (s *Store) DeadLettersPage(ctx context.Context, cursor string, limit int) (store.Page[store.DeadLetter], error) {
	before, err := pageStart(ctx, "dead letters page", cursor, limit)
	if err != nil {
		return store.Page[store.DeadLetter]{}, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	return newestFirst(q.dead, func(d memDead) int64 { return d.seq }, before, limit, func(d memDead) store.DeadLetter {
		dl := d.dl
		dl.Payload = slices.Clone(dl.Payload)
		return dl
	}), nil
}

// Replay puts the dead-lettered jobs with those ids back in the queue, under the queue's lock.
func (s *Store) Replay(ctx context.Context, ids ...string) (int, error) {
	if err := check(ctx, "replay"); err != nil {
		return 0, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	var jobs []store.Job
	for _, id := range store.DistinctKeys(ids) {
		i := slices.IndexFunc(q.dead, func(d memDead) bool { return d.dl.ID == id })
		if _, unfinished := q.jobs[id]; i < 0 || unfinished {
			continue
		}
		j := q.dead[i].dl.Job
		j.NotBefore = time.Time{}
		jobs = append(jobs, j)
		q.dead = slices.Delete(q.dead, i, i+1)
	}
	if err := q.enqueueLocked("", jobs); err != nil {
		// Unreachable: the ids are distinct and none is unfinished.
		return 0, fmt.Errorf("memstore: replay: %w", err)
	}
	return len(jobs), nil
}

// HostsPage lists the hosts with a state, by name; the cursor is the last host of the previous
// page.
func (s *Store) HostsPage(ctx context.Context, cursor string, limit int) (store.Page[store.HostState], error) {
	var p store.Page[store.HostState]
	if err := check(ctx, "hosts page"); err != nil {
		return p, err
	}
	if err := checkLimit("hosts page", limit); err != nil {
		return p, err
	}
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	names := make([]string, 0, len(s.hosts.m))
	for h := range s.hosts.m {
		if cursor == "" || h > cursor {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	for i, h := range names {
		if i == limit {
			p.Next = names[i-1]
			break
		}
		p.Items = append(p.Items, s.hosts.m[h])
	}
	return p, nil
}

// KeyedJobs sums up the unfinished jobs whose ordering key ends with suffix.
func (s *Store) KeyedJobs(ctx context.Context, suffix string) (store.KeyedJobs, error) {
	var k store.KeyedJobs
	if err := checkSuffix(ctx, "keyed jobs", suffix); err != nil {
		return k, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	for _, m := range q.jobs {
		if !strings.HasSuffix(m.job.OrderingKey, suffix) {
			continue
		}
		k.Jobs++
		if nb := m.job.NotBefore; nb.After(now) && !m.until.After(now) && (k.Next.ID == "" || nb.Before(k.Next.NotBefore)) {
			k.Next = m.job
		}
	}
	k.Next.Payload = slices.Clone(k.Next.Payload)
	return k, nil
}

// HurryJobs makes due at once the delayed jobs whose ordering key ends with suffix.
func (s *Store) HurryJobs(ctx context.Context, suffix string) (int, error) {
	if err := checkSuffix(ctx, "hurry jobs", suffix); err != nil {
		return 0, err
	}
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	now, n := q.now(), 0
	for _, m := range q.jobs {
		if strings.HasSuffix(m.job.OrderingKey, suffix) && m.job.NotBefore.After(now) && !m.until.After(now) {
			m.job.NotBefore = time.Time{}
			n++
		}
	}
	return n, nil
}

// checkSuffix checks a call about the jobs whose keys end with suffix.
func checkSuffix(ctx context.Context, op, suffix string) error {
	if err := check(ctx, op); err != nil {
		return err
	}
	if suffix == "" {
		return fmt.Errorf("memstore: %s: empty key suffix", op)
	}
	return nil
}
