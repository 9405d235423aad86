package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Hosts = (*Store)(nil)

// A host's breaker state is a hash of failures, last failure and open-until.
func (s *Store) kHost(host string) string { return s.p + "host:" + host }

// hostFailedLua: KEYS the host hash; ARGV the failure time. Returns failures, last failure, open
// until.
const hostFailedLua = `
redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], 'l', ARGV[1])
return redis.call('HMGET', KEYS[1], 'f', 'l', 'o')
`

func hostState(host string, v []any) (store.HostState, error) {
	h := store.HostState{Host: host}
	str := func(i int) string { s, _ := v[i].(string); return s }
	var err error
	if f := str(0); f != "" {
		if h.Failures, err = strconv.Atoi(f); err != nil {
			return h, fmt.Errorf("bad stored failure count %q", f)
		}
	}
	if h.LastFailure, err = parseTime(str(1)); err != nil {
		return h, err
	}
	if h.OpenUntil, err = parseTime(str(2)); err != nil {
		return h, err
	}
	return h, nil
}

// HostStates returns the hosts' circuit breaker states, one HMGET each in one pipeline; an unknown
// host has the zero state.
func (s *Store) HostStates(ctx context.Context, hosts ...string) ([]store.HostState, error) {
	const op = "host states"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.SliceCmd, len(hosts))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, host := range hosts {
			cmds[i] = p.HMGet(ctx, s.kHost(host), "f", "l", "o")
		}
		return nil
	}); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.HostState, len(hosts))
	for i, host := range hosts {
		h, err := hostState(host, cmds[i].Val())
		if err != nil {
			return nil, wrap(op, err)
		}
		out[i] = h
	}
	return out, nil
}

// HostFailed counts one more failure with HINCRBY in a script and returns the new state.
func (s *Store) HostFailed(ctx context.Context, host string, at time.Time) (store.HostState, error) {
	const op = "host failed"
	if err := begin(ctx, op); err != nil {
		return store.HostState{Host: host}, err
	}
	v, err := s.hsc.hostFailed.Run(ctx, s.c, []string{s.kHost(host)}, fmtTime(at)).Slice()
	if err == nil && len(v) != 3 {
		err = errors.New("bad host reply")
	}
	if err != nil {
		return store.HostState{Host: host}, wrap(op, err)
	}
	h, err := hostState(host, v)
	if err != nil {
		return h, wrap(op, err)
	}
	return h, nil
}

// OpenHost holds deliveries to host until the given time.
func (s *Store) OpenHost(ctx context.Context, host string, until time.Time) error {
	const op = "open host"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if err := s.c.HSet(ctx, s.kHost(host), "o", fmtTime(until)).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// HostSucceeded resets a host's state by deleting its hash.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	const op = "host succeeded"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.kHost(host)).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}
