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

// Backoff is the default [RetryPolicy]: polynomial backoff with jitter, the shape of Mastodon's
// delivery retries. The wait after the n-th failure is Base × n⁴, plus up to a quarter more at
// random so that deliveries that failed together do not retry together, and at most Max; a longer
// Retry-After wins, up to Max. The jitter only adds, so the schedule without it is a floor: with
// the defaults a delivery is tried 16 times over at least 49 h 31 min (the package documentation
// has the table), and a server that is down for two days still gets it.
type Backoff struct {
	// Base is the wait after the first failure; the n-th failure waits Base × n⁴. Default: 1 s.
	Base time.Duration
	// Max caps every wait. Default: 24 h.
	Max time.Duration
	// Attempts is how many attempts a delivery gets in all. Default: 16.
	Attempts int
}

const (
	defaultBase     = time.Second
	defaultMax      = 24 * time.Hour
	defaultAttempts = 16
	// maxJitter is the largest share of a wait that is added to it at random.
	maxJitter = 0.25
)

// Delay implements [RetryPolicy].
func (b Backoff) Delay(failed int, asked time.Duration) (time.Duration, bool) {
	b = b.withDefaults()
	if failed >= b.Attempts {
		return 0, false
	}
	d := b.wait(failed)
	d += time.Duration(float64(d) * maxJitter * rand.Float64())
	return min(max(d, asked), b.Max), true
}

// withDefaults returns b with its zero fields set to their defaults.
func (b Backoff) withDefaults() Backoff {
	b.Base = positiveOr(b.Base, defaultBase)
	b.Max = positiveOr(b.Max, defaultMax)
	b.Attempts = positiveOr(b.Attempts, defaultAttempts)
	return b
}

// wait returns the wait after the failed-th failure before jitter: Base × failed⁴, at most Max.
// b has its defaults.
func (b Backoff) wait(failed int) time.Duration {
	n := float64(max(failed, 1))
	// In floating point, so that a large policy's last waits reach Max rather than overflow.
	if d := float64(b.Base) * n * n * n * n; d < float64(b.Max) {
		return time.Duration(d)
	}
	return b.Max
}
