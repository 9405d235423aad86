package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// checkBreaker looks at the host's circuit breaker before a delivery. A healthy host's state (no
// failures, breaker closed) is taken from hostCache for up to hostStateTTL: the breaker needs fresh
// state only once a host failed, and another instance's failures are seen at most that late. While the breaker is open
// the delivery is put back, without counting an attempt, until it closes (deferred). Once the open time
// has passed and failures are still at the threshold, the breaker is half-open: this delivery is
// the probe (probe), and the breaker is held open while it runs so that others wait for its result.
func (e *Engine) checkBreaker(ctx context.Context, log *slog.Logger, t task) (st store.HostState, probe, deferred bool) {
	if e.cfg.BreakerThreshold < 0 {
		return st, false, false
	}
	now := e.cfg.Now()
	st, ok := e.hosts.get(t.host, now)
	if !ok {
		sts, err := e.cfg.Store.HostStates(ctx, t.host)
		if err != nil || len(sts) != 1 {
			// The breaker only protects; a store hiccup must not stop deliveries.
			log.LogAttrs(ctx, slog.LevelWarn, "delivery: host state", slog.Int("states", len(sts)), slog.Any("err", err))
			return store.HostState{}, false, false
		}
		st = sts[0]
		e.hosts.put(t.host, st, now)
	}
	if now.Before(st.OpenUntil) {
		// Spread the deferred jobs so they do not all come back at the same instant.
		at := st.OpenUntil.Add(jitter(e.cfg.BreakerCooldown / 10))
		e.deferred.Add(1)
		e.putBack(ctx, t, at, failures(t), "host circuit breaker open")
		return st, false, true
	}
	if st.Failures >= e.cfg.BreakerThreshold {
		if err := e.cfg.Store.OpenHost(ctx, t.host, now.Add(e.cfg.RequestTimeout)); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "delivery: hold host for probe", slog.Any("err", err))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "delivery: probing host", slog.Int("failures", st.Failures))
		return st, true, false
	}
	return st, false, false
}

// prefetchHosts reads, in one call, the breaker state of those of hosts that hostCache does not
// hold ("" and repeats skipped), so that checkBreaker finds the healthy ones there rather than
// reading the store once per delivery. A failure is only logged: checkBreaker then reads for
// itself.
func (e *Engine) prefetchHosts(ctx context.Context, hosts ...string) {
	if e.cfg.BreakerThreshold < 0 {
		return
	}
	now := e.cfg.Now()
	var missing []string
	for _, h := range store.DistinctKeys(hosts) {
		if _, ok := e.hosts.get(h, now); !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) == 0 {
		return
	}
	sts, err := e.cfg.Store.HostStates(ctx, missing...)
	if err != nil || len(sts) != len(missing) {
		e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: host states", slog.Int("hosts", len(missing)), slog.Int("states", len(sts)), slog.Any("err", err))
		return
	}
	for i, st := range sts {
		e.hosts.put(missing[i], st, now)
	}
}

// hostOK closes the host's breaker after the host answered, if there was anything to reset.
func (e *Engine) hostOK(ctx context.Context, log *slog.Logger, host string, st store.HostState, probe bool) {
	if e.failing.remove(host) {
		log.LogAttrs(ctx, slog.LevelInfo, "delivery: host answers again")
	}
	if e.cfg.BreakerThreshold < 0 || (st.Failures == 0 && !probe) {
		return
	}
	e.hosts.forget(host)
	if err := e.cfg.Store.HostSucceeded(ctx, host); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "delivery: reset host state", slog.Any("err", err))
		return
	}
	if probe {
		log.LogAttrs(ctx, slog.LevelInfo, "delivery: host circuit breaker closed")
	}
}

// hostFailed counts a failure of the host and opens its breaker at the threshold, for
// BreakerCooldown doubled with each failure beyond it, at most 12 h.
func (e *Engine) hostFailed(ctx context.Context, log *slog.Logger, host string) {
	if e.cfg.BreakerThreshold < 0 {
		return
	}
	e.hosts.forget(host)
	now := e.cfg.Now()
	st, err := e.cfg.Store.HostFailed(ctx, host, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "delivery: count host failure", slog.Any("err", err))
		return
	}
	if st.Failures < e.cfg.BreakerThreshold {
		return
	}
	cool := e.cfg.BreakerCooldown
	for range min(st.Failures-e.cfg.BreakerThreshold, 20) {
		if cool *= 2; cool >= maxBreakerCooldown {
			break
		}
	}
	cool = min(cool, maxBreakerCooldown)
	if err := e.cfg.Store.OpenHost(ctx, host, now.Add(cool)); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "delivery: open host circuit breaker", slog.Any("err", err))
		return
	}
	log.LogAttrs(ctx, slog.LevelWarn, "delivery: host circuit breaker open", slog.Int("failures", st.Failures), slog.Duration("for", cool))
}

// hostStateTTL is how long a healthy host's state is reused without reading the store.
const hostStateTTL = time.Second

// hostCacheSize bounds hostCache; when full it is emptied.
const hostCacheSize = 4096

// hostCache keeps the state of healthy hosts briefly, saving a store read per delivery.
type hostCache struct {
	mu sync.Mutex
	m  map[string]cachedHost
}

type cachedHost struct {
	st store.HostState
	at time.Time
}

// get returns the state of a healthy host read less than hostStateTTL before now.
func (c *hostCache) get(host string, now time.Time) (store.HostState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[host]
	if !ok || now.Sub(h.at) >= hostStateTTL || now.Before(h.at) {
		return store.HostState{}, false
	}
	return h.st, true
}

// put keeps st if the host is healthy.
func (c *hostCache) put(host string, st store.HostState, now time.Time) {
	if st.Failures != 0 || !st.OpenUntil.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= hostCacheSize {
		c.m = make(map[string]cachedHost)
	}
	c.m[host] = cachedHost{st: st, at: now}
}

// forget drops the host's state, which is about to change.
func (c *hostCache) forget(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, host)
}

// failingHosts remembers the hosts whose deliveries failed since they last answered, in this
// process, so that only the first failure of each is logged at Info. When full it is emptied: a
// host then failing still has one more failure logged at Info.
type failingHosts struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// add notes a failure of host and reports whether it is the first since the host last answered.
func (f *failingHosts) add(host string) (first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[host]; ok {
		return false
	}
	if f.m == nil || len(f.m) >= hostCacheSize {
		f.m = make(map[string]struct{})
	}
	f.m[host] = struct{}{}
	return true
}

// remove notes that host answered, and reports whether it was failing.
func (f *failingHosts) remove(host string) (was bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[host]; !ok {
		return false
	}
	delete(f.m, host)
	return true
}
