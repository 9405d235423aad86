package delivery

import (
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		b      Backoff
		failed int
		asked  time.Duration
		lo, hi time.Duration
		giveUp bool
	}{
		{"first failure", Backoff{}, 1, 0, 800 * time.Millisecond, 1200 * time.Millisecond, false},
		{"fourth failure", Backoff{}, 4, 0, 6400 * time.Millisecond, 9600 * time.Millisecond, false},
		{"ninth failure", Backoff{}, 9, 0, 204800 * time.Millisecond, 307200 * time.Millisecond, false},
		{"tenth failure gives up", Backoff{}, 10, 0, 0, 0, true},
		{"capped", Backoff{Attempts: 100}, 60, 0, 0, 12 * time.Hour, false},
		{"Retry-After wins", Backoff{}, 1, time.Minute, time.Minute, time.Minute, false},
		{"Retry-After capped by Max", Backoff{Max: time.Second}, 1, time.Hour, 0, time.Second, false},
		{"custom", Backoff{Base: time.Millisecond, Attempts: 2}, 1, 0, 800 * time.Microsecond, 1200 * time.Microsecond, false},
		{"custom gives up", Backoff{Base: time.Millisecond, Attempts: 2}, 2, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				d, ok := tt.b.Delay(tt.failed, tt.asked)
				if ok == tt.giveUp {
					t.Fatalf("Delay(%d) ok=%v, want %v", tt.failed, ok, !tt.giveUp)
				}
				if ok && (d < tt.lo || d > tt.hi) {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tt.failed, d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestRetryPolicyFunc(t *testing.T) {
	var p RetryPolicy = RetryPolicyFunc(func(failed int, _ time.Duration) (time.Duration, bool) {
		return time.Duration(failed) * time.Second, failed < 2
	})
	if d, ok := p.Delay(1, 0); d != time.Second || !ok {
		t.Errorf("Delay(1) = %v, %v", d, ok)
	}
	if _, ok := p.Delay(2, 0); ok {
		t.Error("Delay(2) should give up")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFailuresCount(t *testing.T) {
	pg := &page{}
	tests := []struct {
		lastErr  string
		attempts int
		carried  int   // payload.Failed: a deliver job put back from a page
		page     *page // a page's delivery
		want     int
		msg      string
	}{
		{"", 0, 0, nil, 0, ""},
		{reason(3, "status 500"), 7, 0, nil, 3, "status 500"},
		{"[x] odd", 2, 0, nil, 2, "[x] odd"},
		{"no count", 4, 0, nil, 4, "no count"},
		{"[5", 1, 0, nil, 1, "[5"},
		{"", 0, 2, nil, 2, ""},                                // put back after 2 failures, not leased since
		{reason(4, "status 502"), 1, 2, nil, 4, "status 502"}, // retried since: the reason counts
		{"", 0, 0, pg, 0, ""},
	}
	for _, tt := range tests {
		l := store.Lease{Job: store.Job{LastError: tt.lastErr, Attempts: tt.attempts}}
		if got := failures(task{l: l, p: payload{Failed: tt.carried}, page: tt.page}); got != tt.want {
			t.Errorf("failures(%q, %d, carried %d) = %d, want %d", tt.lastErr, tt.attempts, tt.carried, got, tt.want)
		}
		if got := lastMessage(l); got != tt.msg {
			t.Errorf("lastMessage(%q) = %q, want %q", tt.lastErr, got, tt.msg)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		code int
		err  error
		want outcome
	}{
		{200, nil, delivered}, {202, nil, delivered}, {204, nil, delivered},
		{404, nil, gone}, {410, nil, gone},
		{408, nil, retryable}, {429, nil, retryable}, {500, nil, retryable}, {503, nil, retryable},
		{0, errBadInbox, retryable},
		{400, nil, refused}, {401, nil, refused}, {403, nil, refused}, {301, nil, refused},
	}
	for _, tt := range tests {
		if got := classify(tt.code, tt.err); got != tt.want {
			t.Errorf("classify(%d, %v) = %d, want %d", tt.code, tt.err, got, tt.want)
		}
	}
}
