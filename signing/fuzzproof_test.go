package signing

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// proofSeeds are the signed vectors, the JCS test data and the corpus
// payloads that carry a proof.
func proofSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"fep8b32_signed.json", "fep8b32_v1_signed.json", "fedify_signed.json", "w3c_signed.json", "fep8b32_actor.json"} {
		seeds = append(seeds, readVector(f, name))
	}
	inputs, err := filepath.Glob(filepath.Join("testdata", "jcs", "input", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range inputs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, file := range corpus.JSON(f, "mitra") {
		seeds = append(seeds, file.Data)
	}
	return seeds
}

// FuzzCanonicalize checks that Canonicalize never panics, and that what it
// accepts comes out as valid JSON that is its own canonical form.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range proofSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Canonicalize(%q) = %q, not valid JSON", data, out)
		}
		again, err := Canonicalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("Canonicalize is not idempotent on %q: %q, %v", out, again, err)
		}
	})
}

// FuzzVerifyProof checks that ProofVerifier.Verify never panics, fails only
// with its documented errors, and verifies only what one of the vector keys
// signed.
func FuzzVerifyProof(f *testing.F) {
	for _, s := range proofSeeds(f) {
		f.Add(s)
	}
	v := newProofVerifierT(f, vectorKeys(f), vectorCreated.Add(time.Hour), "server.example")
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := v.Verify(context.Background(), doc)
		if err != nil {
			if !errors.Is(err, ErrNoProof) && !errors.Is(err, ErrInvalidProof) &&
				!errors.Is(err, ErrProofExpired) && !errors.Is(err, ErrKeyUnavailable) {
				t.Fatalf("Verify: undocumented error %v", err)
			}
			return
		}
		switch got.Controller {
		case "https://server.example/users/alice", "https://example.com/person2",
			"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2":
		default:
			t.Fatalf("verified a proof by %s", got.Controller)
		}
	})
}
