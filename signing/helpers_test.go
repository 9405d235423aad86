package signing

import (
	"context"
	"crypto/rsa"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

var artworkRE = regexp.MustCompile(`(?s)<artwork>\s*(Signature|Authorization): (.*?)</artwork>`)

var sigLineRE = regexp.MustCompile(`(?m)^(?:Signature|Authorization): (.*keyId=.*)$`)

// corpusSignatureHeaders returns every Signature/Authorization header value
// (with keyId) found in the corpus's signature notes.
func corpusSignatureHeaders(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, f := range []string{
		"signatures/mastodon/VECTORS.md",
		"signatures/captured/oeee.cafe-accept-hs2019.md",
	} {
		for _, m := range sigLineRE.FindAllStringSubmatch(string(corpus.ReadFile(tb, f)), -1) {
			out = append(out, m[1])
		}
	}
	// Appendix C folds its headers over several <artwork> lines.
	xml := string(corpus.ReadFile(tb, "signatures/cavage12/appendix-C-test-values.xml"))
	for _, m := range artworkRE.FindAllStringSubmatch(xml, -1) {
		var b strings.Builder
		for _, line := range strings.Split(m[2], "\n") {
			b.WriteString(strings.TrimSpace(line))
		}
		out = append(out, strings.ReplaceAll(b.String(), "&amp;", "&"))
	}
	if len(out) < 4 {
		tb.Fatalf("found only %d signature headers in the corpus", len(out))
	}
	return out
}

const bobKeyID = "https://remote.domain/users/bob#main-key"
const bobActor = "https://remote.domain/users/bob"

// vectorClock is the clock of Mastodon's vectors.
var vectorClock = time.Date(2023, 12, 20, 10, 0, 0, 0, time.UTC)

func bobKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := ParsePrivateKey(corpus.ReadFile(tb, "signatures/mastodon/bob_main-key.private.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// staticResolver serves fixed keys and counts calls.
type staticResolver struct {
	keys      map[string]*PublicKey
	refreshed map[string]*PublicKey // served when refresh is true, if set
	calls     atomic.Int32
	refreshes atomic.Int32
}

func (s *staticResolver) ResolveKey(_ context.Context, keyID string, refresh bool) (*PublicKey, error) {
	s.calls.Add(1)
	if refresh {
		s.refreshes.Add(1)
		if k, ok := s.refreshed[keyID]; ok {
			c := *k
			return &c, nil
		}
	}
	k, ok := s.keys[keyID]
	if !ok {
		return nil, os.ErrNotExist
	}
	c := *k
	return &c, nil
}

func newVerifierT(tb testing.TB, keys KeyResolver, now time.Time) *Verifier {
	tb.Helper()
	v, err := NewVerifier(VerifierConfig{Keys: keys, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
