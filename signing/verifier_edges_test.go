package signing

import (
	"context"
	"net/http/httptest"
	"testing"
)

// TestVerifySignatureHeaderEdges: one blank Signature header is no signature at all; a blank one
// beside another is two headers, refused as such; a header that lists no headers covers only the
// draft's default.
func TestVerifySignatureHeaderEdges(t *testing.T) {
	now := vectorClock
	tests := []struct {
		name   string
		values []string
		kind   error
		reason string
	}{
		{"one blank header", []string{"  "}, ErrNoSignature, "no Signature header"},
		{"a blank header and another", []string{"", `keyId="https://remote.domain/users/bob#main-key",signature="AAAA"`}, ErrInvalidSignature, "several Signature headers"},
		// Without a headers parameter, rsa-sha256 covers date alone (draft-cavage-12 §2.1.6):
		// not enough, but not (created) either, which rsa-sha256 may not use.
		{"rsa-sha256 without headers", []string{`keyId="https://remote.domain/users/bob#main-key",algorithm="rsa-sha256",signature="AAAA"`}, ErrInvalidSignature, "(request-target) not signed"},
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
