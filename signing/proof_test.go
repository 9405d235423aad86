package signing

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// vectorCreated is the created time of every published vector.
var vectorCreated = time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)

// fepKey is the key of the FEP-8b32 and W3C vectors: its secret key is the
// multibase ed25519-priv (0x1300) value of w3c/vc-di-eddsa
// TestVectors/keyPair.json, its public key z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2.
func fepKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	raw, err := base58Decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
	if err != nil || len(raw) != 2+ed25519.SeedSize || raw[0] != 0x80 || raw[1] != 0x26 {
		tb.Fatalf("secret key: %x, %v", raw, err)
	}
	return ed25519.NewKeyFromSeed(raw[2:])
}

// fedifyKey is Fedify's ed25519PrivateKey (packages/fedify/src/testing/keys.ts), a JWK.
func fedifyKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	d, err := base64.RawURLEncoding.DecodeString("LledL195fP9TQGQrkE2l2Y2k48UvqCzYI9M1zXyh7zQ")
	if err != nil {
		tb.Fatal(err)
	}
	k := ed25519.NewKeyFromSeed(d)
	if x := base64.RawURLEncoding.EncodeToString(k.Public().(ed25519.PublicKey)); x != "LR8epAGDe-cVq5p2Tx49CCfphpk1rNhkNoY9i-XEUfg" {
		tb.Fatalf("public key %s", x)
	}
	return k
}

func readVector(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "proof", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// vectorKeys resolves the https keys of the vectors: alice's from the
// FEP-8b32 actor document, Fedify's person2#key4.
func vectorKeys(tb testing.TB) *staticResolver {
	tb.Helper()
	var actor struct {
		ID              string
		AssertionMethod []Multikey
	}
	if err := json.Unmarshal(readVector(tb, "fep8b32_actor.json"), &actor); err != nil {
		tb.Fatal(err)
	}
	keys := map[string]*PublicKey{}
	for _, mk := range actor.AssertionMethod {
		pub, err := ParsePublicKeyMultibase(mk.PublicKeyMultibase)
		if err != nil {
			tb.Fatal(err)
		}
		keys[mk.ID] = &PublicKey{ID: mk.ID, Owner: mk.Controller, Key: pub}
	}
	keys["https://example.com/person2#key4"] = &PublicKey{ID: "https://example.com/person2#key4",
		Owner: "https://example.com/person2", Key: fedifyKey(tb).Public()}
	return &staticResolver{keys: keys}
}

func newProofVerifierT(tb testing.TB, keys KeyResolver, now time.Time, domains ...string) *ProofVerifier {
	tb.Helper()
	v, err := NewProofVerifier(ProofVerifierConfig{Keys: keys, Now: func() time.Time { return now }, Domains: domains})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestVerifyProofVectors verifies the published vectors.
func TestVerifyProofVectors(t *testing.T) {
	tests := []struct {
		file, vm, controller string
	}{
		{"fep8b32_signed.json", "https://server.example/users/alice#ed25519-key", "https://server.example/users/alice"},
		{"fep8b32_v1_signed.json", "https://server.example/users/alice#ed25519-key", "https://server.example/users/alice"},
		{"fedify_signed.json", "https://example.com/person2#key4", "https://example.com/person2"},
		{"w3c_signed.json",
			"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
			"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"},
	}
	v := newProofVerifierT(t, vectorKeys(t), vectorCreated.Add(24*time.Hour))
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := v.Verify(context.Background(), readVector(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got.VerificationMethod != tt.vm || got.Controller != tt.controller || !got.Created.Equal(vectorCreated) {
				t.Errorf("Verify = %+v, want method %s, controller %s, created %s", got, tt.vm, tt.controller, vectorCreated)
			}
		})
	}
}

// TestAddProofVectors signs the vectors' documents again and gets their
// proofValue: Ed25519 is deterministic, and a proof's own @context does not
// change the hash when it is the document's.
func TestAddProofVectors(t *testing.T) {
	tests := []struct {
		file string
		key  ed25519.PrivateKey
	}{
		{"fep8b32_signed.json", fepKey(t)},
		{"fep8b32_v1_signed.json", fepKey(t)},
		{"fedify_signed.json", fedifyKey(t)},
		{"w3c_signed.json", fepKey(t)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var signed map[string]json.RawMessage
			if err := json.Unmarshal(readVector(t, tt.file), &signed); err != nil {
				t.Fatal(err)
			}
			var proof struct{ VerificationMethod, ProofValue string }
			if err := json.Unmarshal(signed["proof"], &proof); err != nil {
				t.Fatal(err)
			}
			delete(signed, "proof")
			doc, err := json.Marshal(signed)
			if err != nil {
				t.Fatal(err)
			}
			out, err := AddProof(doc, Key{ID: proof.VerificationMethod, Signer: tt.key}, ProofOptions{Created: vectorCreated})
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Proof struct{ ProofValue string } }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got.Proof.ProofValue != proof.ProofValue {
				t.Errorf("proofValue %s, want %s", got.Proof.ProofValue, proof.ProofValue)
			}
			if _, err := newProofVerifierT(t, vectorKeys(t), vectorCreated).Verify(context.Background(), out); err != nil {
				t.Errorf("verify own proof: %v", err)
			}
		})
	}
}

// TestProofW3CIntermediates checks the intermediate values of the W3C
// vector (w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022): canonical document and
// proof configuration, their hashes and the signature.
func TestProofW3CIntermediates(t *testing.T) {
	var signed map[string]any
	if err := json.Unmarshal(readVector(t, "w3c_signed.json"), &signed); err != nil {
		t.Fatal(err)
	}
	proof := signed["proof"].(map[string]any)
	delete(signed, "proof")
	delete(proof, "proofValue")
	doc, err := json.Marshal(signed)
	if err != nil {
		t.Fatal(err)
	}
	canonDoc, err := Canonicalize(doc)
	if err != nil {
		t.Fatal(err)
	}
	const wantDoc = `{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}`
	if string(canonDoc) != wantDoc {
		t.Errorf("canonical document:\n got %s\nwant %s", canonDoc, wantDoc)
	}
	config, err := json.Marshal(proof)
	if err != nil {
		t.Fatal(err)
	}
	canonConfig, err := Canonicalize(config)
	if err != nil {
		t.Fatal(err)
	}
	const wantConfig = `{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}`
	if string(canonConfig) != wantConfig {
		t.Errorf("canonical proof configuration:\n got %s\nwant %s", canonConfig, wantConfig)
	}
	hashes, err := proofHashes(proof, signed)
	if err != nil {
		t.Fatal(err)
	}
	hash := hashes[0]
	const wantHash = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
	if got := hex.EncodeToString(hash); got != wantHash {
		t.Errorf("hash data %s, want %s", got, wantHash)
	}
	if got := sha256.Sum256(canonDoc); hex.EncodeToString(got[:]) != wantHash[64:] {
		t.Errorf("document hash %x", got)
	}
	const wantSig = "407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b80351da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808"
	if got := hex.EncodeToString(ed25519.Sign(fepKey(t), hash)); got != wantSig {
		t.Errorf("signature %s, want %s", got, wantSig)
	}
}

// TestVerifyProofRefuses covers the refusals, each by its sentinel.
func TestVerifyProofRefuses(t *testing.T) {
	key := fepKey(t)
	const vm = "https://server.example/users/alice#ed25519-key"
	doc := []byte(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/data-integrity/v1"],` +
		`"id":"https://server.example/activities/2","type":"Like","actor":"https://server.example/users/alice","object":"https://other.example/notes/1"}`)
	sign := func(opts ProofOptions, k ed25519.PrivateKey, id string) []byte {
		t.Helper()
		out, err := AddProof(doc, Key{ID: id, Signer: k}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	now := vectorCreated.Add(time.Hour)
	good := sign(ProofOptions{Created: vectorCreated}, key, vm)
	_, other, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherDID, err := DIDKey(other.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	replace := func(b []byte, old, repl string) []byte {
		t.Helper()
		if !strings.Contains(string(b), old) {
			t.Fatalf("%q not in %s", old, b)
		}
		return []byte(strings.Replace(string(b), old, repl, 1))
	}
	tests := []struct {
		name string
		doc  []byte
		want error
	}{
		{"no proof", doc, ErrNoProof},
		{"changed body", replace(good, `"type":"Like"`, `"type":"Announce"`), ErrInvalidProof},
		{"changed proof", replace(good, `"created":"2023-02-24T23:36:38Z"`, `"created":"2023-02-24T23:36:39Z"`), ErrInvalidProof},
		{"signed by another key", sign(ProofOptions{Created: vectorCreated}, other, vm), ErrInvalidProof},
		{"expired", sign(ProofOptions{Created: vectorCreated, Expires: now.Add(-time.Second)}, key, vm), ErrProofExpired},
		{"created in the future", sign(ProofOptions{Created: now.Add(2 * time.Hour)}, key, vm), ErrInvalidProof},
		{"foreign domain", sign(ProofOptions{Created: vectorCreated, Domain: "elsewhere.example"}, key, vm), ErrInvalidProof},
		{"unknown key", sign(ProofOptions{Created: vectorCreated}, key, "https://server.example/users/alice#other"), ErrKeyUnavailable},
		{"did:key of another key", sign(ProofOptions{Created: vectorCreated}, key, otherDID), ErrInvalidProof},
		{"other cryptosuite", replace(good, ProofCryptosuite, "eddsa-rdfc-2022"), ErrInvalidProof},
		{"other purpose", replace(good, ProofPurposeAssertion, "authentication"), ErrInvalidProof},
		{"bad proofValue", replace(good, `"proofValue":"z`, `"proofValue":"u`), ErrInvalidProof},
		{"proof set of two", replace(replace(good, `"proof":{`, `"proof":[{"type":"DataIntegrityProof"},{`), `"}}`, `"}]}`), ErrInvalidProof},
		{"proof not an object", replace(doc, `"object":`, `"proof":"x","object":`), ErrInvalidProof},
		{"duplicate member", replace(good, `"type":"Like"`, `"type":"Like","type":"Announce"`), ErrInvalidProof},
		{"context not a prefix", replace(good, `"proof":{`, `"proof":{"@context":["https://example.org/other"],`), ErrInvalidProof},
	}
	v := newProofVerifierT(t, vectorKeys(t), now, "server.example")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.doc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if _, ok := errors.AsType[*VerifyError](err); !ok {
				t.Errorf("%T is not a *VerifyError", err)
			}
		})
	}
	t.Run("domain accepted", func(t *testing.T) {
		if _, err := v.Verify(context.Background(), sign(ProofOptions{Created: vectorCreated, Domain: "server.example"}, key, vm)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVerifyProofMitra reads the two Mitra payloads of the corpus, whose key
// is not published: they get as far as the key lookup.
func TestVerifyProofMitra(t *testing.T) {
	for _, name := range []string{"activities_accept.json", "activities_create_post.json"} {
		doc := corpus.ReadFile(t, "mitra/"+name)
		keys := &staticResolver{}
		_, err := newProofVerifierT(t, keys, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).Verify(context.Background(), doc)
		if !errors.Is(err, ErrKeyUnavailable) || keys.calls.Load() != 1 {
			t.Errorf("%s: Verify = %v after %d key lookups, want ErrKeyUnavailable after 1", name, err, keys.calls.Load())
		}
	}
}

// TestVerifyProofRefreshesKey checks that a proof failing with a cached key is
// tried once more with a refreshed one (key rotation).
func TestVerifyProofRefreshesKey(t *testing.T) {
	const vm = "https://server.example/users/alice#ed25519-key"
	_, old, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := &staticResolver{
		keys:      map[string]*PublicKey{vm: {ID: vm, Owner: "https://server.example/users/alice", Key: old.Public()}},
		refreshed: map[string]*PublicKey{vm: {ID: vm, Owner: "https://server.example/users/alice", Key: fepKey(t).Public(), Fresh: true}},
	}
	got, err := newProofVerifierT(t, keys, vectorCreated).Verify(context.Background(), readVector(t, "fep8b32_signed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Controller != "https://server.example/users/alice" || keys.refreshes.Load() != 1 {
		t.Errorf("controller %s after %d refreshes", got.Controller, keys.refreshes.Load())
	}
}

func TestAddProofRefuses(t *testing.T) {
	ed := fepKey(t)
	rsaKey := bobKey(t)
	tests := []struct {
		name string
		doc  string
		key  Key
		opts ProofOptions
	}{
		{"rsa key", `{}`, Key{ID: "https://a.example/k", Signer: rsaKey}, ProofOptions{Created: vectorCreated}},
		{"no key id", `{}`, Key{Signer: ed}, ProofOptions{Created: vectorCreated}},
		{"no created", `{}`, Key{ID: "https://a.example/k", Signer: ed}, ProofOptions{}},
		{"not an object", `[]`, Key{ID: "https://a.example/k", Signer: ed}, ProofOptions{Created: vectorCreated}},
		{"has a proof", `{"proof":{}}`, Key{ID: "https://a.example/k", Signer: ed}, ProofOptions{Created: vectorCreated}},
		{"malformed", `{"a":`, Key{ID: "https://a.example/k", Signer: ed}, ProofOptions{Created: vectorCreated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := AddProof([]byte(tt.doc), tt.key, tt.opts); err == nil {
				t.Errorf("AddProof = %s, want an error", out)
			}
		})
	}
	t.Run("empty object", func(t *testing.T) {
		out, err := AddProof([]byte(" { } \n"), Key{ID: "https://a.example/k", Signer: ed}, ProofOptions{Created: vectorCreated})
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) || !strings.HasPrefix(string(out), ` { "proof":{"type":"DataIntegrityProof"`) {
			t.Errorf("AddProof = %s", out)
		}
	})
}

func TestParseDIDKey(t *testing.T) {
	pub := fepKey(t).Public().(ed25519.PublicKey)
	vm, err := DIDKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	const want = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	if vm != want {
		t.Errorf("DIDKey = %s, want %s", vm, want)
	}
	rsaMB, err := EncodePublicKeyMultibase(bobKey(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, did string
		ok      bool
	}{
		{want, "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", true},
		{"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", true},
		{"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "", false},
		{"did:key:" + rsaMB, "", false},
		{"did:web:example.com", "", false},
		{"did:key:u6Mk", "", false},
	}
	for _, tt := range tests {
		did, k, err := ParseDIDKey(tt.in)
		if (err == nil) != tt.ok || did != tt.did || (tt.ok && !k.Equal(pub)) {
			t.Errorf("ParseDIDKey(%q) = %q, %x, %v", tt.in, did, k, err)
		}
	}
}

// TestVerifyProofUnderLDSignature checks that a proof verifies when a Linked Data signature was
// added over it afterwards, as Fedify and Mastodon do, and that the signature member is then the
// only member set aside.
func TestVerifyProofUnderLDSignature(t *testing.T) {
	signed := readVector(t, "fep8b32_signed.json")
	v := newProofVerifierT(t, vectorKeys(t), vectorCreated)
	ld := `"signature":{"type":"RsaSignature2017","creator":"https://server.example/users/alice#main-key",` +
		`"created":"2023-02-24T23:36:40Z","signatureValue":"c2lnbmF0dXJl"},`
	withLD := []byte(strings.Replace(string(signed), `"id":`, ld+`"id":`, 1))
	if _, err := v.Verify(context.Background(), withLD); err != nil {
		t.Fatalf("proof under an LD signature: %v", err)
	}
	other := []byte(strings.Replace(string(signed), `"id":`, `"summary":"added",`+ld+`"id":`, 1))
	if _, err := v.Verify(context.Background(), other); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof under an LD signature and another member: %v, want ErrInvalidProof", err)
	}
}

// TestVerifyProofNoKey: a resolver that answers neither a key nor an error leaves the key
// unavailable, as it does for an HTTP signature.
func TestVerifyProofNoKey(t *testing.T) {
	keys := KeyResolverFunc(func(context.Context, string, bool) (*PublicKey, error) { return nil, nil })
	_, err := newProofVerifierT(t, keys, vectorCreated).Verify(context.Background(), readVector(t, "fep8b32_signed.json"))
	if !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("Verify = %v, want ErrKeyUnavailable", err)
	}
}
