package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// scrape reads the app's /metrics and returns each sample by its name and labels as written,
// such as `fedsite_deliveries_total{fedsite_delivery_outcome="delivered",…}`.
func (a *app) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(a.base + metricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", resp.StatusCode, body)
	}
	samples := map[string]float64{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("GET /metrics: bad sample %q", line)
		}
		samples[line[:i]] = v
	}
	return samples
}

// sum adds the samples of metric whose labels include every one of labels.
func sum(samples map[string]float64, metric string, labels ...string) float64 {
	var total float64
	for k, v := range samples {
		name, rest, _ := strings.Cut(k, "{")
		if name != metric {
			continue
		}
		matched := true
		for _, l := range labels {
			matched = matched && strings.Contains(rest, l)
		}
		if matched {
			total += v
		}
	}
	return total
}

// TestMetricsDuringFanOut scrapes /metrics before an article's fan-out and after its first pass,
// while the deliveries to two failing servers wait to be retried: the delivery counters, the
// fan-out's inboxes and the queue's delayed jobs moved, and the followers are counted.
func TestMetricsDuringFanOut(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	const servers, failing = 6, 2
	for i := range servers {
		if _, err := rec.NewAccount(fmt.Sprintf("reader@s%d.example", i)).Follow(t.Context(), a.base+"/ap/users/news"); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := a.scrape(t)
	for i := range failing {
		rec.Respond(fmt.Sprintf("https://s%d.example/inbox", i), http.StatusServiceUnavailable)
	}
	a.publish(t, a.editor(t), "Bridge reopens", "The bridge reopens on Monday.")
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := a.scrape(t)

	moved := []struct {
		metric string
		labels []string
		want   float64 // how much it grew at least
	}{
		{"fedsite_deliveries_total", []string{`fedsite_delivery_outcome="delivered"`}, servers - failing},
		{"fedsite_deliveries_total", []string{`fedsite_delivery_outcome="retried"`}, failing},
		{"fedsite_delivery_fanout_inboxes_total", nil, servers},
		{"fedsite_delivery_duration_seconds_count", []string{`error_type="503"`}, failing},
		{"fedsite_delivery_queue_depth", []string{`fedsite_delivery_job_state="delayed"`}, failing},
	}
	for _, m := range moved {
		if d := sum(after, m.metric, m.labels...) - sum(before, m.metric, m.labels...); d < m.want {
			t.Errorf("%s%v grew by %v during the fan-out, want at least %v", m.metric, m.labels, d, m.want)
		}
	}
	if n := sum(after, "fedsite_follower_count"); n != servers {
		t.Errorf("fedsite_follower_count = %v, want %d", n, servers)
	}
	if n := sum(after, "fedsite_inbox_requests_total", `http_response_status_code="202"`); n < servers {
		t.Errorf("fedsite_inbox_requests_total{202} = %v, want the %d Follows", n, servers)
	}
	for k := range after {
		if strings.Contains(k, ".example") {
			t.Errorf("a metric names a server: %s", k)
		}
	}
}

// TestMetricsLoopbackOnly checks that /metrics answers a client on loopback only.
func TestMetricsLoopbackOnly(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metrics") })
	site := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "site") })
	h := withMetrics(site, metrics)
	tests := []struct {
		name, path, remote string
		status             int
		body               string
	}{
		{"loopback", "/metrics", "127.0.0.1:5000", 200, "metrics"},
		{"loopback v6", "/metrics", "[::1]:5000", 200, "metrics"},
		{"elsewhere", "/metrics", "192.0.2.7:5000", 404, ""},
		{"a page", "/articles/x", "192.0.2.7:5000", 200, "site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.RemoteAddr = tt.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || (tt.body != "" && w.Body.String() != tt.body) {
				t.Errorf("%s from %s: %d %q, want %d %q", tt.path, tt.remote, w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}
