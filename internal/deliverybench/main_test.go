package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/inboxfleet"
	"github.com/fedsite/fedsite/signing"
)

// TestMain lets the test binary serve as the fleet's child process, as the command does.
func TestMain(m *testing.M) {
	if os.Getenv(envFleetChild) != "" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestRun runs the harness at a small size on both stores, with the fleet in this process and in a
// child process: every inbox is reached once, signatures check out, and the report has its figures.
func TestRun(t *testing.T) {
	tests := []struct {
		name  string
		store string
		child bool
	}{
		{"mem", "mem", false},
		{"sqlite", "sqlite", false},
		{"mem/child", "mem", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options{followers: 300, inboxes: 150, store: tt.store, workers: 4, perHost: 2, verify: 5,
				signFor: 100 * time.Millisecond, timeout: time.Minute, fleetProcess: tt.child}
			r, err := run(t.Context(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if r.Deliveries != 150 || r.Duplicates != 0 || r.Bad != 0 || r.Checked == 0 {
				t.Errorf("result %+v", r)
			}
			if r.SignPerSec <= 0 || r.DeliveriesPerSec <= 0 || r.EnqueueLatency <= 0 {
				t.Errorf("missing figures: %+v", r)
			}
			if tt.child && r.FleetNice != childNice {
				t.Errorf("child fleet runs at nice %d, want %d", r.FleetNice, childNice)
			}
			var b strings.Builder
			report(&b, o, r)
			if !strings.Contains(b.String(), "of the signing rate") {
				t.Errorf("report:\n%s", b.String())
			}
		})
	}
}

// TestChildFleetCounts checks the child's counters against what was sent: one signed delivery, a
// duplicate and an unsigned request; the child runs at the lowest priority and exits cleanly.
func TestChildFleetCounts(t *testing.T) {
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://bench.test/k#main-key"
	f, err := startChildFleet(inboxfleet.Config{Key: key.Public(), KeyID: keyID, VerifyEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := inboxfleet.Client(f.Addr(), 2)
	post := func(inbox string, sign bool) {
		body := []byte(`{"type":"Create"}`)
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		if sign {
			if err := signing.Sign(req, signing.Key{ID: keyID, Signer: key}, body, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	defer func() {
		if t.Failed() {
			f.Close()
		}
	}()
	post(inboxfleet.Inbox(1, 1), true)
	post(inboxfleet.Inbox(1, 1), true)
	post(inboxfleet.Inbox(2, 2), false)
	got, err := f.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := fleetStats{Accepted: 2, Distinct: 1, Total: 3, Checked: 3, Bad: 1}
	if got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if f.nice != childNice {
		t.Errorf("nice %d, want %d", f.nice, childNice)
	}
	if err := f.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
