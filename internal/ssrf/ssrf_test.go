package ssrf_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/internal/ssrf"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func TestCheck(t *testing.T) {
	tests := []struct {
		addr   string
		allow  []netip.Prefix
		reason string // "" = permitted
	}{
		{"93.184.215.14", nil, ""},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", nil, ""},
		{"127.0.0.1", nil, "loopback"},
		{"127.1.2.3", nil, "loopback"},
		{"::1", nil, "loopback"},
		{"::ffff:127.0.0.1", nil, "loopback"},
		{"10.0.0.1", nil, "private"},
		{"172.16.5.4", nil, "private"},
		{"192.168.1.1", nil, "private"},
		{"::ffff:192.168.1.1", nil, "private"},
		{"fd00::1", nil, "private"},
		{"169.254.169.254", nil, "link-local"},
		{"::ffff:169.254.169.254", nil, "link-local"},
		{"fe80::1", nil, "link-local"},
		{"0.0.0.0", nil, "unspecified"},
		{"::", nil, "unspecified"},
		{"0.1.2.3", nil, "this network"},
		{"100.64.0.1", nil, "CGNAT"},
		{"100.127.255.254", nil, "CGNAT"},
		{"224.0.0.1", nil, "multicast"},
		{"ff02::1", nil, "multicast"},
		{"255.255.255.255", nil, "reserved"},
		{"192.0.2.7", nil, "documentation"},
		{"64:ff9b::a9fe:a9fe", nil, "embeds 169.254.169.254, link-local"},
		{"2002:7f00:1::", nil, "embeds 127.0.0.1, loopback"},
		{"2002:5db8:d70e::", nil, ""}, // 6to4 of a public address
		{"127.0.0.1", loopback, ""},
		{"::ffff:127.0.0.1", loopback, ""},
		{"10.0.0.1", loopback, "private"},
		{"::1", loopback, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := ssrf.Check(netip.MustParseAddr(tt.addr), tt.allow)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check = %v, want permitted", err)
				}
				return
			}
			ae, ok := errors.AsType[*ssrf.AddressError](err)
			if !ok || !errors.Is(err, ssrf.ErrForbiddenAddress) {
				t.Fatalf("Check = %v, want an *AddressError matching ErrForbiddenAddress", err)
			}
			if ae.Reason != tt.reason {
				t.Fatalf("reason %q, want %q", ae.Reason, tt.reason)
			}
		})
	}
}

func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	only1 := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

	tests := []struct {
		name      string
		allow     []netip.Prefix
		url       string
		forbidden bool
	}{
		{"loopback refused by default", nil, srv.URL, true},
		{"name resolving to loopback refused", nil, "http://localhost" + port, true},
		{"allowed loopback", loopback, srv.URL, false},
		{"redirect to another loopback address", only1, srv.URL + "/?to=http://127.0.0.2" + port + "/", true},
		// The dial is refused before any packet leaves: the metadata address is never contacted.
		{"redirect to the metadata address", only1, srv.URL + "/?to=http://169.254.169.254/latest/meta-data/", true},
		{"redirect to a private address", only1, srv.URL + "/?to=http://10.1.2.3:8080/", true},
		{"redirect to an IPv4-mapped loopback", only1, srv.URL + "/?to=http://[::ffff:127.0.0.2]" + port + "/", true},
		{"redirect within the allowed range", only1, srv.URL + "/?to=" + srv.URL + "/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ssrf.NewClient(ssrf.Config{Allow: tt.allow})
			resp, err := c.Get(tt.url)
			if tt.forbidden {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("GET %s succeeded, want refused", tt.url)
				}
				if !ssrf.IsForbidden(err) {
					t.Fatalf("GET %s: %v, want ErrForbiddenAddress", tt.url, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET %s: %v", tt.url, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
	}
}

func TestRedirectPolicy(t *testing.T) {
	hops := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/file" {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
			return
		}
		hops++
		http.Redirect(w, r, srv.URL+"/again", http.StatusFound)
	}))
	defer srv.Close()
	c := ssrf.NewClient(ssrf.Config{Allow: loopback, MaxRedirects: 2})
	if _, err := c.Get(srv.URL); err == nil || !strings.Contains(err.Error(), "stopped after 3 redirects") {
		t.Fatalf("err = %v, want the redirect cap", err)
	}
	if hops != 3 {
		t.Errorf("server saw %d requests, want 3", hops)
	}
	if _, err := c.Get(srv.URL + "/file"); err == nil || !strings.Contains(err.Error(), `scheme "file"`) {
		t.Fatalf("err = %v, want the scheme refused", err)
	}
	none := ssrf.NewClient(ssrf.Config{Allow: loopback, MaxRedirects: -1})
	if _, err := none.Get(srv.URL); err == nil {
		t.Fatal("MaxRedirects -1 followed a redirect")
	}
}

func ExampleNewClient() {
	c := ssrf.NewClient(ssrf.Config{}) // nothing allowed: loopback is refused
	_, err := c.Get("http://127.0.0.1:1/")
	fmt.Println(ssrf.IsForbidden(err))
	// Output: true
}
