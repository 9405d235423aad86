package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Sign adds a draft-cavage HTTP signature to r, made with key at time now,
// exactly as Mastodon signs its requests (INTEROP.md §1.3):
//
//   - r.Host is set to the host the request goes to (r.Host, else r.URL.Host),
//     and the same value is put in the Host header entry so that the signed
//     headers can be inspected; net/http sends r.Host on the wire.
//   - Date is set to now in http.TimeFormat.
//   - When r is a POST or body is not empty, Digest is set to
//     "SHA-256=<base64 of SHA-256(body)>" (upper-case: Threads rejects
//     "sha-256=") and the signature covers
//     "(request-target) host date digest", plus "content-type" when r has
//     a Content-Type header.
//   - Otherwise the signature covers "(request-target) host date".
//   - The Signature header (not Authorization) is set to
//     keyId="…",algorithm="rsa-sha256",headers="…",signature="…".
//
// body must be the exact bytes that will be sent; Sign does not read r.Body.
// Any earlier Digest or Signature header is replaced. Sign modifies r and is
// meant for requests the caller owns; [Transport] signs a clone instead.
func Sign(r *http.Request, key Key, body []byte, now time.Time) error {
	return sign(r, key, body, nil, now)
}

// sign is [Sign] with the SHA-256 of body given, when sum is not nil, rather than computed.
func sign(r *http.Request, key Key, body []byte, sum *[sha256.Size]byte, now time.Time) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := setHost(r, "sign"); err != nil {
		return err
	}
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	r.Header.Del("Signature")
	r.Header.Del("Digest")

	headers := []string{"(request-target)", "host", "date"}
	if r.Method == http.MethodPost || len(body) > 0 {
		d := digest(body, sum)
		r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(d[:]))
		headers = append(headers, "digest")
		if r.Header.Get("Content-Type") != "" {
			headers = append(headers, "content-type")
		}
	}

	sig, err := signString(r, key, headers)
	if err != nil {
		return err
	}
	p := sigParams{
		keyID:      key.ID,
		algorithm:  AlgorithmRSASHA256,
		headers:    headers,
		hasHeaders: true,
		signature:  sig,
	}
	r.Header.Set("Signature", p.String())
	return nil
}

// digest returns *sum, or the SHA-256 of body when sum is nil.
func digest(body []byte, sum *[sha256.Size]byte) [sha256.Size]byte {
	if sum != nil {
		return *sum
	}
	return sha256.Sum256(body)
}

// setHost settles the host a signature covers: r.Host, or the URL's host when it is empty, set as
// both r.Host and the Host header. op names the caller in errors.
func setHost(r *http.Request, op string) error {
	if r.URL == nil {
		return fmt.Errorf("signing: %s: request has no URL", op)
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return fmt.Errorf("signing: %s: request has no host", op)
	}
	r.Host = host
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set("Host", host)
	return nil
}

func checkKey(key Key) error {
	if key.ID == "" {
		return errors.New("signing: key has no ID")
	}
	if strings.ContainsAny(key.ID, "\"\\") || strings.ContainsFunc(key.ID, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return fmt.Errorf("signing: key ID %q contains a quote, backslash or control character", key.ID)
	}
	if key.Signer == nil {
		return errors.New("signing: key has no Signer")
	}
	if _, ok := key.Signer.Public().(*rsa.PublicKey); !ok {
		return fmt.Errorf("signing: key %s: %T: %w", key.ID, key.Signer.Public(), ErrUnsupportedKey)
	}
	return nil
}

// signString returns the base64 signature over the signing string of r for
// the given covered headers.
func signString(r *http.Request, key Key, headers []string) (string, error) {
	priv, ok := key.Signer.(*rsa.PrivateKey)
	if !ok {
		// A crypto.Signer that is not an in-memory key (KMS, HSM): go-fed
		// v1.1.0 only accepts *rsa.PrivateKey, so sign the same string here.
		s, err := signingString(r, headers, requestTarget(r.URL, true), nil)
		if err != nil {
			return "", fmt.Errorf("signing: sign: %w", err)
		}
		sum := sha256.Sum256([]byte(s))
		raw, err := key.Signer.Sign(rand.Reader, sum[:], crypto.SHA256)
		if err != nil {
			return "", fmt.Errorf("signing: sign: %w", err)
		}
		return base64.StdEncoding.EncodeToString(raw), nil
	}

	// go-fed/httpsig writes the decoded r.URL.Path into (request-target), but
	// the wire (and every verifier) has the escaped path, so it gets a scratch
	// request whose Path is the escaped form. It also always writes
	// algorithm="hs2019" and reads Host only from the header map, which is
	// why the header is rebuilt from its signature value afterwards. The
	// scratch request shares r's headers: httpsig only reads them and adds
	// a Signature (given nil for the body, it adds no Digest), which the
	// caller replaces.
	u := *r.URL
	u.Path = requestTarget(r.URL, false)
	u.RawPath = ""
	scratch := &http.Request{Method: r.Method, URL: &u, Header: r.Header, Host: r.Host}
	r.Header.Del("Signature")
	// A Signer is not safe for concurrent use, so make one per call.
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return "", fmt.Errorf("signing: sign: %w", err)
	}
	if err := s.SignRequest(priv, key.ID, scratch, nil); err != nil {
		return "", fmt.Errorf("signing: sign: %w", err)
	}
	sig, err := httpsigSignature(r.Header.Get("Signature"))
	if err != nil {
		return "", fmt.Errorf("signing: sign: reading httpsig output: %w", err)
	}
	return sig, nil
}

// httpsigSignature returns the signature parameter of a Signature header value that
// go-fed/httpsig wrote: its last parameter, a quoted base64 string. Only that is read, not the
// whole value, which httpsig builds from what it was given.
func httpsigSignature(v string) (string, error) {
	const param = `signature="`
	i := strings.LastIndex(v, param)
	if i < 0 || (i > 0 && v[i-1] != ',') || !strings.HasSuffix(v, `"`) || len(v) == i+len(param) {
		return "", fmt.Errorf("no signature parameter at the end of %q", v)
	}
	sig := v[i+len(param) : len(v)-1]
	if sig == "" || !isBase64(sig) {
		return "", fmt.Errorf("signature parameter %q is not base64", sig)
	}
	return sig, nil
}

// isBase64 reports whether s is made of the standard base64 alphabet, padding included.
func isBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
		default:
			return false
		}
	}
	return true
}

// signingString builds the draft-cavage signing string (draft-cavage-12 §2.3)
// for the covered headers, in their order. target is the path (escaped) plus
// optional "?query" used for (request-target); p supplies (created) and
// (expires) and may be nil when they are not covered.
func signingString(r *http.Request, headers []string, target string, p *sigParams) (string, error) {
	var b strings.Builder
	b.Grow(256 + len(target)) // a request's covered headers fit, mostly: one allocation
	for n, h := range headers {
		if n > 0 {
			b.WriteByte('\n')
		}
		switch h {
		case "(request-target)":
			b.WriteString("(request-target): ")
			b.WriteString(strings.ToLower(r.Method))
			b.WriteByte(' ')
			b.WriteString(target)
		case "(created)", "(expires)":
			v := ""
			if p != nil {
				if h == "(created)" {
					v = p.created
				} else {
					v = p.expires
				}
			}
			if v == "" {
				return "", fmt.Errorf("%s covered but parameter missing", h)
			}
			b.WriteString(h)
			b.WriteString(": ")
			b.WriteString(v)
		default:
			if strings.HasPrefix(h, "(") {
				return "", fmt.Errorf("unknown pseudo-header %s", h)
			}
			v, ok := headerValue(r, h)
			if !ok {
				return "", fmt.Errorf("covered header %q missing", h)
			}
			b.WriteString(h)
			b.WriteString(": ")
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// headerValue returns the values of header name joined by ", " with
// surrounding white space trimmed (draft-cavage-12 §2.3). For "host" it uses
// r.Host, which is where net/http keeps the Host header of a server request.
func headerValue(r *http.Request, name string) (string, bool) {
	vs, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok && name == "host" {
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return h, h != ""
	}
	if !ok {
		return "", false
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strings.TrimSpace(v)
	}
	return strings.Join(parts, ", "), true
}

// requestTarget returns the escaped path and, if withQuery, "?query".
func requestTarget(u *url.URL, withQuery bool) string {
	t := u.EscapedPath()
	if t == "" {
		t = "/"
	}
	if withQuery && u.RawQuery != "" {
		t += "?" + u.RawQuery
	}
	return t
}
