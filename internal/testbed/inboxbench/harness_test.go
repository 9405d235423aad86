package inboxbench

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestHarness(t *testing.T) {
	for _, rfc := range []bool{false, true} {
		h, err := New(context.Background(), Config{Requests: 20, RFC9421: rfc})
		if err != nil {
			t.Fatal(err)
		}
		r := h.Load(context.Background(), 4, 300*time.Millisecond)
		h.Close()
		if r.Accepted == 0 || r.Failed != 0 {
			t.Fatalf("RFC 9421 %v: %v, want only accepted requests", rfc, r)
		}
		if r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
			t.Fatalf("percentiles out of order: %v", r)
		}
	}
	if rate, err := RSAVerifyRate(50 * time.Millisecond); err != nil || rate <= 0 {
		t.Fatalf("RSAVerifyRate = %v, %v", rate, err)
	}
}

func TestSummarize(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(100-i) * time.Millisecond
	}
	r := summarize(lat, 3, 2*time.Second)
	if r.Accepted != 100 || r.Failed != 3 || r.PerSecond != 50 || r.P50 != 51*time.Millisecond || r.P99 != 100*time.Millisecond {
		t.Fatalf("summarize = %+v", r)
	}
}

// BenchmarkInbox posts pre-signed draft-cavage requests in parallel (b.SetParallelism(16) per
// CPU) and reports accepted requests per second and latency percentiles.
func BenchmarkInbox(b *testing.B)        { benchInbox(b, false) }
func BenchmarkInboxRFC9421(b *testing.B) { benchInbox(b, true) }

func benchInbox(b *testing.B, rfc bool) {
	h, err := New(context.Background(), Config{RFC9421: rfc})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		bad := 0
		for pb.Next() {
			code, l, err := h.Post(context.Background())
			if err != nil || code != http.StatusAccepted {
				bad++
				continue
			}
			local = append(local, l)
		}
		mu.Lock()
		lat = append(lat, local...)
		failed += bad
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d requests not accepted", failed)
	}
	r := summarize(lat, failed, elapsed)
	b.ReportMetric(r.PerSecond, "req/s")
	b.ReportMetric(float64(r.P50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(r.P99.Microseconds()), "p99-µs")
}

// BenchmarkRSAVerify is the raw RSA-2048 verification rate over all CPUs, for the ratio.
func BenchmarkRSAVerify(b *testing.B) {
	var rate float64
	for b.Loop() {
		var err error
		if rate, err = RSAVerifyRate(250 * time.Millisecond); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rate, "verify/s")
}
