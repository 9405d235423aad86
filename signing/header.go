package signing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Algorithm names of draft-cavage signatures (draft-cavage-http-signatures-12
// §2.1.3 and the HTTP Signatures Algorithms registry).
const (
	// AlgorithmRSASHA256 is RSASSA-PKCS1-v1_5 with SHA-256, what Mastodon
	// sends and what [Sign] produces.
	AlgorithmRSASHA256 = "rsa-sha256"
	// AlgorithmHS2019 means "derive the algorithm from the key"; for RSA keys
	// it is verified as RSASSA-PKCS1-v1_5 with SHA-256, as Mastodon and
	// GoToSocial do. A signature without an algorithm parameter is hs2019.
	AlgorithmHS2019 = "hs2019"
)

// sigParams is a parsed draft-cavage Signature header value.
type sigParams struct {
	keyID      string
	algorithm  string // as sent, lower-cased; "" when absent
	headers    []string
	hasHeaders bool
	signature  string
	created    string // decimal seconds as sent (quotes removed), "" when absent
	expires    string
}

const maxSignatureHeader = 8 << 10

// maxSignatureParams bounds the parameters of a Signature header, which draft-cavage defines six
// of, so that checking for duplicates stays cheap on a hostile header.
const maxSignatureParams = 32

// parseSignatureHeader parses a Signature header value: a comma-separated list
// of name=value auth-params (RFC 9110 §11.2), value a token or a
// quoted-string. Parameter names are matched case-insensitively; duplicates,
// empty list elements, more than maxSignatureParams parameters and missing
// keyId or signature are errors. Unknown
// parameters are ignored, as draft-cavage-12 §2.2 asks. A leading "Signature "
// auth-scheme, sent by old node-http-signature clients, is stripped.
func parseSignatureHeader(s string) (*sigParams, error) {
	if len(s) > maxSignatureHeader {
		return nil, errors.New("header too long")
	}
	s = strings.TrimLeft(s, " \t")
	if len(s) > len("signature ") && strings.EqualFold(s[:len("signature")], "signature") && (s[9] == ' ' || s[9] == '\t') {
		s = strings.TrimLeft(s[9:], " \t")
	}
	p := &sigParams{}
	// The names seen so far, as sent: a header has a handful, compared case-insensitively.
	var seenNames [8]string
	seen := seenNames[:0]
	i := 0
	for {
		i = skipOWS(s, i)
		if i >= len(s) {
			return nil, errors.New("empty parameter list element")
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("invalid character %q at %d", s[i], i)
		}
		name := s[start:i] // lower-cased only for errors
		i = skipOWS(s, i)
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("parameter %q: missing '='", strings.ToLower(name))
		}
		i = skipOWS(s, i+1)
		var val string
		if i < len(s) && s[i] == '"' {
			// The value is a slice of s, or, when it has a quoted-pair, a copy without the
			// backslashes.
			i++
			vs := i
			var b strings.Builder
			escaped, closed := false, false
			for i < len(s) {
				c := s[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' {
					if !escaped {
						escaped = true
						b.Grow(len(s) - vs)
						b.WriteString(s[vs:i])
					}
					i++
					if i >= len(s) {
						break
					}
					c = s[i]
				}
				if (c < 0x20 && c != '\t') || c == 0x7f {
					return nil, fmt.Errorf("parameter %q: control character", strings.ToLower(name))
				}
				if escaped {
					b.WriteByte(c)
				}
				i++
			}
			if !closed {
				return nil, fmt.Errorf("parameter %q: unterminated quoted string", strings.ToLower(name))
			}
			val = s[vs:i]
			if escaped {
				val = b.String()
			}
			i++ // the closing quote
		} else {
			vs := i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			if i == vs {
				return nil, fmt.Errorf("parameter %q: missing value", strings.ToLower(name))
			}
			val = s[vs:i]
		}
		if len(seen) == maxSignatureParams {
			return nil, fmt.Errorf("more than %d parameters", maxSignatureParams)
		}
		for _, n := range seen {
			if strings.EqualFold(n, name) {
				return nil, fmt.Errorf("duplicate parameter %q", strings.ToLower(name))
			}
		}
		seen = append(seen, name)
		// Names are tokens, ASCII only: EqualFold matches them as lower-casing them would.
		switch {
		case strings.EqualFold(name, "keyid"):
			p.keyID = val
		case strings.EqualFold(name, "algorithm"):
			p.algorithm = strings.ToLower(val)
		case strings.EqualFold(name, "headers"):
			p.hasHeaders = true
			p.headers = strings.Fields(strings.ToLower(val))
		case strings.EqualFold(name, "signature"):
			p.signature = val
		case strings.EqualFold(name, "created"):
			if !isDecimal(val) {
				return nil, fmt.Errorf("parameter created: not an integer")
			}
			p.created = val
		case strings.EqualFold(name, "expires"):
			if !isDecimal(val) {
				return nil, fmt.Errorf("parameter expires: not an integer")
			}
			p.expires = val
		}
		i = skipOWS(s, i)
		if i >= len(s) {
			break
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("unexpected %q at %d", s[i], i)
		}
		i++
	}
	if p.keyID == "" {
		return nil, errors.New("missing keyId")
	}
	if p.signature == "" {
		return nil, errors.New("missing signature")
	}
	return p, nil
}

// String formats p as a Signature header value, in the parameter order
// Mastodon uses: keyId, algorithm, created, expires, headers, signature.
func (p *sigParams) String() string {
	var b strings.Builder
	// The parameters' names, quotes and separators take less than 64 bytes: one allocation.
	b.Grow(64 + len(p.keyID) + len(p.algorithm) + len(p.created) + len(p.expires) + len(p.signature) + 16*len(p.headers))
	writeParam(&b, "keyId", p.keyID, true)
	if p.algorithm != "" {
		writeParam(&b, "algorithm", p.algorithm, true)
	}
	if p.created != "" {
		writeParam(&b, "created", p.created, false)
	}
	if p.expires != "" {
		writeParam(&b, "expires", p.expires, false)
	}
	if p.hasHeaders {
		writeParam(&b, "headers", strings.Join(p.headers, " "), true)
	}
	writeParam(&b, "signature", p.signature, true)
	return b.String()
}

func writeParam(b *strings.Builder, name, val string, quote bool) {
	if b.Len() > 0 {
		b.WriteByte(',')
	}
	b.WriteString(name)
	b.WriteByte('=')
	if !quote {
		b.WriteString(val)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(val); i++ {
		if val[i] == '"' || val[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(val[i])
	}
	b.WriteByte('"')
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isTchar reports whether c is a token character (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isDecimal reports whether s is a non-negative integer that fits in int64.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}
