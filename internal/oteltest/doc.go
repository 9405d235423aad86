// Package oteltest reads what an OpenTelemetry SDK collected, for the tests of fedsite's metrics.
package oteltest
