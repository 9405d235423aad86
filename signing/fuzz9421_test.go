package signing

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// corpus9421 returns Signature-Input/Signature pairs from the corpus: the
// Mastodon vectors, the mastodon.social capture and RFC 9421 Appendix B.
func corpus9421(tb testing.TB) [][2]string {
	tb.Helper()
	var out [][2]string
	for _, f := range []string{
		"signatures/mastodon/VECTORS.md",
		"signatures/captured/mastodon.social-rfc9421-post.md",
	} {
		md := string(corpus.ReadFile(tb, f))
		ins := sigInputLineRE.FindAllStringSubmatch(md, -1)
		sigs := sig9421LineRE.FindAllStringSubmatch(md, -1)
		for i := range min(len(ins), len(sigs)) {
			out = append(out, [2]string{ins[i][1], sigs[i][1]})
		}
	}
	// Appendix B folds long lines (RFC 8792).
	md := unfold8792(string(corpus.ReadFile(tb, "signatures/rfc9421/rfc9421-appendix-B-examples.md")))
	ins := sigInputLineRE.FindAllStringSubmatch(md, -1)
	sigs := sig9421LineRE.FindAllStringSubmatch(md, -1)
	for i := range min(len(ins), len(sigs)) {
		out = append(out, [2]string{ins[i][1], sigs[i][1]})
	}
	if len(out) < 5 {
		tb.Fatalf("found only %d RFC 9421 signatures in the corpus", len(out))
	}
	return out
}

func FuzzParseRFC9421(f *testing.F) {
	for _, p := range corpus9421(f) {
		f.Add(p[0], p[1])
	}
	f.Add(`sig1=("@method" "@target-uri");created=1;keyid="k";alg="ed25519";expires=2;nonce="n"`, `sig1=:AAAA:`)
	f.Add(`a=(), b=()`, `a=:AA==:, b=:AA==:`)
	f.Add(`sig1=("content-digest";sf "@query-param";name="x")`, `sig1=:AAAA:`)
	f.Fuzz(func(t *testing.T, input, sig string) {
		si, err := parseRFC9421([]string{input}, []string{sig})
		if err != nil {
			return
		}
		// Serialize → parse must give back the same signature.
		in2 := si.label + "=" + si.params
		sig2 := si.label + "=:" + base64.StdEncoding.EncodeToString(si.signature) + ":"
		again, err := parseRFC9421([]string{in2}, []string{sig2})
		if err != nil {
			t.Fatalf("reparse of %q / %q: %v", in2, sig2, err)
		}
		if !reflect.DeepEqual(si, again) {
			t.Fatalf("round trip changed the signature:\n%#v\n%#v", si, again)
		}
		// A base can be built or refused, never panic.
		r := &http.Request{Method: "POST", URL: &url.URL{Path: "/inbox", RawQuery: "a=b"}, Host: "example.com", Header: http.Header{"Date": {"x"}}}
		_, _ = signatureBase(r, "https", si)
	})
}

func FuzzVerifyRFC9421(f *testing.F) {
	for _, p := range corpus9421(f) {
		f.Add("POST", "/activitypub/success", p[0], p[1], "sha-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:", []byte("Hello world"))
		f.Add("GET", "/activitypub/success", p[0], p[1], "", []byte(nil))
	}
	pub := bobKey(f).Public()
	ed := testEdKey().Public()
	keys := KeyResolverFunc(func(_ context.Context, keyID string, _ bool) (*PublicKey, error) {
		if strings.Contains(keyID, "ed25519") {
			return &PublicKey{ID: keyID, Owner: bobActor, Key: ed}, nil
		}
		return &PublicKey{ID: keyID, Owner: bobActor, Key: pub}, nil
	})
	v, err := NewVerifier(VerifierConfig{Keys: keys, Now: func() time.Time { return vectorClock }, URIScheme: "https"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, input, sig, digest string, body []byte) {
		fuzzVerify(t, v, method, target, map[string]string{"Signature-Input": input, "Signature": sig, "Content-Digest": digest}, body)
	})
}
