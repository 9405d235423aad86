package webfinger

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxResourceLen is the longest resource string [ParseResource] accepts, in bytes.
const MaxResourceLen = 1024

// Resource is a parsed WebFinger resource: an acct: URI (RFC 7565) or an http(s) URL such as an
// actor id. Resources are comparable; two that name the same account compare equal.
type Resource struct {
	// Scheme is "acct", "https" or "http".
	Scheme string
	// User is the percent-decoded user part of an acct: URI, case preserved; empty for URLs.
	User string
	// Host is the lower-cased host, with ":port" if one was given. For a URL it is the URL's host.
	Host string
	// URL is the normalised URL for http(s) resources; empty for acct: URIs.
	URL string
}

// ParseResource parses a WebFinger resource.
//
// It accepts:
//   - acct:user@host (RFC 7565). The scheme is case-insensitive. The user part may hold unreserved
//     characters, sub-delims and percent-escapes, so a literal "@" in it must be written "%40" and
//     the URI has exactly one "@". The user is percent-decoded; after decoding it must be valid
//     UTF-8 without spaces or control characters. The host is a DNS name (ASCII; pass IDNs as
//     punycode), an IPv4 address or a bracketed IPv6 address, with an optional port, and is
//     lower-cased.
//   - user@host and @user@host, read as acct:user@host, as Mastodon accepts them.
//   - absolute http and https URLs with a host and no user info; scheme and host are lower-cased.
//
// It rejects empty input, input longer than [MaxResourceLen], whitespace and control characters
// anywhere, and every other scheme. Errors match [ErrInvalidResource]. For every accepted s,
// ParseResource(r.String()) returns r again.
func ParseResource(s string) (Resource, error) {
	if s == "" {
		return Resource{}, invalidResource(s, "empty")
	}
	if len(s) > MaxResourceLen {
		return Resource{}, invalidResource(clip(s), fmt.Sprintf("longer than %d bytes", MaxResourceLen))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return Resource{}, invalidResource(s, "contains whitespace or a control character")
		}
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if ok {
		switch strings.ToLower(scheme) {
		case "acct":
			return parseAcct(s, rest)
		case "http", "https":
			return parseURL(s)
		}
	}
	// Mastodon's own lookup takes bare handles, with or without a leading "@"; a scheme-less
	// "host:port" part after the "@" also lands here.
	if strings.Contains(s, "@") {
		return parseAcct(s, strings.TrimPrefix(s, "@"))
	}
	return Resource{}, invalidResource(s, "not an acct: URI or http(s) URL")
}

// String returns the resource in normal form: "acct:" followed by the percent-encoded user, "@" and
// the host, or the URL.
func (r Resource) String() string {
	if r.Scheme != "acct" {
		return r.URL
	}
	var b strings.Builder
	b.WriteString("acct:")
	for i := 0; i < len(r.User); i++ {
		c := r.User[i]
		if isUnreserved(c) || isSubDelim(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	b.WriteByte('@')
	b.WriteString(r.Host)
	return b.String()
}

// IsAcct reports whether r is an acct: URI.
func (r Resource) IsAcct() bool { return r.Scheme == "acct" }

// parseAcct parses the part of an acct: URI after the scheme.
func parseAcct(s, rest string) (Resource, error) {
	// The normal form is "acct:" + rest at most (escapes only shrink), so bound that: a bare
	// handle near the limit would otherwise not parse back from its String form.
	if len("acct:")+len(rest) > MaxResourceLen {
		return Resource{}, invalidResource(clip(s), fmt.Sprintf("normal form longer than %d bytes", MaxResourceLen))
	}
	user, host, ok := strings.Cut(rest, "@")
	if !ok {
		return Resource{}, invalidResource(s, "acct: URI without @")
	}
	if strings.Contains(host, "@") {
		return Resource{}, invalidResource(s, `more than one @ (write "%40" for an @ in the user)`)
	}
	if user == "" {
		return Resource{}, invalidResource(s, "empty user")
	}
	for i := 0; i < len(user); i++ {
		if c := user[i]; !isUnreserved(c) && !isSubDelim(c) && c != '%' {
			return Resource{}, invalidResource(s, fmt.Sprintf("character %q not allowed in user", c))
		}
	}
	decoded, err := url.PathUnescape(user)
	if err != nil {
		return Resource{}, invalidResource(s, "bad percent-escape in user")
	}
	if !utf8.ValidString(decoded) {
		return Resource{}, invalidResource(s, "user is not valid UTF-8")
	}
	for _, c := range decoded {
		if c <= ' ' || (c >= 0x7f && c <= 0x9f) {
			return Resource{}, invalidResource(s, "user contains whitespace or a control character")
		}
	}
	h, err := normalizeHost(host)
	if err != nil {
		return Resource{}, invalidResource(s, err.Error())
	}
	return Resource{Scheme: "acct", User: decoded, Host: h}, nil
}

// parseURL parses an http(s) resource.
func parseURL(s string) (Resource, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Resource{}, invalidResource(s, "bad URL")
	}
	if u.Opaque != "" || u.User != nil {
		return Resource{}, invalidResource(s, "URL must be absolute, without user info")
	}
	if u.Host == "" {
		return Resource{}, invalidResource(s, "URL without host")
	}
	h, err := normalizeHost(u.Host)
	if err != nil {
		return Resource{}, invalidResource(s, err.Error())
	}
	u.Host = h
	out := u.String()
	if len(out) > MaxResourceLen {
		return Resource{}, invalidResource(clip(s), fmt.Sprintf("normal form longer than %d bytes", MaxResourceLen))
	}
	// url.URL.String is not a fixed point for every input the parser accepts (odd escapes in the
	// path or fragment); insist on one so that String parses back to the same Resource.
	if u2, err := url.Parse(out); err != nil || u2.String() != out {
		return Resource{}, invalidResource(s, "URL does not have a stable normal form")
	}
	return Resource{Scheme: u.Scheme, Host: h, URL: out}, nil
}

// normalizeHost checks an RFC 3986 host with an optional port and lower-cases it.
func normalizeHost(hp string) (string, error) {
	if hp == "" {
		return "", fmt.Errorf("empty host")
	}
	hp = strings.ToLower(hp)
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", fmt.Errorf("unclosed IPv6 literal")
		}
		host, port = hp[:end+1], hp[end+1:]
		if port != "" && port[0] != ':' {
			return "", fmt.Errorf("junk after IPv6 literal")
		}
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", fmt.Errorf("bad IPv6 literal")
		}
	} else if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i:]
	}
	if port != "" {
		n, err := strconv.Atoi(port[1:])
		if err != nil || port[1] == '+' || port[1] == '-' || n < 1 || n > 65535 {
			return "", fmt.Errorf("bad port")
		}
	}
	if !strings.HasPrefix(host, "[") {
		if host == "" || len(host) > 253 || host[0] == '.' || host[0] == '-' || strings.Contains(host, "..") {
			return "", fmt.Errorf("bad host name")
		}
		for i := 0; i < len(host); i++ {
			if c := host[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				return "", fmt.Errorf("character %q not allowed in host", c)
			}
		}
	}
	return hp, nil
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool {
	return strings.IndexByte("!$&'()*+,;=", c) >= 0
}

func invalidResource(s, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidResource, s, reason)
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
