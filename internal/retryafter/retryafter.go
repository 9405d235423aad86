// Package retryafter reads the Retry-After header of an HTTP answer.
package retryafter

import (
	"net/http"
	"strconv"
	"time"
)

// Parse returns the wait a Retry-After value asks for at now: delay-seconds (capped at 2³⁰ s, so
// the result cannot overflow) or an HTTP date (RFC 9110 §10.2.3). It is 0 for an empty, negative,
// past or unreadable value, never negative.
func Parse(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 1<<30)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
