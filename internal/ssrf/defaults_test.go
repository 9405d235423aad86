package ssrf_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/ssrf"
)

// TestTimeoutDefaults: a zero timeout is the documented default, never "no timeout", and a set
// one is kept.
func TestTimeoutDefaults(t *testing.T) {
	if ssrf.DefaultTimeout != 30*time.Second || ssrf.DefaultDialTimeout != 10*time.Second {
		t.Fatalf("defaults %v and %v, want the documented 30 s and 10 s", ssrf.DefaultTimeout, ssrf.DefaultDialTimeout)
	}
	tests := []struct {
		name              string
		cfg               ssrf.Config
		wantReq, wantDial time.Duration
	}{
		{"zero: defaults", ssrf.Config{}, ssrf.DefaultTimeout, ssrf.DefaultDialTimeout},
		{"negative: defaults", ssrf.Config{Timeout: -1, DialTimeout: -1}, ssrf.DefaultTimeout, ssrf.DefaultDialTimeout},
		{"set: kept", ssrf.Config{Timeout: 3 * time.Second, DialTimeout: 2 * time.Second}, 3 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ssrf.NewClient(tt.cfg).Timeout; got != tt.wantReq {
				t.Errorf("client timeout %v, want %v", got, tt.wantReq)
			}
			if got := ssrf.NewDialer(tt.cfg).Timeout; got != tt.wantDial {
				t.Errorf("dial timeout %v, want %v", got, tt.wantDial)
			}
			tr := ssrf.NewTransport(tt.cfg)
			if tr.TLSHandshakeTimeout != tt.wantDial || tr.ResponseHeaderTimeout != tt.wantDial {
				t.Errorf("TLS handshake %v, response headers %v, want %v", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout, tt.wantDial)
			}
			// Idle connections to remote servers are closed, and dead peers noticed, in bounded time.
			if tr.IdleConnTimeout != 90*time.Second || ssrf.NewDialer(tt.cfg).KeepAlive != 30*time.Second {
				t.Errorf("idle connections kept %v, keep-alive %v; want 90 s and 30 s", tr.IdleConnTimeout, ssrf.NewDialer(tt.cfg).KeepAlive)
			}
			// A fan-out to a thousand servers finds the connections of the one before open.
			if tr.MaxIdleConns != 1000 || tr.MaxIdleConnsPerHost != 8 {
				t.Errorf("idle connections %d in all, %d per host; want 1000 and 8", tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
			}
			if tr.Proxy != nil {
				t.Error("the transport uses a proxy, which would be the dialed address")
			}
		})
	}
}

// TestRedirectSchemes: a redirect may go to http or https only, whatever else the client
// could fetch.
func TestRedirectSchemes(t *testing.T) {
	check := ssrf.CheckRedirect(5)
	via := []*http.Request{{URL: &url.URL{Scheme: "https", Host: "a.example", Path: "/"}}}
	for _, tt := range []struct {
		to string
		ok bool
	}{
		{"https://b.example/x", true},
		{"http://b.example/x", true},
		{"file:///etc/passwd", false},
		{"ftp://b.example/x", false},
		{"gopher://b.example/x", false},
	} {
		u, err := url.Parse(tt.to)
		if err != nil {
			t.Fatal(err)
		}
		err = check(&http.Request{URL: u}, via)
		if tt.ok && err != nil {
			t.Errorf("redirect to %s: %v, want it followed", tt.to, err)
		}
		if !tt.ok && (err == nil || !strings.Contains(err.Error(), "ssrf: redirect to scheme")) {
			t.Errorf("redirect to %s: %v, want it refused", tt.to, err)
		}
	}
}
