package signing

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-fed/httpsig"
)

// opaqueSigner hides the *rsa.PrivateKey type, like a KMS handle would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, opts)
}

func TestSignHeaders(t *testing.T) {
	bob := bobKey(t)
	key := Key{ID: bobKeyID, Signer: bob}
	body := []byte(`{"type":"Create"}`)
	tests := []struct {
		name        string
		method      string
		url         string
		contentType string
		body        []byte
		wantHeaders string
	}{
		{"GET", "GET", "https://remote.example/users/alice?page=1", "", nil, "(request-target) host date"},
		{"POST with content type", "POST", "https://remote.example/inbox", "application/activity+json", body, "(request-target) host date digest content-type"},
		{"POST without content type", "POST", "https://remote.example/inbox", "", body, "(request-target) host date digest"},
		{"POST with empty body", "POST", "https://remote.example/inbox", "", nil, "(request-target) host date digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, nil)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			r.Header.Set("Digest", "SHA-256=stale")
			if err := Sign(r, key, tt.body, vectorClock); err != nil {
				t.Fatal(err)
			}
			if r.Host != "remote.example" || r.Header.Get("Host") != "remote.example" {
				t.Errorf("Host = %q / %q", r.Host, r.Header.Get("Host"))
			}
			if got := r.Header.Get("Date"); got != "Wed, 20 Dec 2023 10:00:00 GMT" {
				t.Errorf("Date = %q", got)
			}
			if tt.method == "POST" {
				sum := sha256.Sum256(tt.body)
				if want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]); r.Header.Get("Digest") != want {
					t.Errorf("Digest = %q, want %q", r.Header.Get("Digest"), want)
				}
			} else if r.Header.Get("Digest") != "" {
				t.Errorf("GET got Digest %q", r.Header.Get("Digest"))
			}
			if r.Header.Get("Authorization") != "" {
				t.Error("Authorization set")
			}
			sig := r.Header.Get("Signature")
			p, err := parseSignatureHeader(sig)
			if err != nil {
				t.Fatal(err)
			}
			if p.keyID != bobKeyID || p.algorithm != "rsa-sha256" || strings.Join(p.headers, " ") != tt.wantHeaders {
				t.Errorf("Signature = %s", sig)
			}
			if !strings.HasPrefix(sig, `keyId="`+bobKeyID+`",algorithm="rsa-sha256",headers="`) {
				t.Errorf("Signature layout = %s", sig)
			}

			// go-fed's own verifier agrees (it reads Host from the header).
			gv, err := httpsig.NewVerifier(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := gv.Verify(bob.Public(), httpsig.RSA_SHA256); err != nil {
				t.Errorf("httpsig verify: %v", err)
			}
			// And ours.
			got, err := newVerifierT(t, bobResolver(t), vectorClock).Verify(context.Background(), r, tt.body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if strings.Join(got.Headers, " ") != tt.wantHeaders {
				t.Errorf("Verified.Headers = %q", got.Headers)
			}

			// An opaque crypto.Signer signs the same bytes (PKCS#1 v1.5 is
			// deterministic), without go-fed.
			r2 := httptest.NewRequest(tt.method, tt.url, nil)
			if tt.contentType != "" {
				r2.Header.Set("Content-Type", tt.contentType)
			}
			if err := Sign(r2, Key{ID: bobKeyID, Signer: opaqueSigner{bob}}, tt.body, vectorClock); err != nil {
				t.Fatal(err)
			}
			if r2.Header.Get("Signature") != sig {
				t.Errorf("opaque signer:\n%s\nwant\n%s", r2.Header.Get("Signature"), sig)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	bob := bobKey(t)
	tests := []struct {
		name string
		key  Key
		req  *http.Request
	}{
		{"no key id", Key{Signer: bob}, httptest.NewRequest("GET", "https://a.example/", nil)},
		{"quote in key id", Key{ID: `https://a.example/"k`, Signer: bob}, httptest.NewRequest("GET", "https://a.example/", nil)},
		{"no signer", Key{ID: bobKeyID}, httptest.NewRequest("GET", "https://a.example/", nil)},
		{"no host", Key{ID: bobKeyID, Signer: bob}, &http.Request{Method: "GET", URL: mustURL(t, "/x"), Header: http.Header{}}},
		{"no URL", Key{ID: bobKeyID, Signer: bob}, &http.Request{Method: "GET", Header: http.Header{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sign(tt.req, tt.key, nil, vectorClock); err == nil {
				t.Fatal("no error")
			} else if !strings.HasPrefix(err.Error(), "signing: ") {
				t.Errorf("error %q lacks prefix", err)
			}
		})
	}
}

// TestHTTPSigSignature reads the signature parameter out of Signature values as go-fed/httpsig
// writes them, and refuses anything else.
func TestHTTPSigSignature(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"httpsig's output", `keyId="https://a.example/u#k",algorithm="hs2019",headers="(request-target) host date",signature="ab+/Cd=="`, "ab+/Cd=="},
		{"alone", `signature="QUJD"`, "QUJD"},
		{"missing", `keyId="k",algorithm="hs2019"`, ""},
		{"not last", `signature="QUJD",keyId="k"`, ""},
		{"unterminated", `keyId="k",signature="QUJD`, ""},
		{"empty", `keyId="k",signature=""`, ""},
		{"cut after the quote", `keyId="k",signature="`, ""},
		{"not base64", `keyId="k",signature="a\"b"`, ""},
		{"part of another name", `keyId="k",xsignature="QUJD"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpsigSignature(tt.value)
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("httpsigSignature(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}
