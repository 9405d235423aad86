package delivery

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy decides what happens after a delivery failed in a way worth retrying (a network
// error, 408, 429 or 5xx). Implementations must be safe for concurrent use.
type RetryPolicy interface {
	// Delay is called after the failed-th failed attempt of a delivery (1 after the first) with
	// the wait the server asked for in Retry-After (zero when it did not). It returns how long to
	// wait before the next attempt, or false to give up.
	Delay(failed int, asked time.Duration) (time.Duration, bool)
}

// RetryPolicyFunc adapts a function to a [RetryPolicy].
type RetryPolicyFunc func(failed int, asked time.Duration) (time.Duration, bool)

// Delay calls fn.
func (fn RetryPolicyFunc) Delay(failed int, asked time.Duration) (time.Duration, bool) {
	return fn(failed, asked)
}

// Backoff is the default [RetryPolicy]: exponential backoff with jitter. The wait after the n-th
// failure is Base × 2ⁿ⁻¹, spread by ±20 % so that deliveries that failed together do not retry
// together, and at most Max; a longer Retry-After wins, up to Max.
type Backoff struct {
	// Base is the wait after the first failure. Default: 1 s.
	Base time.Duration
	// Max caps every wait. Default: 12 h.
	Max time.Duration
	// Attempts is how many attempts a delivery gets in all. Default: 10.
	Attempts int
}

const (
	defaultBase     = time.Second
	defaultMax      = 12 * time.Hour
	defaultAttempts = 10
)

// Delay implements [RetryPolicy].
func (b Backoff) Delay(failed int, asked time.Duration) (time.Duration, bool) {
	if b.Base <= 0 {
		b.Base = defaultBase
	}
	if b.Max <= 0 {
		b.Max = defaultMax
	}
	if b.Attempts <= 0 {
		b.Attempts = defaultAttempts
	}
	if failed >= b.Attempts {
		return 0, false
	}
	d := b.Max
	if shift := failed - 1; shift >= 0 && shift < 40 && b.Base<<shift < b.Max && b.Base<<shift > 0 {
		d = b.Base << shift
	}
	// ±20 % jitter.
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	if asked > d {
		d = asked
	}
	return min(d, b.Max), true
}
