package main

import (
	"net"
	"net/http"
)

// The newsroom's metrics: fedsite reports to an OpenTelemetry MeterProvider whose Prometheus
// exporter (internal/promexport) has a registry of its own, served at /metrics (see newApp).

// metricsPath is where the newsroom serves its metrics.
const metricsPath = "/metrics"

// withMetrics serves metrics at /metrics to clients on loopback, where a Prometheus beside the
// newsroom scrapes it, and everything else with site. Others get 404, as if there were no such
// page: the counts of followers and deliveries are the operator's, not the public's.
func withMetrics(site, metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != metricsPath {
			site.ServeHTTP(w, r)
			return
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.NotFound(w, r)
			return
		}
		metrics.ServeHTTP(w, r)
	})
}
