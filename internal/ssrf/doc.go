// Package ssrf builds HTTP clients that refuse to connect to addresses a remote party should
// never make fedsite reach: loopback, private networks (RFC 1918, RFC 4193 ULA), link-local
// (including the 169.254.169.254 cloud metadata address), CGNAT (RFC 6598), unspecified,
// multicast, broadcast, reserved and documentation ranges, and IPv6 forms that embed such an IPv4
// address (IPv4-mapped, NAT64, 6to4).
//
// # How the check works
//
// The check runs in the dialer's Control hook, which sees the address about to be connected to
// after name resolution. A host name that resolves to a forbidden address is refused whatever it
// is called, so DNS rebinding (a name that resolves to a public address when checked and to a
// private one when used) cannot pass: there is no separate "check" lookup to fool. Every redirect
// is a new dial and is checked again; the client also caps the number of redirects and refuses
// non-http(s) redirect targets. Proxies from the environment are not used, since a proxy would
// make the dialed address the proxy's.
//
// # Allowing addresses
//
// [Config.Allow] lists prefixes that are reachable in spite of the rules; tests and local demos
// allow 127.0.0.0/8. Nothing is allowed by default.
package ssrf
