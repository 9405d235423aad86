package signing

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func FuzzParseSignatureHeader(f *testing.F) {
	for _, h := range corpusSignatureHeaders(f) {
		f.Add(h)
	}
	f.Add(`keyId="a",signature="b",KEYID="c"`)
	f.Add(`Signature keyId = "a\"b" , signature="x", created=1, expires="2"`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseSignatureHeader(s)
		if err != nil {
			return
		}
		// format → parse must give back the same parameters. Formatting quotes every value, so
		// an input near the size limit may format past it; the limit is checked on its own.
		out := p.String()
		if len(out) > maxSignatureHeader {
			if _, err := parseSignatureHeader(out); err == nil {
				t.Fatalf("a %d-byte header parsed; the limit is %d", len(out), maxSignatureHeader)
			}
			return
		}
		q, err := parseSignatureHeader(out)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", out, s, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed params:\n%#v\n%#v", p, q)
		}
		if q.String() != out {
			t.Fatalf("format not stable: %q vs %q", q.String(), out)
		}
	})
}

func FuzzVerify(f *testing.F) {
	get, post := "", ""
	for _, h := range corpusSignatureHeaders(f) {
		if get == "" {
			get = h
		} else if post == "" {
			post = h
		}
		f.Add("POST", "/inbox", h, "Wed, 20 Dec 2023 10:00:00 GMT", "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=", []byte("Hello world"))
	}
	f.Add("GET", "/activitypub/success", get, "Wed, 20 Dec 2023 10:00:00 GMT", "", []byte(nil))
	f.Add("POST", "/activitypub/success", post, "Wed, 20 Dec 2023 10:00:00 GMT", "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=", []byte("Hello world"))
	f.Add("GET", "/x?y", `keyId="k",algorithm="hs2019",created=99999999999999,expires=1,headers="(request-target) host (created) (expires)",signature="AA=="`, "", "", []byte(nil))
	pub := bobKey(f).Public()
	keys := KeyResolverFunc(func(_ context.Context, keyID string, _ bool) (*PublicKey, error) {
		return &PublicKey{ID: keyID, Owner: bobActor, Key: pub}, nil
	})
	v, err := NewVerifier(VerifierConfig{Keys: keys, Now: func() time.Time { return vectorClock }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, sig, date, digest string, body []byte) {
		fuzzVerify(t, v, method, target, map[string]string{"Signature": sig, "Date": date, "Digest": digest}, body)
	})
}

// fuzzVerify builds a request from fuzzed parts (headers with an empty value are left out) and
// checks what v makes of it: a result with a keyId, or an error matching exactly one of the
// sentinels. A target that is not a request URI is skipped.
func fuzzVerify(t *testing.T, v *Verifier, method, target string, headers map[string]string, body []byte) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return
	}
	r := &http.Request{Method: method, URL: u, Host: "www.example.com", Header: http.Header{}}
	for k, val := range headers {
		if val != "" {
			r.Header.Set(k, val)
		}
	}
	got, err := v.Verify(context.Background(), r, body)
	if err == nil {
		if got == nil || got.KeyID == "" {
			t.Fatalf("success without result: %+v", got)
		}
		return
	}
	n := 0
	for _, s := range []error{ErrNoSignature, ErrInvalidSignature, ErrKeyUnavailable} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %v matches %d sentinels", err, n)
	}
}
