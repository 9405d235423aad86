// Package otelattr holds what fedsite's packages share in reporting to OpenTelemetry: their meter
// and tracer, the buckets of request durations and the attributes of an outgoing request's
// outcome.
package otelattr
