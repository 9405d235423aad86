package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestRun runs the harness at a small size on both stores: every inbox is reached once, signatures
// check out, and the report has its figures.
func TestRun(t *testing.T) {
	for _, tc := range []struct{ store, conns string }{{"mem", "shared"}, {"mem", "per-host"}, {"sqlite", "shared"}} {
		t.Run(tc.store+"/"+tc.conns, func(t *testing.T) {
			o := options{followers: 300, inboxes: 150, store: tc.store, conns: tc.conns, workers: 4, perHost: 2, verify: 5,
				signFor: 100 * time.Millisecond, timeout: time.Minute}
			r, err := run(t.Context(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if r.Deliveries != 150 || r.Duplicates != 0 || r.Bad != 0 || r.Checked == 0 {
				t.Errorf("result %+v", r)
			}
			// 150 hosts: a connection each, or no more than the shared pool's 64.
			bounds := map[string][2]int64{"per-host": {150, 150}, "shared": {1, 64}}[tc.conns]
			if r.Conns < bounds[0] || r.Conns > bounds[1] {
				t.Errorf("%d TCP connections for %s, want %d to %d", r.Conns, tc.conns, bounds[0], bounds[1])
			}
			if r.SignPerSec <= 0 || r.DeliveriesPerSec <= 0 || r.EnqueueLatency <= 0 {
				t.Errorf("missing figures: %+v", r)
			}
			var b strings.Builder
			report(&b, o, r)
			if !strings.Contains(b.String(), "of the signing rate") {
				t.Errorf("report:\n%s", b.String())
			}
		})
	}
}
