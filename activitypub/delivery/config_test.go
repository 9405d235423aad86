package delivery

import (
	"testing"
	"time"
)

// TestDefaults: a zero or negative tunable takes its default, a positive one is kept, and a
// BreakerThreshold of -1 keeps the breaker off.
func TestDefaults(t *testing.T) {
	defaults := Options{
		Workers: defaultWorkers, PerHost: defaultPerHost, RequestTimeout: defaultRequestTimeout,
		LeaseTimeout: defaultLeaseTimeout, PollInterval: defaultPollInterval, PageSize: defaultPageSize,
		Retry: Backoff{}, BreakerThreshold: defaultBreakerThreshold, BreakerCooldown: defaultBreakerCooldown,
	}
	set := Options{
		Workers: 3, PerHost: 4, RequestTimeout: time.Second, LeaseTimeout: 2 * time.Second,
		PollInterval: time.Millisecond, PageSize: 7, Retry: Backoff{Attempts: 2}, BreakerThreshold: 5,
		BreakerCooldown: time.Hour, SoleInstance: true,
	}
	negative := Options{
		Workers: -1, PerHost: -1, RequestTimeout: -1, LeaseTimeout: -1, PollInterval: -1, PageSize: -1,
		BreakerThreshold: -1, BreakerCooldown: -1,
	}
	negativeWant := defaults
	negativeWant.BreakerThreshold = -1
	tests := []struct {
		name    string
		in, out Options
	}{
		{"zero", Options{}, defaults},
		{"set", set, set},
		{"negative", negative, negativeWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.out {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.out)
			}
		})
	}

	backoffs := []struct {
		in, out Backoff
	}{
		{Backoff{}, Backoff{Base: defaultBase, Max: defaultMax, Attempts: defaultAttempts}},
		{Backoff{Base: -1, Max: -1, Attempts: -1}, Backoff{Base: defaultBase, Max: defaultMax, Attempts: defaultAttempts}},
		{Backoff{Base: time.Minute, Max: time.Hour, Attempts: 3}, Backoff{Base: time.Minute, Max: time.Hour, Attempts: 3}},
	}
	for _, tt := range backoffs {
		if got := tt.in.withDefaults(); got != tt.out {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.out)
		}
	}
}
