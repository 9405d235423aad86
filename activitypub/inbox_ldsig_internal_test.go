package activitypub

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// countingNormalizer is a countingCompactor that also counts canonicalizations.
type countingNormalizer struct {
	*countingCompactor
	normalized atomic.Int64
}

func (c *countingNormalizer) Normalize(doc map[string]any) ([]byte, error) {
	c.normalized.Add(1)
	return c.Processor.Normalize(doc)
}

// TestForwardedWithoutSignatureSkipsJSONLD hands every corpus activity to verifyForwarded, as the
// inbox does when the HTTP signer is not the actor: those without a signature member are refused
// without any JSON-LD work, and only those with one are canonicalized.
func TestForwardedWithoutSignatureSkipsJSONLD(t *testing.T) {
	c := &countingNormalizer{countingCompactor: newCompactor(t)}
	v, err := signing.NewVerifier(signing.VerifierConfig{Keys: signing.KeyResolverFunc(
		func(context.Context, string, bool) (*signing.PublicKey, error) {
			return nil, errors.New("no keys here")
		})})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{verifier: v, ld: c}
	signed := 0
	for _, f := range activities(t) {
		act, err := vocab.Decode(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		before := c.normalized.Load()
		_, err = in.verifyForwarded(t.Context(), f.Data, act)
		if err == nil {
			t.Fatalf("%s: verified without any key", f.Name)
		}
		hasSig := strings.Contains(string(f.Data), `"signature"`)
		if hasSig {
			signed++
		}
		switch n := c.normalized.Load() - before; {
		case !hasSig && (n != 0 || !errors.Is(err, errNoLDSignature)):
			t.Errorf("%s: no signature member, yet %d canonicalizations (err %v)", f.Name, n, err)
		case hasSig && errors.Is(err, errNoLDSignature):
			t.Errorf("%s: a signature member, refused as having none", f.Name)
		}
	}
	if signed < 15 || c.n.Load() != 0 {
		t.Fatalf("%d signed activities, %d compactions: want at least 15 and none", signed, c.n.Load())
	}
}
