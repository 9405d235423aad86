package signing

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// vectorHeaders returns the GET and POST Signature values of VECTORS.md §1, §2.
func vectorHeaders(t *testing.T) (get, post string) {
	t.Helper()
	var sigs []string
	for _, m := range sigLineRE.FindAllStringSubmatch(string(corpus.ReadFile(t, "signatures/mastodon/VECTORS.md")), -1) {
		sigs = append(sigs, m[1])
	}
	if len(sigs) != 2 {
		t.Fatalf("want 2 cavage vectors in VECTORS.md, got %d", len(sigs))
	}
	return sigs[0], sigs[1]
}

func bobResolver(t *testing.T) *staticResolver {
	t.Helper()
	// The public key comes from the Fedify fixture of bob's actor, not from
	// the private key, so the corpus files are checked against each other.
	var actor struct {
		PublicKey []keyEntry `json:"publicKey"`
	}
	if err := json.Unmarshal(corpus.ReadFile(t, "fedify/remote.domain_users_bob.json"), &actor); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey([]byte(actor.PublicKey[0].PublicKeyPem))
	if err != nil {
		t.Fatal(err)
	}
	return &staticResolver{keys: map[string]*PublicKey{bobKeyID: {ID: bobKeyID, Owner: bobActor, Key: pub, Fresh: true}}}
}

func vectorRequest(method, target, sig string, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "www.example.com"
	r.Header.Set("Date", "Wed, 20 Dec 2023 10:00:00 GMT")
	if sig != "" {
		r.Header.Set("Signature", sig)
	}
	return r
}

func TestMastodonVectors(t *testing.T) {
	get, post := vectorHeaders(t)
	v := newVerifierT(t, bobResolver(t), vectorClock)
	const digest = "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="

	t.Run("GET", func(t *testing.T) {
		r := vectorRequest("GET", "/activitypub/success", get, "")
		got, err := v.Verify(context.Background(), r, nil)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := &Verified{KeyID: bobKeyID, Owner: bobActor, Algorithm: "rsa-sha256",
			Headers: []string{"date", "host", "(request-target)"},
			Created: vectorClock, Expires: vectorClock.Add(5 * time.Minute)}
		if !equalVerified(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("POST", func(t *testing.T) {
		r := vectorRequest("POST", "/activitypub/success", post, "Hello world")
		r.Header.Set("Digest", digest)
		got, err := v.Verify(context.Background(), r, []byte("Hello world"))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if want := []string{"host", "date", "digest", "(request-target)"}; !slices.Equal(got.Headers, want) {
			t.Errorf("Headers = %q, want %q", got.Headers, want)
		}
	})
	t.Run("POST body changed", func(t *testing.T) {
		r := vectorRequest("POST", "/activitypub/success", post, "Hello world!")
		r.Header.Set("Digest", digest)
		_, err := v.Verify(context.Background(), r, []byte("Hello world!"))
		wantReason(t, err, ErrInvalidSignature, "digest mismatch")
	})
	t.Run("POST without digest signed", func(t *testing.T) {
		// Mastodon's spec signs "host date (request-target)" on a POST; the
		// signature is real, but the Digest is not covered.
		r := vectorRequest("POST", "/activitypub/success", "", "Hello world")
		r.Header.Set("Digest", digest)
		signRaw(t, r, bobKey(t), bobKeyID, "rsa-sha256", []string{"host", "date", "(request-target)"}, nil)
		_, err := v.Verify(context.Background(), r, []byte("Hello world"))
		wantReason(t, err, ErrInvalidSignature, "digest not signed")
	})
	t.Run("GET path changed", func(t *testing.T) {
		r := vectorRequest("GET", "/activitypub/alternative-path", get, "")
		_, err := v.Verify(context.Background(), r, nil)
		wantReason(t, err, ErrInvalidSignature, "signature does not verify")
	})
}

func equalVerified(a, b *Verified) bool {
	return a.KeyID == b.KeyID && a.Owner == b.Owner && a.Algorithm == b.Algorithm &&
		slices.Equal(a.Headers, b.Headers) && a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires)
}

func wantReason(t *testing.T, err error, kind error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify succeeded, want %v (%s)", kind, reason)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %v does not match %v", err, kind)
	}
	for _, other := range []error{ErrNoSignature, ErrInvalidSignature, ErrKeyUnavailable} {
		if other != kind && errors.Is(err, other) {
			t.Errorf("error %v also matches %v", err, other)
		}
	}
	ve, ok := errors.AsType[*VerifyError](err)
	if !ok {
		t.Fatalf("error %T is not *VerifyError", err)
	}
	if ve.Reason != reason {
		t.Errorf("Reason = %q, want %q (error %v)", ve.Reason, reason, err)
	}
}

// signRaw signs r with an arbitrary header list and algorithm, so that tests
// can build signatures Sign would never make. extra params are appended.
func signRaw(t *testing.T, r *http.Request, k *rsa.PrivateKey, keyID, alg string, headers []string, p *sigParams) {
	t.Helper()
	if p == nil {
		p = &sigParams{}
	}
	// A signing string that cannot be built (a case the Verifier must
	// reject) gets a signature over the empty string.
	s, _ := signingString(r, headers, requestTarget(r.URL, true), p)
	sum := sha256.Sum256([]byte(s))
	raw, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	p.keyID, p.algorithm, p.headers, p.hasHeaders = keyID, alg, headers, true
	p.signature = base64.StdEncoding.EncodeToString(raw)
	r.Header.Set("Signature", p.String())
}

func TestOeeeCafeHS2019(t *testing.T) {
	md := string(corpus.ReadFile(t, "signatures/captured/oeee.cafe-accept-hs2019.md"))
	get := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(md)
		if m == nil {
			t.Fatalf("capture: %s not found", re)
		}
		return m[1]
	}
	sig := get(`(?m)^Signature: (.*)$`)
	body := get(`(?m)^(\{"@context".*\})$`)
	var actor struct {
		ID        string   `json:"id"`
		PublicKey keyEntry `json:"publicKey"`
	}
	if err := json.Unmarshal(corpus.ReadFile(t, "fedify/oeee.cafe_ap_users_3609fd4e-d51d-4db8-9f04-4189815864dd.json"), &actor); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey([]byte(actor.PublicKey.PublicKeyPem))
	if err != nil {
		t.Fatal(err)
	}
	keys := &staticResolver{keys: map[string]*PublicKey{actor.PublicKey.ID: {ID: actor.PublicKey.ID, Owner: actor.ID, Key: pub, Fresh: true}}}
	mk := func() *http.Request {
		r := httptest.NewRequest("POST", "/i/inbox", strings.NewReader(body))
		r.Host = get(`(?m)^Host: (.*)$`)
		r.Header.Set("Content-Type", get(`(?m)^Content-Type: (.*)$`))
		r.Header.Set("Date", get(`(?m)^Date: (.*)$`))
		r.Header.Set("Digest", get(`(?m)^Digest: (.*)$`))
		r.Header.Set("Signature", sig)
		return r
	}
	clock := time.Date(2025, 8, 25, 12, 58, 14, 0, time.UTC)

	got, err := newVerifierT(t, keys, clock).Verify(context.Background(), mk(), []byte(body))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Algorithm != "hs2019" || got.Owner != actor.ID {
		t.Errorf("got %+v", got)
	}
	if want := []string{"(request-target)", "(created)", "(expires)", "content-type", "date", "digest", "host"}; !slices.Equal(got.Headers, want) {
		t.Errorf("Headers = %q, want %q", got.Headers, want)
	}
	if !got.Expires.Equal(time.Unix(1756130294, 0)) {
		t.Errorf("Expires = %v", got.Expires)
	}
	// (expires) is one hour after (created); one more hour of skew, then out.
	_, err = newVerifierT(t, keys, clock.Add(2*time.Hour+time.Second)).Verify(context.Background(), mk(), []byte(body))
	wantReason(t, err, ErrInvalidSignature, "signature expired")
	_, err = newVerifierT(t, keys, clock.Add(2*time.Hour-time.Second)).Verify(context.Background(), mk(), []byte(body))
	if err != nil {
		t.Errorf("inside the window: %v", err)
	}
}

// TestCavageBasicVector checks the signing string builder against
// draft-cavage-12 Appendix C "Basic Test" (query string kept, method
// lower-cased) with the appendix's own 1024-bit key, and that the Verifier
// still rejects that POST because it does not cover digest.
func TestCavageBasicVector(t *testing.T) {
	xml := corpus.ReadFile(t, "signatures/cavage12/appendix-C-test-values.xml")
	pub, err := ParsePublicKey(xml)
	if err != nil {
		t.Fatal(err)
	}
	var basic string
	for _, h := range corpusSignatureHeaders(t) {
		if strings.Contains(h, `headers="(request-target) host date"`) {
			basic = h
		}
	}
	if basic == "" {
		t.Fatal("basic test header not found")
	}
	p, err := parseSignatureHeader(basic)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/foo?param=value&pet=dog", strings.NewReader(`{"hello": "world"}`))
	r.Host = "example.com"
	r.Header.Set("Date", "Sun, 05 Jan 2014 21:31:40 GMT")
	s, err := signingString(r, p.headers, requestTarget(r.URL, true), p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"; s != want {
		t.Fatalf("signing string\n%s\nwant\n%s", s, want)
	}
	sig, _ := base64.StdEncoding.DecodeString(p.signature)
	if err := verifyCandidates(pub, []string{s}, sig); err != nil {
		t.Fatalf("appendix C basic signature: %v", err)
	}
	r.Header.Set("Signature", basic)
	r.Header.Set("Digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
	keys := &staticResolver{keys: map[string]*PublicKey{"Test": {ID: "Test", Key: pub}}}
	_, err = newVerifierT(t, keys, time.Date(2014, 1, 5, 21, 31, 40, 0, time.UTC)).Verify(context.Background(), r, []byte(`{"hello": "world"}`))
	wantReason(t, err, ErrInvalidSignature, "digest not signed")
}

func TestVerifyRejections(t *testing.T) {
	bob := bobKey(t)
	other, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := vectorClock
	key := Key{ID: bobKeyID, Signer: bob}
	body := []byte(`{"type":"Follow"}`)

	// signed returns a POST (or GET when body is nil) to /inbox signed by Sign at time at.
	signed := func(t *testing.T, method string, body []byte, at time.Time) *http.Request {
		r := httptest.NewRequest(method, "https://www.example.com/inbox", nil)
		r.Header.Set("Content-Type", "application/activity+json")
		if err := Sign(r, key, body, at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	raw := func(method string, alg string, headers ...string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			r := httptest.NewRequest(method, "https://www.example.com/inbox", nil)
			r.Header.Set("Date", now.Format(http.TimeFormat))
			var b []byte
			if method == http.MethodPost {
				b = body
				sum := sha256.Sum256(b)
				r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
			}
			signRaw(t, r, bob, bobKeyID, alg, headers, nil)
			return r, b
		}
	}
	tests := []struct {
		name   string
		req    func(t *testing.T) (*http.Request, []byte)
		kind   error
		reason string
	}{
		{"body swapped after signing", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "POST", body, now), []byte(`{"type":"Delete"}`)
		}, ErrInvalidSignature, "digest mismatch"},
		{"date 48h old", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "POST", body, now.Add(-48*time.Hour)), body
		}, ErrInvalidSignature, "signature expired"},
		{"date 66 min old", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "POST", body, now.Add(-66*time.Minute)), body
		}, ErrInvalidSignature, "signature expired"},
		{"date 2h in the future", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "POST", body, now.Add(2*time.Hour)), body
		}, ErrInvalidSignature, "created too far in the future"},
		{"date 61 min in the future", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "POST", body, now.Add(61*time.Minute)), body
		}, ErrInvalidSignature, "created too far in the future"},
		{"covers only date", raw("POST", "rsa-sha256", "date"), ErrInvalidSignature, "(request-target) not signed"},
		{"no (request-target)", raw("POST", "rsa-sha256", "host", "date", "digest"), ErrInvalidSignature, "(request-target) not signed"},
		{"no host", raw("POST", "rsa-sha256", "(request-target)", "date", "digest"), ErrInvalidSignature, "host not signed"},
		{"no date", raw("POST", "rsa-sha256", "(request-target)", "host", "digest"), ErrInvalidSignature, "date not signed"},
		{"GET covers only date", raw("GET", "rsa-sha256", "date"), ErrInvalidSignature, "(request-target) not signed"},
		{"unknown algorithm", raw("GET", "rsa-sha512", "(request-target)", "host", "date"), ErrInvalidSignature, `unsupported algorithm "rsa-sha512"`},
		{"(created) with rsa-sha256", raw("GET", "rsa-sha256", "(request-target)", "host", "(created)"), ErrInvalidSignature, "(created) and (expires) require algorithm hs2019"},
		{"(created) covered without parameter", raw("GET", "hs2019", "(request-target)", "host", "(created)"), ErrInvalidSignature, "(created) covered but created parameter missing"},
		{"covered header absent", raw("GET", "rsa-sha256", "(request-target)", "host", "date", "x-missing"), ErrInvalidSignature, "cannot build signing string"},
		{"wrong key", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "POST", body, now)
			if err := Sign(r, Key{ID: bobKeyID, Signer: other}, body, now); err != nil {
				t.Fatal(err)
			}
			return r, body
		}, ErrInvalidSignature, "signature does not verify"},
		{"duplicate params", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Set("Signature", r.Header.Get("Signature")+`,keyId="https://evil.example/k"`)
			return r, nil
		}, ErrInvalidSignature, "malformed Signature header"},
		{"duplicate params differing in case", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Set("Signature", r.Header.Get("Signature")+`,KEYID="https://evil.example/k"`)
			return r, nil
		}, ErrInvalidSignature, "malformed Signature header"},
		{"malformed header", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Set("Signature", `keyId="https://remote.domain/users/bob#main-key",signature="abc`)
			return r, nil
		}, ErrInvalidSignature, "malformed Signature header"},
		{"missing signature param", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Set("Signature", `keyId="https://remote.domain/users/bob#main-key",headers="(request-target) host date"`)
			return r, nil
		}, ErrInvalidSignature, "malformed Signature header"},
		{"signature not base64", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			p, _ := parseSignatureHeader(r.Header.Get("Signature"))
			p.signature = "!!!"
			r.Header.Set("Signature", p.String())
			return r, nil
		}, ErrInvalidSignature, "signature is not base64"},
		{"two Signature headers", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Add("Signature", r.Header.Get("Signature"))
			return r, nil
		}, ErrInvalidSignature, "several Signature headers"},
		{"Authorization: Signature only", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
			r.Header.Del("Signature")
			return r, nil
		}, ErrNoSignature, "no Signature header (Authorization: Signature is not read)"},
		{"no signature", func(t *testing.T) (*http.Request, []byte) {
			return httptest.NewRequest("GET", "/inbox", nil), nil
		}, ErrNoSignature, "no Signature header"},
		{"Signature-Input dispatches to RFC 9421", func(t *testing.T) (*http.Request, []byte) {
			r := httptest.NewRequest("GET", "/inbox", nil)
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri");created=1703066400;keyid="x";alg="hmac-sha256"`)
			r.Header.Set("Signature", `sig1=:AAAA:`)
			return r, nil
		}, ErrInvalidSignature, `unsupported alg "hmac-sha256"`},
		{"GET with a body but no digest", func(t *testing.T) (*http.Request, []byte) {
			return signed(t, "GET", nil, now), []byte("smuggled")
		}, ErrInvalidSignature, "digest not signed"},
		{"digest not SHA-256", func(t *testing.T) (*http.Request, []byte) {
			r, b := raw("POST", "rsa-sha256", "(request-target)", "host", "date", "digest")(t)
			r.Header.Set("Digest", "SHA-512=AAAA")
			return r, b
		}, ErrInvalidSignature, "no SHA-256 digest"},
		{"unknown key", func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", nil, now)
			if err := Sign(r, Key{ID: "https://remote.domain/users/nobody#main-key", Signer: bob}, nil, now); err != nil {
				t.Fatal(err)
			}
			return r, nil
		}, ErrKeyUnavailable, "cannot resolve key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := bobResolver(t)
			r, b := tt.req(t)
			_, err := newVerifierT(t, keys, now).Verify(context.Background(), r, b)
			wantReason(t, err, tt.kind, tt.reason)
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	bob := bobKey(t)
	now := vectorClock
	key := Key{ID: bobKeyID, Signer: bob}
	tests := []struct {
		name   string
		method string
		target string // request as received
		signAt time.Time
		mutate func(t *testing.T, r *http.Request)
	}{
		{"date 64 min old", "POST", "/inbox", now.Add(-64 * time.Minute), nil},
		{"date 59 min ahead", "POST", "/inbox", now.Add(59 * time.Minute), nil},
		{"stray Signature prefix", "GET", "/inbox", now, func(t *testing.T, r *http.Request) {
			r.Header.Set("Signature", "Signature "+r.Header.Get("Signature"))
		}},
		{"lower-case digest algorithm", "POST", "/inbox", now, func(t *testing.T, r *http.Request) {
			r.Header.Set("Digest", "sha-256="+strings.TrimPrefix(r.Header.Get("Digest"), "SHA-256="))
			signRaw(t, r, bob, bobKeyID, "rsa-sha256", []string{"(request-target)", "host", "date", "digest"}, nil)
		}},
		{"digest list", "POST", "/inbox", now, func(t *testing.T, r *http.Request) {
			r.Header.Set("Digest", "SHA-512=AAAA, "+r.Header.Get("Digest"))
			signRaw(t, r, bob, bobKeyID, "hs2019", []string{"(request-target)", "host", "date", "digest"}, nil)
		}},
		{"hs2019 with (created) and no Date", "POST", "/inbox", now, func(t *testing.T, r *http.Request) {
			r.Header.Del("Date")
			p := &sigParams{created: "1703066400", expires: "1703066700"}
			signRaw(t, r, bob, bobKeyID, "", []string{"(request-target)", "(created)", "(expires)", "host", "digest"}, p)
		}},
		{"query signed", "GET", "/outbox?page=true", now, nil},
		{"query not signed (old Mastodon)", "GET", "/outbox?page=true", now, func(t *testing.T, r *http.Request) {
			// Re-sign the same request as if the sender had dropped the query.
			q := r.URL.RawQuery
			r.URL.RawQuery = ""
			if err := Sign(r, key, nil, now); err != nil {
				t.Fatal(err)
			}
			r.URL.RawQuery = q
		}},
		{"escaped path", "GET", "/users/a%2Fb", now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.method == "POST" {
				body = []byte(`{"type":"Create"}`)
			}
			r := httptest.NewRequest(tt.method, "https://www.example.com"+tt.target, nil)
			if err := Sign(r, key, body, tt.signAt); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(t, r)
			}
			got, err := newVerifierT(t, bobResolver(t), now).Verify(context.Background(), r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Owner != bobActor || got.KeyID != bobKeyID {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	oldKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bob := bobKey(t)
	r := httptest.NewRequest("GET", "https://www.example.com/inbox", nil)
	if err := Sign(r, Key{ID: bobKeyID, Signer: bob}, nil, vectorClock); err != nil {
		t.Fatal(err)
	}
	cached := &PublicKey{ID: bobKeyID, Owner: bobActor, Key: oldKey.Public()}
	fresh := &PublicKey{ID: bobKeyID, Owner: bobActor, Key: bob.Public(), Fresh: true}

	t.Run("stale cached key is refreshed once", func(t *testing.T) {
		keys := &staticResolver{keys: map[string]*PublicKey{bobKeyID: cached}, refreshed: map[string]*PublicKey{bobKeyID: fresh}}
		if _, err := newVerifierT(t, keys, vectorClock).Verify(context.Background(), r, nil); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if keys.calls.Load() != 2 || keys.refreshes.Load() != 1 {
			t.Errorf("calls = %d, refreshes = %d; want 2, 1", keys.calls.Load(), keys.refreshes.Load())
		}
	})
	t.Run("fresh key is not refreshed", func(t *testing.T) {
		f := *cached
		f.Fresh = true
		keys := &staticResolver{keys: map[string]*PublicKey{bobKeyID: &f}, refreshed: map[string]*PublicKey{bobKeyID: fresh}}
		_, err := newVerifierT(t, keys, vectorClock).Verify(context.Background(), r, nil)
		wantReason(t, err, ErrInvalidSignature, "signature does not verify")
		if keys.refreshes.Load() != 0 {
			t.Errorf("refreshes = %d, want 0", keys.refreshes.Load())
		}
	})
	t.Run("refresh still wrong", func(t *testing.T) {
		keys := &staticResolver{keys: map[string]*PublicKey{bobKeyID: cached}}
		_, err := newVerifierT(t, keys, vectorClock).Verify(context.Background(), r, nil)
		wantReason(t, err, ErrInvalidSignature, "signature does not verify")
		if keys.refreshes.Load() != 1 {
			t.Errorf("refreshes = %d, want 1", keys.refreshes.Load())
		}
	})
}

func TestNewVerifierRequiresKeys(t *testing.T) {
	if _, err := NewVerifier(VerifierConfig{}); err == nil {
		t.Fatal("NewVerifier without Keys succeeded")
	}
}

func TestVerifyErrorString(t *testing.T) {
	err := errInvalid("https://a.example/k", "digest mismatch", errors.New("cause"))
	want := "signing: invalid signature (keyId https://a.example/k): digest mismatch: cause"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if errors.Unwrap(err).Error() != "cause" {
		t.Errorf("Unwrap = %v", errors.Unwrap(err))
	}
}

// TestVerifyOwnerDocument checks that Verified carries the owner document of
// the key that verified: the one the resolver fetched, not the cached one.
func TestVerifyOwnerDocument(t *testing.T) {
	oldKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bob := bobKey(t)
	doc := []byte(`{"id":"` + bobActor + `","type":"Person"}`)
	fetched := &PublicKey{ID: bobKeyID, Owner: bobActor, Key: bob.Public(), Fresh: true, OwnerDocument: doc}
	cached := &PublicKey{ID: bobKeyID, Owner: bobActor, Key: bob.Public()}
	stale := &PublicKey{ID: bobKeyID, Owner: bobActor, Key: oldKey.Public()}
	tests := []struct {
		name             string
		sign             func(*http.Request, Key, []byte, time.Time) error
		first, refreshed *PublicKey
		want             []byte
	}{
		{"draft-cavage, key fetched", Sign, fetched, nil, doc},
		{"draft-cavage, key cached", Sign, cached, nil, nil},
		{"draft-cavage, cached key failed, refetched", Sign, stale, fetched, doc},
		{"RFC 9421, key fetched", SignRFC9421, fetched, nil, doc},
		{"RFC 9421, key cached", SignRFC9421, cached, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "https://www.example.com/inbox", nil)
			if err := tt.sign(r, Key{ID: bobKeyID, Signer: bob}, nil, vectorClock); err != nil {
				t.Fatal(err)
			}
			keys := &staticResolver{keys: map[string]*PublicKey{bobKeyID: tt.first}}
			if tt.refreshed != nil {
				keys.refreshed = map[string]*PublicKey{bobKeyID: tt.refreshed}
			}
			v, err := newVerifierT(t, keys, vectorClock).Verify(context.Background(), r, nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if string(v.OwnerDocument) != string(tt.want) || (tt.want == nil) != (v.OwnerDocument == nil) {
				t.Errorf("OwnerDocument = %q, want %q", v.OwnerDocument, tt.want)
			}
		})
	}
}
