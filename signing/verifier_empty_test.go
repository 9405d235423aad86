package signing

import (
	"context"
	"net/http/httptest"
	"testing"
)

// TestVerifyBlankSignatureHeader: one blank Signature header is no signature at all; a blank one
// beside another is two headers, refused as such.
func TestVerifyBlankSignatureHeader(t *testing.T) {
	now := vectorClock
	tests := []struct {
		name   string
		values []string
		kind   error
		reason string
	}{
		{"one blank header", []string{"  "}, ErrNoSignature, "no Signature header"},
		{"a blank header and another", []string{"", `keyId="https://remote.domain/users/bob#main-key",signature="AAAA"`}, ErrInvalidSignature, "several Signature headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/inbox", nil)
			for _, v := range tt.values {
				r.Header.Add("Signature", v)
			}
			_, err := newVerifierT(t, bobResolver(t), now).Verify(context.Background(), r, nil)
			wantReason(t, err, tt.kind, tt.reason)
		})
	}
}
