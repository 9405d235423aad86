package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
)

// TestMain runs the fleet of a test's run when the test binary is started again as its fleet
// process (see startFleet).
func TestMain(m *testing.M) {
	if os.Getenv(envFleet) != "" {
		if err := inboxfleet.ServeProcess(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRun runs the harness at a small size on both stores: every inbox is reached once, signatures
// check out, and the report has its figures.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		store, conns string
		latency      time.Duration
		rounds       int
		bulk         bool
		idle         int
		plain        bool
	}{
		{"mem", "shared", 0, 1, false, 0, false},
		{"mem", "per-host", 0, 2, false, 0, false},
		{"mem", "per-host", 0, 2, false, 1000, false},
		{"mem", "per-host", 0, 2, false, 0, true},
		{"sqlite", "shared", 0, 2, false, 0, false},
		{"sqlite", "per-host", 0, 1, true, 0, false},
		{"mem", "shared", 20 * time.Millisecond, 1, false, 0, false},
		{"redis", "shared", 0, 2, false, 0, false},
	} {
		t.Run(fmt.Sprint(tc.store, "/", tc.conns, "/", tc.latency, "/bulk=", tc.bulk, "/idle=", tc.idle, "/plain=", tc.plain), func(t *testing.T) {
			redisURL := os.Getenv("FEDSITE_TEST_REDIS_URL")
			if tc.store == "redis" && redisURL == "" {
				t.Skip("FEDSITE_TEST_REDIS_URL is not set; .ci/run sets it")
			}
			o := options{redisURL: redisURL, followers: 300, inboxes: 150, store: tc.store, conns: tc.conns, latency: tc.latency, workers: 4,
				perHost: 2, verify: 5, signFor: 100 * time.Millisecond, timeout: time.Minute, rounds: tc.rounds, bulk: tc.bulk, idle: tc.idle, plain: tc.plain}
			r, err := run(t.Context(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if r.Deliveries != 150 || r.Duplicates != 0 || r.Bad != 0 || r.Checked == 0 || len(r.Rounds) != tc.rounds {
				t.Errorf("result %+v", r)
			}
			for i, rd := range r.Rounds {
				if rd.Deliveries != 150 || rd.Ratio <= 0 || rd.SignPerSec <= 0 || rd.SignCPU <= 0 || rd.CPUPerDelivery <= 0 || rd.CPURatio <= 0 {
					t.Errorf("round %d: %+v", i+1, rd)
				}
			}
			// 150 hosts: a connection each, which the second round reuses (the site's default
			// client keeps 1000 idle, as does -idle 1000); or no more than one per worker.
			bounds := map[string][2]int64{"per-host": {150, 150}, "shared": {1, 4}}[tc.conns]
			if r.Conns < bounds[0] || r.Conns > bounds[1] {
				t.Errorf("%d TCP connections for %s, want %d to %d", r.Conns, tc.conns, bounds[0], bounds[1])
			}
			// Each of the 4 workers waits out the latency of its deliveries one after another.
			if least := 150 / 4 * tc.latency; r.Elapsed < least {
				t.Errorf("fan-out took %v with a latency of %v, want at least %v", r.Elapsed, tc.latency, least)
			}
			if r.SignPerSec <= 0 || r.DeliveriesPerSec <= 0 || r.EnqueueLatency <= 0 {
				t.Errorf("missing figures: %+v", r)
			}
			var b strings.Builder
			report(&b, o, r)
			if !strings.Contains(b.String(), "of the signing rate") || !strings.Contains(b.String(), "CPU per delivery") {
				t.Errorf("report:\n%s", b.String())
			}
		})
	}
}

// TestRunTelemetry alternates rounds without and with telemetry: the rounds say which they were,
// the scrapes of /metrics made during the first round with it saw the deliveries counted, and
// the report compares the two.
func TestRunTelemetry(t *testing.T) {
	o := options{followers: 100, inboxes: 100, store: "mem", conns: "shared", workers: 4, perHost: 2, verify: 5,
		signFor: 100 * time.Millisecond, timeout: time.Minute, rounds: 4, telemetry: "both"}
	r, err := run(t.Context(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for i, rd := range r.Rounds {
		if rd.Telemetry != (i%2 == 1) || rd.Deliveries != 100 {
			t.Errorf("round %d: %+v, want telemetry %v and 100 deliveries", i+1, rd, i%2 == 1)
		}
	}
	if r.Duplicates != 0 {
		t.Errorf("%d duplicates", r.Duplicates)
	}
	if len(r.Scrapes) == 0 || r.Scrapes[len(r.Scrapes)-1].Delivered != 100 {
		t.Errorf("scrapes %+v, want the last to count the round's 100 deliveries", r.Scrapes)
	}
	var b strings.Builder
	report(&b, o, r)
	for _, want := range []string{"(telemetry on)", "(telemetry off)", "telemetry off: median", "CPU per delivery", "scrape at"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report has no %q:\n%s", want, b.String())
		}
	}
}
