package signing

import (
	"context"
	"testing"
)

// BenchmarkCanonicalize is the JCS form of the FEP-8b32 test vector (a Create of a Note).
func BenchmarkCanonicalize(b *testing.B) {
	doc := readVector(b, "fep8b32_signed.json")
	for b.Loop() {
		if _, err := Canonicalize(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddProof signs the FEP-8b32 test vector's document with eddsa-jcs-2022.
func BenchmarkAddProof(b *testing.B) {
	doc := []byte(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/data-integrity/v2"],` +
		`"id":"https://server.example/activities/1","type":"Create","actor":"https://server.example/users/alice",` +
		`"object":{"id":"https://server.example/objects/1","type":"Note","attributedTo":"https://server.example/users/alice",` +
		`"content":"Hello world","location":{"type":"Place","longitude":-71.184902,"latitude":25.273962}}}`)
	key := Key{ID: "https://server.example/users/alice#ed25519-key", Signer: fepKey(b)}
	opts := ProofOptions{Created: vectorCreated}
	for b.Loop() {
		if _, err := AddProof(doc, key, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyProof verifies the FEP-8b32 test vector, its key cached (the resolver answers
// from memory, as the Resolver's cache does).
func BenchmarkVerifyProof(b *testing.B) {
	doc := readVector(b, "fep8b32_signed.json")
	v := newProofVerifierT(b, vectorKeys(b), vectorCreated)
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Verify(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
}
