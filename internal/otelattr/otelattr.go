package otelattr

import (
	"context"
	"errors"
	"net"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Scope returns the meter and the tracer of an instrumentation scope, a no-op one in place of
// a nil provider, and false when both providers are nil: there is nothing to report, and the
// caller reports nothing at no cost.
func Scope(mp metric.MeterProvider, tp trace.TracerProvider, scope string) (metric.Meter, trace.Tracer, bool) {
	if mp == nil && tp == nil {
		return nil, nil, false
	}
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	return mp.Meter(scope), tp.Tracer(scope), true
}

// DurationBuckets are the bucket boundaries, in seconds, of the histograms of outgoing requests:
// from 5 ms to the 30 s of the default request timeout.
func DurationBuckets() metric.HistogramOption {
	return metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30)
}

// Request returns the attributes of an outgoing request that got code (0 for none) or err:
// http.response.status_code when there was an answer, then error.type when it failed (see
// ErrorType), whose value it returns too ("" for a success).
func Request(code int, err error) ([]attribute.KeyValue, string) {
	attrs := make([]attribute.KeyValue, 0, 3)
	if code != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(code))
	}
	et, failed := ErrorType(code, err)
	if !failed {
		return attrs, ""
	}
	return append(attrs, et), et.Value.AsString()
}

// ErrorType returns the error.type attribute of an outgoing request that failed, and false for one
// that succeeded: with no error and a 2xx answer. The value is the status code of any other
// answer, "timeout" for a request that ran out of time, "connection" for one that could not
// reach the server and "_OTHER" for any other error, so that it stays a short list.
func ErrorType(code int, err error) (attribute.KeyValue, bool) {
	if err == nil {
		if code >= 200 && code < 300 {
			return attribute.KeyValue{}, false
		}
		return semconv.ErrorTypeKey.String(strconv.Itoa(code)), true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return semconv.ErrorTypeKey.String("timeout"), true
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return semconv.ErrorTypeKey.String("timeout"), true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return semconv.ErrorTypeKey.String("connection"), true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return semconv.ErrorTypeKey.String("connection"), true
	}
	return semconv.ErrorTypeOther, true
}
