package signing

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMaxExpiryCap checks, in both signature formats, that an expires far in the future is cut to
// created+MaxExpiry: a captured request whose signer set expires a year ahead stays valid for at
// most MaxExpiry (plus ClockSkew), not for the year.
func TestMaxExpiryCap(t *testing.T) {
	bob := bobKey(t)
	now := vectorClock
	body := []byte(`{"type":"Create"}`)
	yearAhead := now.AddDate(1, 0, 0).Unix()
	unix := func(tm time.Time) string { return strconv.FormatInt(tm.Unix(), 10) }

	// cavage signs a POST with hs2019 over (created) and (expires).
	cavage := func(t *testing.T, created time.Time) *http.Request {
		r := httptest.NewRequest("POST", "https://www.example.com/inbox", strings.NewReader(string(body)))
		if err := Sign(r, Key{ID: bobKeyID, Signer: bob}, body, created); err != nil {
			t.Fatal(err)
		}
		r.Header.Del("Date")
		p := &sigParams{created: unix(created), expires: strconv.FormatInt(yearAhead, 10)}
		signRaw(t, r, bob, bobKeyID, "hs2019", []string{"(request-target)", "(created)", "(expires)", "host", "digest"}, p)
		return r
	}
	// rfc9421 signs the same POST with a Signature-Input carrying created and expires.
	rfc9421 := func(t *testing.T, created time.Time) *http.Request {
		r := httptest.NewRequest("POST", "https://www.example.com/inbox", strings.NewReader(string(body)))
		sum := sha256.Sum256(body)
		r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		sign9421(t, r, bob, "sig1", []string{"@method", "@target-uri", "content-digest"},
			";created="+unix(created)+";expires="+strconv.FormatInt(yearAhead, 10)+`;keyid="`+bobKeyID+`"`)
		return r
	}
	tests := []struct {
		name    string
		sign    func(*testing.T, time.Time) *http.Request
		created time.Time
		// wantExpired: the cap put expires more than ClockSkew before now.
		wantExpired bool
	}{
		{"draft-cavage, created 14 h ago", cavage, now.Add(-14 * time.Hour), true},
		{"draft-cavage, created 1 h ago", cavage, now.Add(-time.Hour), false},
		{"RFC 9421, created 14 h ago", rfc9421, now.Add(-14 * time.Hour), true},
		{"RFC 9421, created 1 h ago", rfc9421, now.Add(-time.Hour), false},
	}
	v := newVerifier9421(t, bobResolver(t), now, "https")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.sign(t, tt.created), body)
			if tt.wantExpired {
				wantReason(t, err, ErrInvalidSignature, "signature expired")
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if want := tt.created.Truncate(time.Second).Add(MaxExpiry); !got.Expires.Equal(want) {
				t.Errorf("Expires = %v, want created+MaxExpiry = %v", got.Expires, want)
			}
		})
	}
}
