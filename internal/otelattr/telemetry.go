package otelattr

import (
	"context"
	"errors"
	"net"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

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
