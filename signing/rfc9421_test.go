package signing

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"

	"github.com/fedsite/fedsite/internal/corpus"
)

var (
	sigInputLineRE = regexp.MustCompile(`(?mi)^Signature-Input: (.*)$`)
	sig9421LineRE  = regexp.MustCompile(`(?mi)^Signature: (\S+=:.*:)$`)
)

// rfc9421Vectors returns the Signature-Input and Signature values of
// VECTORS.md §3 (GET) and §4 (POST).
func rfc9421Vectors(t *testing.T) (inputs, sigs []string) {
	t.Helper()
	md := string(corpus.ReadFile(t, "signatures/mastodon/VECTORS.md"))
	for _, m := range sigInputLineRE.FindAllStringSubmatch(md, -1) {
		inputs = append(inputs, m[1])
	}
	for _, m := range sig9421LineRE.FindAllStringSubmatch(md, -1) {
		sigs = append(sigs, m[1])
	}
	if len(inputs) != 2 || len(sigs) != 2 {
		t.Fatalf("want 2 RFC 9421 vectors in VECTORS.md, got %d inputs, %d signatures", len(inputs), len(sigs))
	}
	return inputs, sigs
}

func newVerifier9421(t testing.TB, keys KeyResolver, now time.Time, scheme string) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{Keys: keys, Now: func() time.Time { return now }, URIScheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRFC9421MastodonVectors(t *testing.T) {
	inputs, sigs := rfc9421Vectors(t)
	const digest = "sha-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:"
	req := func(method, path, body string, i int) *http.Request {
		r := vectorRequest(method, path, "", body)
		r.Header.Set("Signature-Input", inputs[i])
		r.Header.Set("Signature", sigs[i])
		if method == http.MethodPost {
			r.Header.Set("Content-Digest", digest)
		}
		return r
	}
	https := newVerifier9421(t, bobResolver(t), vectorClock, "https")

	t.Run("GET", func(t *testing.T) {
		got, err := https.Verify(context.Background(), req("GET", "/activitypub/success", "", 0), nil)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := &Verified{KeyID: bobKeyID, Owner: bobActor, Algorithm: AlgorithmRSAv15SHA256,
			Headers: []string{"@method", "@target-uri"}, Created: vectorClock, Expires: vectorClock.Add(5 * time.Minute)}
		if !equalVerified(got, want) || got.Label != "sig1" {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("POST", func(t *testing.T) {
		got, err := https.Verify(context.Background(), req("POST", "/activitypub/success", "Hello world", 1), []byte("Hello world"))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if want := []string{"@method", "@target-uri", "content-digest"}; !slices.Equal(got.Headers, want) {
			t.Errorf("Headers = %q, want %q", got.Headers, want)
		}
	})
	t.Run("default scheme follows r.TLS", func(t *testing.T) {
		def := newVerifier9421(t, bobResolver(t), vectorClock, "")
		r := req("GET", "/activitypub/success", "", 0)
		_, err := def.Verify(context.Background(), r, nil)
		wantReason(t, err, ErrInvalidSignature, "signature does not verify")
		r = req("GET", "/activitypub/success", "", 0)
		r.TLS = &tls.ConnectionState{}
		if _, err := def.Verify(context.Background(), r, nil); err != nil {
			t.Fatalf("Verify over TLS: %v", err)
		}
	})
	t.Run("POST body changed", func(t *testing.T) {
		_, err := https.Verify(context.Background(), req("POST", "/activitypub/success", "Hello world!", 1), []byte("Hello world!"))
		wantReason(t, err, ErrInvalidSignature, "content-digest mismatch")
	})
	t.Run("GET path changed", func(t *testing.T) {
		_, err := https.Verify(context.Background(), req("GET", "/activitypub/alternative-path", "", 0), nil)
		wantReason(t, err, ErrInvalidSignature, "signature does not verify")
	})
	t.Run("GET as POST", func(t *testing.T) {
		r := req("GET", "/activitypub/success", "", 0)
		r.Method = "POST"
		_, err := https.Verify(context.Background(), r, nil)
		wantReason(t, err, ErrInvalidSignature, "content-digest not signed")
	})
	t.Run("too old", func(t *testing.T) {
		v := newVerifier9421(t, bobResolver(t), vectorClock.Add(66*time.Minute), "https")
		_, err := v.Verify(context.Background(), req("GET", "/activitypub/success", "", 0), nil)
		wantReason(t, err, ErrInvalidSignature, "signature expired")
	})
}

// unfold8792 undoes RFC 8792 "\" line folding.
func unfold8792(s string) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	join := false
	for _, l := range lines {
		if join {
			l = strings.TrimLeft(l, " ")
		} else if b.Len() > 0 {
			b.WriteByte('\n')
		}
		join = strings.HasSuffix(l, "\\")
		b.WriteString(strings.TrimSuffix(l, "\\"))
	}
	return b.String()
}

// appendixB returns the fenced blocks of the Appendix B section titled
// title, unfolded, without the RFC 8792 notice.
func appendixB(t *testing.T, title string) []string {
	t.Helper()
	md := string(corpus.ReadFile(t, "signatures/rfc9421/rfc9421-appendix-B-examples.md"))
	i := strings.Index(md, title)
	if i < 0 {
		t.Fatalf("section %q not in Appendix B", title)
	}
	md = md[i:]
	if j := strings.Index(md[len(title):], "\n#"); j >= 0 {
		md = md[:len(title)+j]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)~~~[^\n]*\n(.*?)\n~~~").FindAllStringSubmatch(md, -1) {
		blk := strings.TrimPrefix(m[1], "NOTE: '\\' line wrapping per RFC 8792\n\n")
		out = append(out, unfold8792(blk))
	}
	return out
}

func headerOf(t *testing.T, block, name string) string {
	t.Helper()
	for _, l := range strings.Split(block, "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	t.Fatalf("no %s in %q", name, block)
	return ""
}

// testRequestB is the test-request of RFC 9421 Appendix B.2.
func testRequestB() (*http.Request, []byte) {
	body := []byte(`{"hello": "world"}`)
	r := httptest.NewRequest("POST", "/foo?param=Value&Pet=dog", strings.NewReader(string(body)))
	r.Host = "example.com"
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	r.Header.Set("Content-Length", "18")
	return r, body
}

func TestRFC9421AppendixB(t *testing.T) {
	tests := []struct {
		name, section, keyTitle, alg string
		policy                       string // reason Verify gives under fedsite's coverage rules
	}{
		{"B.2.6 ed25519", "### Signing a Request using ed25519", "### Example Ed25519 Test Key", "", "@target-uri not signed"},
		{"B.2.1 rsa-pss-sha512", "### Minimal Signature Using rsa-pss-sha512", "### Example RSA PSS Key", AlgorithmRSAPSSSHA512, "@method not signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := appendixB(t, tt.section)
			if len(blocks) < 2 {
				t.Fatalf("want base and header blocks, got %d", len(blocks))
			}
			wantBase, headers := blocks[0], blocks[1]
			pemBlock := appendixB(t, tt.keyTitle)[0]
			pub, err := ParsePublicKey([]byte(pemBlock))
			if err != nil {
				t.Fatal(err)
			}
			r, body := testRequestB()
			r.Header.Set("Signature-Input", headerOf(t, headers, "Signature-Input"))
			r.Header.Set("Signature", headerOf(t, headers, "Signature"))
			si := checkSignature9421(t, r, pub, tt.alg, wantBase)
			if reason := checkContentDigest(r.Header.Values("Content-Digest"), body); reason != "" {
				t.Errorf("sha-512 Content-Digest of the test request: %s", reason)
			}
			// Verify applies fedsite's coverage rules, which these examples
			// do not meet (B.2.6 leaves out @query and content-digest, B.2.1 covers
			// nothing).
			keys := &staticResolver{keys: map[string]*PublicKey{si.keyID: {ID: si.keyID, Key: pub, Fresh: true}}}
			v := newVerifier9421(t, keys, time.Unix(si.created, 0), "https")
			_, err = v.Verify(context.Background(), r, body)
			wantReason(t, err, ErrInvalidSignature, tt.policy)
		})
	}
}

func TestRFC9421CapturedMastodonSocial(t *testing.T) {
	md := string(corpus.ReadFile(t, "signatures/captured/mastodon.social-rfc9421-post.md"))
	get := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(md)
		if m == nil {
			t.Fatalf("%s not found", re)
		}
		return m[1]
	}
	r := httptest.NewRequest("POST", "/inbox", nil)
	r.Host = "example.viii.fi"
	r.Header.Set("Content-Digest", get(`(?m)^content-digest: (.*)$`))
	r.Header.Set("Signature", get(`(?m)^signature: (.*)$`))
	r.Header.Set("Signature-Input", get(`(?m)^signature-input: (.*)$`))
	pub, err := ParsePublicKey([]byte(get(`(?s)(-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----)`)))
	if err != nil {
		t.Fatal(err)
	}
	wantBase := get("(?s)Signature base \\(no trailing newline\\):\n```\n(.*?)\n```")
	const keyID = "https://mastodon.social/users/Edent#main-key"
	keys := &staticResolver{keys: map[string]*PublicKey{keyID: {ID: keyID, Owner: "https://mastodon.social/users/Edent", Key: pub, Fresh: true}}}
	v := newVerifier9421(t, keys, time.Unix(1787780262, 0).Add(time.Minute), "https")

	// The body was not published, so the signature is checked on its own
	// first, then Verify must get as far as the digest check.
	checkSignature9421(t, r, pub, "", wantBase)
	_, err = v.Verify(context.Background(), r, []byte(`{"unknown":"body"}`))
	wantReason(t, err, ErrInvalidSignature, "content-digest mismatch")
	// With the digest check satisfied by construction (a body is never
	// known, so swap in a Content-Digest over our body and keep the
	// signature), the signature must then fail: the digest is covered.
	body := []byte(`{}`)
	sum := sha256.Sum256(body)
	r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	_, err = v.Verify(context.Background(), r, body)
	wantReason(t, err, ErrInvalidSignature, "signature does not verify")
}

// checkSignature9421 parses r's RFC 9421 signature, checks that the signature base built from r is
// wantBase, and that the signature verifies over it with pub, without Verify's coverage rules. alg
// is the algorithm when it is known out of band; empty takes the signature's alg parameter.
func checkSignature9421(t *testing.T, r *http.Request, pub crypto.PublicKey, alg, wantBase string) *sigInput {
	t.Helper()
	si, err := parseRFC9421(r.Header.Values("Signature-Input"), r.Header.Values("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := signatureBase(r, "https", si)
	if err != nil {
		t.Fatal(err)
	}
	if base != wantBase {
		t.Fatalf("signature base\n%s\nwant\n%s", base, wantBase)
	}
	if alg == "" {
		alg = si.alg
	}
	if err := verifyBase(pub, alg, base, si.signature); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	return si
}

// sign9421 signs r over any components and parameters, so tests can build
// signatures SignRFC9421 would never make. params is the text after the
// inner list, e.g. `;created=1;keyid="k"`.
func sign9421(t *testing.T, r *http.Request, signer crypto.Signer, label string, components []string, params string) {
	t.Helper()
	quoted := make([]string, len(components))
	for i, c := range components {
		quoted[i] = `"` + c + `"`
	}
	input := label + "=(" + strings.Join(quoted, " ") + ")" + params
	r.Header.Set("Signature-Input", input)
	r.Header.Set("Signature", label+"=:AAAA:")
	si, err := parseRFC9421([]string{input}, []string{label + "=:AAAA:"})
	var base string
	if err == nil {
		base, err = signatureBase(r, "https", si)
	}
	if err != nil {
		base = "" // a case the Verifier must reject before the signature
	}
	var sig []byte
	switch k := signer.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(base))
	case *rsa.PrivateKey:
		sum := sha256.Sum256([]byte(base))
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
	}
	r.Header.Set("Signature", label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

func TestRFC9421Rejections(t *testing.T) {
	now := vectorClock
	created := ";created=1703066400"
	kid := `;keyid="` + bobKeyID + `"`
	bob := bobKey(t)
	edKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("Hello world")
	post := func() *http.Request {
		r := httptest.NewRequest("POST", "https://www.example.com/inbox", strings.NewReader(string(body)))
		r.Header.Set("Content-Digest", "sha-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:")
		return r
	}
	get := func() *http.Request { return httptest.NewRequest("GET", "https://www.example.com/users/a?page=2", nil) }
	full := []string{"@method", "@target-uri", "content-digest"}
	tests := []struct {
		name   string
		build  func(t *testing.T) (*http.Request, []byte)
		kind   error
		reason string
	}{
		{"missing created", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, kid)
			return r, body
		}, ErrInvalidSignature, "created missing"},
		{"missing keyid", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created)
			return r, body
		}, ErrInvalidSignature, "keyid missing"},
		{"created 66 minutes ago", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, ";created=1703062440"+kid)
			return r, body
		}, ErrInvalidSignature, "signature expired"},
		{"created 61 minutes ahead", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, ";created=1703070060"+kid)
			return r, body
		}, ErrInvalidSignature, "created too far in the future"},
		{"expires long past", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, ";created=1703062000;expires=1703062001"+kid)
			return r, body
		}, ErrInvalidSignature, "signature expired"},
		{"body swapped", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			return r, []byte("Hello world!")
		}, ErrInvalidSignature, "content-digest mismatch"},
		{"content-digest hex, not a byte sequence", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Set("Content-Digest", "sha-256=64ec88ca00b268e5ba1a35678a1b5316d212f4f366b2477232534a8aeca37f3c")
			sign9421(t, r, bob, "sig1", full, created+kid)
			return r, body
		}, ErrInvalidSignature, "content-digest malformed"},
		{"content-digest md5 only", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Set("Content-Digest", "md5=:XrY7u+Ae7tCTyyK7j1rNww==:")
			sign9421(t, r, bob, "sig1", full, created+kid)
			return r, body
		}, ErrInvalidSignature, "no sha-256 or sha-512 content-digest"},
		{"content-digest covered but absent", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Del("Content-Digest")
			sign9421(t, r, bob, "sig1", full, created+kid)
			return r, body
		}, ErrInvalidSignature, "content-digest header missing"},
		{"missing @method", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", []string{"@target-uri", "content-digest"}, created+kid)
			return r, body
		}, ErrInvalidSignature, "@method not signed"},
		{"missing @target-uri", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", []string{"@method", "content-digest"}, created+kid)
			return r, body
		}, ErrInvalidSignature, "@target-uri not signed"},
		{"@authority @path without @query on a URL with a query", func(t *testing.T) (*http.Request, []byte) {
			r := get()
			sign9421(t, r, bob, "sig1", []string{"@method", "@authority", "@path"}, created+kid)
			return r, nil
		}, ErrInvalidSignature, "@target-uri not signed"},
		{"POST without content-digest covered", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", []string{"@method", "@target-uri"}, created+kid)
			return r, body
		}, ErrInvalidSignature, "content-digest not signed"},
		{"GET with a body", func(t *testing.T) (*http.Request, []byte) {
			r := get()
			sign9421(t, r, bob, "sig1", []string{"@method", "@target-uri"}, created+kid)
			return r, []byte("smuggled")
		}, ErrInvalidSignature, "content-digest not signed"},
		{"wrong key", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, other, "sig1", full, created+kid)
			return r, body
		}, ErrInvalidSignature, "signature does not verify"},
		{"two signatures", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Header.Add("Signature-Input", `sig2=("@method");created=1703066400;keyid="x"`)
			r.Header.Add("Signature", "sig2=:AAAA:")
			return r, body
		}, ErrInvalidSignature, "several signatures (exactly one is accepted)"},
		{"two Signature members for one input", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Header.Set("Signature", r.Header.Get("Signature")+", sig2=:AAAA:")
			return r, body
		}, ErrInvalidSignature, "several signatures (exactly one is accepted)"},
		{"malformed Signature-Input", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri";created=1`)
			r.Header.Set("Signature", "sig1=:AAAA:")
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"Signature-Input member is an item", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Set("Signature-Input", `sig1="@method"`)
			r.Header.Set("Signature", "sig1=:AAAA:")
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"Signature not a byte sequence", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Header.Set("Signature", `sig1="c2lnbmF0dXJl"`)
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"Signature label differs", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"Signature-Input without Signature", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Header.Del("Signature")
			return r, body
		}, ErrInvalidSignature, "Signature-Input without Signature"},
		{"created is a string", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, `;created="1703066400"`+kid)
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"component with ;sf", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest";sf)`+created+kid)
			r.Header.Set("Signature", "sig1=:AAAA:")
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"component listed twice", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", []string{"@method", "@method", "@target-uri", "content-digest"}, created+kid)
			return r, body
		}, ErrInvalidSignature, "malformed Signature-Input or Signature"},
		{"unsupported derived component", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", []string{"@method", "@target-uri", "content-digest", "@status"}, created+kid)
			return r, body
		}, ErrInvalidSignature, "cannot build signature base"},
		{"covered header missing", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", append(slices.Clone(full), "x-missing"), created+kid)
			return r, body
		}, ErrInvalidSignature, "cannot build signature base"},
		{"unknown alg", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid+`;alg="hmac-sha256"`)
			return r, body
		}, ErrInvalidSignature, `unsupported alg "hmac-sha256"`},
		{"alg ed25519 with an RSA key", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid+`;alg="ed25519"`)
			return r, body
		}, ErrInvalidSignature, "alg does not match the key type"},
		{"alg rsa-v1_5-sha256 with an Ed25519 key", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, edKey, "sig1", full, created+`;keyid="ed"`+`;alg="rsa-v1_5-sha256"`)
			return r, body
		}, ErrInvalidSignature, "alg does not match the key type"},
		{"Ed25519 signature, RSA key", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, edKey, "sig1", full, created+kid)
			return r, body
		}, ErrInvalidSignature, "signature does not verify"},
		{"unknown keyid", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+`;keyid="https://remote.domain/users/nobody#main-key"`)
			return r, body
		}, ErrKeyUnavailable, "cannot resolve key"},
		{"signed for another host", func(t *testing.T) (*http.Request, []byte) {
			r := post()
			sign9421(t, r, bob, "sig1", full, created+kid)
			r.Host = "evil.example"
			return r, body
		}, ErrInvalidSignature, "signature does not verify"},
	}
	keys := bobResolver(t)
	keys.keys["ed"] = &PublicKey{ID: "ed", Owner: "https://remote.domain/users/ed", Key: edKey.Public(), Fresh: true}
	v := newVerifier9421(t, keys, now, "https")
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate case %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			r, b := tt.build(t)
			_, err := v.Verify(context.Background(), r, b)
			wantReason(t, err, tt.kind, tt.reason)
		})
	}
}

func TestRFC9421Accepts(t *testing.T) {
	bob := bobKey(t)
	kid := `;created=1703066400;keyid="` + bobKeyID + `"`
	body := []byte("Hello world")
	s512 := sha512.Sum512(body)
	tests := []struct {
		name       string
		method     string
		target     string
		components []string
		params     string
		header     map[string]string
		body       []byte
	}{
		{"Fedify's component set", "POST", "https://www.example.com/inbox",
			[]string{"@method", "@target-uri", "@authority", "host", "date", "content-digest"}, kid + `;alg="rsa-v1_5-sha256"`,
			map[string]string{"Date": "Wed, 20 Dec 2023 10:00:00 GMT", "Content-Digest": "sha-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:"}, body},
		{"sha-512 and an unknown digest", "POST", "https://www.example.com/inbox",
			[]string{"@method", "@target-uri", "content-digest"}, kid,
			map[string]string{"Content-Digest": "unixsum=:AAAA:, sha-512=:" + base64.StdEncoding.EncodeToString(s512[:]) + ":"}, body},
		{"@authority @path @query", "GET", "https://www.example.com/users/a?page=2",
			[]string{"@method", "@authority", "@path", "@query", "@scheme"}, kid, nil, nil},
		{"@authority @request-target", "GET", "https://WWW.example.com:443/users/a?page=2",
			[]string{"@method", "@authority", "@request-target"}, kid, nil, nil},
		{"expires in the future, nonce and tag ignored", "GET", "https://www.example.com/users/a",
			[]string{"@method", "@target-uri"}, kid + `;expires=1703070000;nonce="n";tag="t"`, nil, nil},
		{"other label", "GET", "https://www.example.com/users/a",
			[]string{"@target-uri", "@method"}, kid, nil, nil},
		{"multi-line header", "GET", "https://www.example.com/users/a",
			[]string{"@method", "@target-uri", "accept"}, kid, map[string]string{"Accept": " a/b ,c/d "}, nil},
	}
	v := newVerifier9421(t, bobResolver(t), vectorClock, "https")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(string(tt.body)))
			for k, val := range tt.header {
				r.Header.Set(k, val)
			}
			if tt.name == "multi-line header" {
				r.Header.Add("Accept", "e/f")
			}
			label := "sig1"
			if tt.name == "other label" {
				label = "mastodon-9421"
			}
			sign9421(t, r, bob, label, tt.components, tt.params)
			got, err := v.Verify(context.Background(), r, tt.body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Label != label || !slices.Equal(got.Headers, tt.components) || got.Owner != bobActor {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestSignRFC9421RoundTrip(t *testing.T) {
	edKey, err := GenerateEd25519Key()
	if err != nil {
		t.Fatal(err)
	}
	bob := bobKey(t)
	now := time.Now()
	keys := &staticResolver{keys: map[string]*PublicKey{
		"https://a.example/u#main-key":    {ID: "https://a.example/u#main-key", Owner: "https://a.example/u", Key: &bob.PublicKey, Fresh: true},
		"https://a.example/u#ed25519-key": {ID: "https://a.example/u#ed25519-key", Owner: "https://a.example/u", Key: edKey.Public(), Fresh: true},
	}}
	v := newVerifier9421(t, keys, now, "https")
	for _, tt := range []struct {
		name   string
		key    Key
		alg    string
		method string
		body   []byte
	}{
		{"RSA POST", Key{ID: "https://a.example/u#main-key", Signer: bob}, AlgorithmRSAv15SHA256, "POST", []byte(`{"type":"Follow"}`)},
		{"RSA GET", Key{ID: "https://a.example/u#main-key", Signer: opaqueSigner{bob}}, AlgorithmRSAv15SHA256, "GET", nil},
		{"Ed25519 POST", Key{ID: "https://a.example/u#ed25519-key", Signer: edKey}, AlgorithmEd25519, "POST", []byte(`{}`)},
		{"Ed25519 GET", Key{ID: "https://a.example/u#ed25519-key", Signer: edKey}, AlgorithmEd25519, "GET", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := http.NewRequest(tt.method, "https://b.example/inbox?x=1%2F2", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := SignRFC9421(out, tt.key, tt.body, now); err != nil {
				t.Fatal(err)
			}
			wantInput := `sig1=("@method" "@target-uri");created=` + strconvI(now.Unix()) + `;keyid="` + tt.key.ID + `"`
			if tt.method == "POST" {
				wantInput = strings.Replace(wantInput, `"@target-uri")`, `"@target-uri" "content-digest")`, 1)
				sum := sha256.Sum256(tt.body)
				if got, want := out.Header.Get("Content-Digest"), "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":"; got != want {
					t.Errorf("Content-Digest = %q, want %q", got, want)
				}
			}
			if got := out.Header.Get("Signature-Input"); got != wantInput {
				t.Errorf("Signature-Input = %q, want %q", got, wantInput)
			}
			if _, err := httpsfv.UnmarshalDictionary(out.Header.Values("Signature")); err != nil {
				t.Errorf("Signature is not a dictionary: %v", err)
			}
			// What arrives at the server.
			in := httptest.NewRequest(tt.method, "/inbox?x=1%2F2", strings.NewReader(string(tt.body)))
			in.Host = out.Host
			for k, vs := range out.Header {
				in.Header[k] = vs
			}
			got, err := v.Verify(context.Background(), in, tt.body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Algorithm != tt.alg || got.KeyID != tt.key.ID || got.Label != RFC9421Label {
				t.Errorf("got %+v", got)
			}
			// Tampering with the body fails.
			if len(tt.body) > 0 {
				_, err := v.Verify(context.Background(), in, append([]byte(" "), tt.body...))
				wantReason(t, err, ErrInvalidSignature, "content-digest mismatch")
			}
		})
	}
}

func TestSignRFC9421Errors(t *testing.T) {
	bob := bobKey(t)
	r := func() *http.Request { return httptest.NewRequest("GET", "https://b.example/", nil) }
	for _, tt := range []struct {
		name string
		r    *http.Request
		key  Key
	}{
		{"no ID", r(), Key{Signer: bob}},
		{"quote in ID", r(), Key{ID: `a"b`, Signer: bob}},
		{"non-ASCII ID", r(), Key{ID: "https://é.example/#k", Signer: bob}},
		{"no signer", r(), Key{ID: "k"}},
		{"no URL", &http.Request{Method: "GET"}, Key{ID: "k", Signer: bob}},
		{"no host", &http.Request{Method: "GET", URL: mustURL(t, "/x")}, Key{ID: "k", Signer: bob}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := SignRFC9421(tt.r, tt.key, nil, time.Now())
			if err == nil || !strings.HasPrefix(err.Error(), "signing: ") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
