package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Hosts = (*Store)(nil)

type hosts struct {
	mu sync.Mutex
	m  map[string]store.HostState
}

// HostStates returns the hosts' circuit breaker states; an unknown host has the zero state.
func (s *Store) HostStates(ctx context.Context, hosts ...string) ([]store.HostState, error) {
	if err := check(ctx, "host states"); err != nil {
		return nil, err
	}
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	out := make([]store.HostState, len(hosts))
	for i, host := range hosts {
		out[i] = s.hosts.m[host]
		out[i].Host = host
	}
	return out, nil
}

// HostFailed counts one more consecutive failure of host at the given time.
func (s *Store) HostFailed(ctx context.Context, host string, at time.Time) (store.HostState, error) {
	if err := check(ctx, "host failed"); err != nil {
		return store.HostState{}, err
	}
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	h := s.hosts.m[host]
	h.Host = host
	h.Failures++
	h.LastFailure = at
	s.hosts.m[host] = h
	return h, nil
}

// OpenHost holds deliveries to host until the given time.
func (s *Store) OpenHost(ctx context.Context, host string, until time.Time) error {
	if err := check(ctx, "open host"); err != nil {
		return err
	}
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	h := s.hosts.m[host]
	h.Host = host
	h.OpenUntil = until
	s.hosts.m[host] = h
	return nil
}

// HostSucceeded resets host's state.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	if err := check(ctx, "host succeeded"); err != nil {
		return err
	}
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	delete(s.hosts.m, host)
	return nil
}
