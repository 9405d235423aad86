package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/promexport"
	"github.com/fedsite/fedsite/store"
)

// engines are the delivery engines of a run over one store (-telemetry): one without telemetry,
// and one reporting to an SDK MeterProvider, read by the Prometheus exporter that the run scrapes
// over loopback, and to an SDK TracerProvider that records every span (AlwaysSample) and hands it
// to a batch processor exporting nowhere. With "both" the rounds alternate, off first, so that
// the two are compared in the same run.
type engines struct {
	mode       string
	off, on    *delivery.Engine
	mp         *sdkmetric.MeterProvider
	tp         *sdktrace.TracerProvider
	srv        *http.Server
	metricsURL string
}

func newEngines(cfg delivery.Config, mode string) (*engines, error) {
	e := &engines{mode: mode}
	if mode != "on" && mode != "off" && mode != "both" {
		return nil, fmt.Errorf("-telemetry %q: want off, on or both", mode)
	}
	var err error
	if e.off, err = delivery.New(cfg); err != nil {
		return nil, err
	}
	if mode == "off" {
		return e, nil
	}
	mp, h, err := promexport.New()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		mp.Shutdown(context.Background())
		return nil, err
	}
	e.mp, e.metricsURL = mp, "http://"+ln.Addr().String()+"/metrics"
	e.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go e.srv.Serve(ln)
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	cfg.MeterProvider, cfg.TracerProvider = e.mp, e.tp
	if e.on, err = delivery.New(cfg); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// telemetry reports whether round i (from 0) runs with telemetry.
func (e *engines) telemetry(i int) bool {
	return e.mode == "on" || (e.mode == "both" && i%2 == 1)
}

// engine returns the engine of round i.
func (e *engines) engine(i int) *delivery.Engine {
	if e.telemetry(i) {
		return e.on
	}
	return e.off
}

func (e *engines) close() {
	if e.srv != nil {
		e.srv.Close()
		e.mp.Shutdown(context.Background())
		e.tp.Shutdown(context.Background())
	}
}

// scrape is what one GET of /metrics said during a fan-out.
type scrape struct {
	At                             time.Duration // since the fan-out began
	Delivered                      float64       // fedsite_deliveries_total{outcome="delivered"}
	Ready, Leased, Delayed, Failed float64       // fedsite_delivery_queue_depth by state; failed: deliveries given up
}

// scrapeEvery scrapes url every d until the returned function is called, which returns the
// scrapes, the last one made then.
func scrapeEvery(url string, d time.Duration) (stop func() ([]scrape, error)) {
	start := time.Now()
	var (
		mu      sync.Mutex
		scrapes []scrape
		first   error
	)
	take := func() {
		s, err := scrapeOnce(url)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			first = cmp.Or(first, err)
			return
		}
		s.At = time.Since(start)
		scrapes = append(scrapes, s)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				take()
			case <-done:
				return
			}
		}
	})
	return func() ([]scrape, error) {
		close(done)
		wg.Wait()
		take()
		return scrapes, first
	}
}

// scrapeOnce reads the delivery counters and the queue depth from url.
func scrapeOnce(url string) (scrape, error) {
	var s scrape
	resp, err := http.Get(url)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return s, err
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	fields := map[string]*float64{
		`fedsite_deliveries_total{fedsite_delivery_outcome="delivered"`:     &s.Delivered,
		`fedsite_deliveries_total{fedsite_delivery_outcome="failed"`:        &s.Failed,
		`fedsite_delivery_queue_depth{fedsite_delivery_job_state="ready"`:   &s.Ready,
		`fedsite_delivery_queue_depth{fedsite_delivery_job_state="leased"`:  &s.Leased,
		`fedsite_delivery_queue_depth{fedsite_delivery_job_state="delayed"`: &s.Delayed,
	}
	found := 0
	for line := range strings.SplitSeq(string(body), "\n") {
		for prefix, v := range fields {
			if strings.HasPrefix(line, prefix) {
				f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
				if err != nil {
					return s, fmt.Errorf("GET %s: %q: %w", url, line, err)
				}
				*v = f
				found++
			}
		}
	}
	if found == 0 {
		return s, errors.New("GET " + url + ": no delivery metrics")
	}
	return s, nil
}

// onOff labels a round of a -telemetry both run.
func onOff(o options, rd round) string {
	switch {
	case o.telemetry != "both":
		return ""
	case rd.Telemetry:
		return " (telemetry on)"
	default:
		return " (telemetry off)"
	}
}

// reportTelemetry writes the scrapes made during a fan-out and, for -telemetry both, the median
// rounds with and without telemetry and what telemetry cost.
func reportTelemetry(w io.Writer, o options, r result) {
	for _, s := range r.Scrapes {
		fmt.Fprintf(w, "scrape at %v: delivered %.0f, failed %.0f; queue ready %.0f, leased %.0f, delayed %.0f\n",
			s.At.Round(100*time.Millisecond), s.Delivered, s.Failed, s.Ready, s.Leased, s.Delayed)
	}
	if o.telemetry != "both" {
		return
	}
	var on, off, cpuOn, cpuOff []float64
	for _, rd := range r.Rounds {
		// The CPU time of the whole process (engine and fleet) per delivery: unlike the rate, it
		// does not depend on how much of the cores other processes took.
		cpu := rd.CPUBusy * rd.Elapsed.Seconds() * float64(runtime.GOMAXPROCS(0)) / float64(rd.Deliveries) * 1e6
		if rd.Telemetry {
			on, cpuOn = append(on, rd.Ratio), append(cpuOn, cpu)
		} else {
			off, cpuOff = append(off, rd.Ratio), append(cpuOff, cpu)
		}
	}
	if len(on) == 0 || len(off) == 0 {
		return
	}
	mOn, mOff := median(on), median(off)
	fmt.Fprintf(w, "telemetry off: median %.1f%% of the signing rate over %d rounds; on: %.1f%% over %d; overhead %.1f%%\n",
		100*mOff, len(off), 100*mOn, len(on), 100*(mOff-mOn)/mOff)
	cOn, cOff := median(cpuOn), median(cpuOff)
	fmt.Fprintf(w, "CPU per delivery (process): off %.0f µs, on %.0f µs (medians); overhead %.1f%%\n", cOff, cOn, 100*(cOn-cOff)/cOff)
}

// median returns the median of xs (the upper one of an even count), which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// drained waits until q holds no job that is ready, leased or delayed.
func drained(ctx context.Context, q store.Queue) error {
	for {
		d, err := q.Depth(ctx)
		if err != nil {
			return err
		}
		if d.Ready+d.Leased+d.Delayed == 0 {
			return nil
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("waiting for an empty queue: %w", ctx.Err())
		}
	}
}
