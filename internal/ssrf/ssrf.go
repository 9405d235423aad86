package ssrf

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress reports a connection refused because its address is in a forbidden range.
// The error returned by a dial or a client wraps it in an *[AddressError].
var ErrForbiddenAddress = errors.New("ssrf: forbidden address")

// AddressError reports the address a dial was refused for and why.
type AddressError struct {
	// Addr is the IP address the dial would have connected to.
	Addr netip.Addr
	// Reason names the range it is in, such as "loopback" or "link-local".
	Reason string
}

// Error names the refused address and the reason.
func (e *AddressError) Error() string {
	return fmt.Sprintf("ssrf: refusing to connect to %s (%s)", e.Addr, e.Reason)
}

// Unwrap returns [ErrForbiddenAddress].
func (e *AddressError) Unwrap() error { return ErrForbiddenAddress }

// Default timeouts and limits; see [Config].
const (
	DefaultTimeout      = 30 * time.Second
	DefaultDialTimeout  = 10 * time.Second
	DefaultMaxRedirects = 5
)

// Config configures [NewClient] and [NewTransport]. The zero value is the strict default.
type Config struct {
	// Allow lists prefixes that may be connected to even though a rule forbids them, such as
	// 127.0.0.0/8 for tests on loopback. Default: none.
	Allow []netip.Prefix

	// Timeout caps a whole request made by the client of NewClient, redirects and body included.
	// Default: DefaultTimeout (30 s).
	Timeout time.Duration

	// DialTimeout caps each connection attempt; the TLS handshake and the wait for response
	// headers get the same cap. Default: DefaultDialTimeout (10 s).
	DialTimeout time.Duration

	// MaxRedirects is how many redirects the client of NewClient follows. Default:
	// DefaultMaxRedirects (5); -1 follows none.
	MaxRedirects int
}

// Check reports whether ip may be connected to: nil, or an *[AddressError] naming the forbidden
// range it is in. An address in one of allow's prefixes is always permitted. IPv4-mapped IPv6
// addresses are checked as the IPv4 address they carry, and so are NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) addresses.
func Check(ip netip.Addr, allow []netip.Prefix) error {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return &AddressError{Addr: ip, Reason: "invalid"}
	}
	for _, p := range allow {
		if p.Contains(ip) || (ip.Is4In6() && p.Contains(ip.Unmap())) {
			return nil
		}
	}
	if reason := forbidden(ip); reason != "" {
		return &AddressError{Addr: ip, Reason: reason}
	}
	if ip.Is6() && !ip.Is4In6() {
		// An IPv4 address embedded in an IPv6 one reaches that IPv4 host through a translator.
		if v4, ok := embedded4(ip); ok {
			if err := Check(v4, allow); err != nil {
				return &AddressError{Addr: ip, Reason: "embeds " + v4.String() + ", " + err.(*AddressError).Reason}
			}
		}
	}
	return nil
}

// special are the ranges netip's predicates do not name.
var special = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // includes 255.255.255.255
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
}

func forbidden(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local" // 169.254.0.0/16 holds the cloud metadata service
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, s := range special {
		if s.p.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4  = netip.MustParsePrefix("2002::/16")
	ipv4Len = 4
)

// embedded4 returns the IPv4 address a NAT64 or 6to4 address leads to.
func embedded4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12 : 12+ipv4Len])), true
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2 : 2+ipv4Len])), true
	}
	return netip.Addr{}, false
}

// Control returns a [net.Dialer] Control function that refuses forbidden addresses (see
// [Check]). It sees the resolved address of every connection attempt, so it holds for host names
// and redirects alike.
func Control(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	allow = append([]netip.Prefix(nil), allow...)
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("ssrf: dial %s %q: %w", network, address, ErrForbiddenAddress)
		}
		return Check(ap.Addr(), allow)
	}
}

// NewDialer returns a dialer whose connections are checked by [Control].
func NewDialer(cfg Config) *net.Dialer {
	cfg = cfg.withDefaults()
	return &net.Dialer{
		Timeout:   cfg.DialTimeout,
		KeepAlive: 30 * time.Second,
		Control:   Control(cfg.Allow),
	}
}

// Idle connections a transport of [NewTransport] keeps, in all and to one host.
//
// A fan-out reaches each follower's server once, so it reuses connections only from the fan-out
// before it: with room for a thousand idle connections, a site whose followers are on up to a
// thousand servers sends an activity published within IdleConnTimeout (90 s) of the previous one
// over the connections already open, saving each delivery the connect and close (about a tenth
// of its CPU beside the RSA signature; see BENCHMARKS.md). An idle connection costs 16–20 KB of
// memory (its buffers and two goroutines' stacks) and a socket, so a full pool holds up to about
// 20 MB, and only for 90 s after its connections were last used.
const (
	maxIdleConns        = 1000
	maxIdleConnsPerHost = 8
)

// NewTransport returns an HTTP transport that dials through [NewDialer] and uses no proxy.
func NewTransport(cfg Config) *http.Transport {
	cfg = cfg.withDefaults()
	d := NewDialer(cfg)
	return &http.Transport{
		Proxy:                 nil, // a proxy would be the dialed address, defeating the check
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.DialTimeout,
		ResponseHeaderTimeout: cfg.DialTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// NewClient returns an HTTP client over [NewTransport] with the request timeout and redirect
// policy of cfg: at most MaxRedirects redirects, each to an http or https URL (and each one's
// address checked when it is dialed).
func NewClient(cfg Config) *http.Client {
	cfg = cfg.withDefaults()
	return &http.Client{
		Transport:     NewTransport(cfg),
		Timeout:       cfg.Timeout,
		CheckRedirect: CheckRedirect(cfg.MaxRedirects),
	}
}

// CheckRedirect returns an http.Client CheckRedirect function that follows at most max redirects
// (none when max < 0) and only to http or https URLs.
func CheckRedirect(max int) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max < 0 || len(via) > max {
			return fmt.Errorf("ssrf: stopped after %d redirects", len(via))
		}
		if s := req.URL.Scheme; s != "http" && s != "https" {
			return fmt.Errorf("ssrf: redirect to scheme %q", s)
		}
		return nil
	}
}

// IsForbidden reports whether err, from a dial or an HTTP request, is a refused address.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbiddenAddress) }

func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	return cfg
}
