package main

import (
	"context"
	"log/slog"
	"net/http"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/promexport"
)

// metricsServer serves the federation's metrics at /metrics on a listener of its own
// (serve -metrics-addr), apart from the routes the site's proxy reaches, through the
// OpenTelemetry Prometheus exporter.
type metricsServer struct {
	mp   *sdkmetric.MeterProvider
	side *sideServer
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
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	side, err := serveAside(addr, "-metrics-addr", "metrics", mux, log)
	if err != nil {
		mp.Shutdown(context.Background())
		return nil, err
	}
	m := &metricsServer{mp: mp, side: side, url: side.url + "metrics"}
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
	m.side.close()
	m.mp.Shutdown(context.Background())
}
