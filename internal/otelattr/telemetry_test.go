package otelattr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
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
