package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/promexport"
)

// metricsServer serves the federation's metrics at /metrics on a listener of its own
// (serve -metrics-addr), apart from the routes the site's proxy reaches, through the
// OpenTelemetry Prometheus exporter.
type metricsServer struct {
	mp  *sdkmetric.MeterProvider
	srv *http.Server
	// done is closed when srv stops serving.
	done chan struct{}
	url  string
}

// startMetrics serves metrics at http://addr/metrics until close; with addr empty it serves none
// and returns nil, whose methods do nothing.
func startMetrics(addr string, log *slog.Logger) (*metricsServer, error) {
	if addr == "" {
		return nil, nil
	}
	mp, h, err := promexport.New()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		mp.Shutdown(context.Background())
		return nil, fmt.Errorf("fedsite serve: -metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	m := &metricsServer{mp: mp, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}), url: "http://" + ln.Addr().String() + "/metrics"}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("fedsite serve: metrics", "err", err)
		}
	}()
	log.Info("metrics are served", "url", m.url)
	return m, nil
}

// configure sends the federation's metrics to m, as a Config change.
func (m *metricsServer) configure(cfg *activitypub.Config) {
	if m != nil {
		cfg.Telemetry.MeterProvider = m.mp
	}
}

// close stops serving metrics.
func (m *metricsServer) close() {
	if m == nil {
		return
	}
	m.srv.Close()
	<-m.done
	m.mp.Shutdown(context.Background())
}
