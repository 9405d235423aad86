// Package otelattr holds what fedsite's packages share in reporting to OpenTelemetry: the
// attributes of an outgoing request's outcome.
package otelattr
