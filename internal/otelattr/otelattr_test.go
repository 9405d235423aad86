package otelattr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

func TestErrorType(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		err    error
		want   string
		failed bool
	}{
		{"accepted", 202, nil, "", false},
		{"ok", 200, nil, "", false},
		{"gone", 410, nil, "410", true},
		{"unavailable", 503, nil, "503", true},
		{"redirect not followed", 302, nil, "302", true},
		{"deadline", 0, fmt.Errorf("post: %w", context.DeadlineExceeded), "timeout", true},
		{"refused", 0, fmt.Errorf("post: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), "connection", true},
		{"no such host", 0, &net.DNSError{Err: "no such host", Name: "x.test", IsNotFound: true}, "connection", true},
		{"other", 0, errors.New("tls: bad certificate"), "_OTHER", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv, failed := ErrorType(tt.code, tt.err)
			if failed != tt.failed {
				t.Fatalf("failed = %v, want %v", failed, tt.failed)
			}
			if !failed {
				return
			}
			if kv.Key != "error.type" || kv.Value.AsString() != tt.want {
				t.Errorf("ErrorType = %s=%q, want error.type=%q", kv.Key, kv.Value.AsString(), tt.want)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		err       error
		attrs     []string
		errorType string
	}{
		{"accepted", 202, nil, []string{"http.response.status_code=202"}, ""},
		{"refused", 403, nil, []string{"http.response.status_code=403", "error.type=403"}, "403"},
		{"no answer", 0, context.DeadlineExceeded, []string{"error.type=timeout"}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs, et := Request(tt.code, tt.err)
			var got []string
			for _, kv := range attrs {
				got = append(got, string(kv.Key)+"="+kv.Value.String())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.attrs) || et != tt.errorType {
				t.Errorf("Request = %v, %q; want %v, %q", got, et, tt.attrs, tt.errorType)
			}
		})
	}
}

func TestScope(t *testing.T) {
	if _, _, ok := Scope(nil, nil, "s"); ok {
		t.Error("Scope without providers reports")
	}
	m, tr, ok := Scope(nil, tracenoop.NewTracerProvider(), "s")
	if !ok || m == nil || tr == nil {
		t.Errorf("Scope with a tracer provider = %v, %v, %v; want a no-op meter beside the tracer", m, tr, ok)
	}
}
