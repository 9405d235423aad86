package signing_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/fedsite/fedsite/signing"
)

// An actor publishes an Ed25519 key as an FEP-521a Multikey beside its RSA
// publicKey, and signs an RFC 9421 request with it.
func ExampleSignRFC9421() {
	// A fixed seed keeps the output stable; use GenerateEd25519Key.
	ed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	actor := "https://news.example/users/desk"
	mk, err := signing.NewMultikey(actor+"#ed25519-key", actor, ed.Public())
	if err != nil {
		panic(err)
	}
	doc, _ := json.Marshal(map[string]any{"assertionMethod": []signing.Multikey{mk}})
	fmt.Println(string(doc))

	body := []byte(`{"type":"Create"}`)
	req, _ := http.NewRequest("POST", "https://social.example/inbox", strings.NewReader(string(body)))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := signing.SignRFC9421(req, signing.Key{ID: mk.ID, Signer: ed}, body, now); err != nil {
		panic(err)
	}
	fmt.Println("Content-Digest:", req.Header.Get("Content-Digest"))
	fmt.Println("Signature-Input:", req.Header.Get("Signature-Input"))
	// Output:
	// {"assertionMethod":[{"id":"https://news.example/users/desk#ed25519-key","type":"Multikey","controller":"https://news.example/users/desk","publicKeyMultibase":"z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"}]}
	// Content-Digest: sha-256=:JeE18werLvQnEoHViKDam+ZK1D8E27TBC2kIISI7pIY=:
	// Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1767323045;keyid="https://news.example/users/desk#ed25519-key"
}

// A Transport meets an inbox that only accepts RFC 9421: the first request
// knocks twice, later ones go straight to RFC 9421.
func ExampleTransport_doubleKnock() {
	priv, err := signing.GenerateKey()
	if err != nil {
		panic(err)
	}
	v, _ := signing.NewVerifier(signing.VerifierConfig{
		Keys: signing.KeyResolverFunc(func(ctx context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
			return &signing.PublicKey{ID: keyID, Owner: "https://news.example/actor", Key: priv.Public()}, nil
		}),
	})
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r.Context(), r, body)
		if err != nil || got.Label == "" {
			fmt.Println("inbox: 401 for draft-cavage")
			http.Error(w, "RFC 9421 only", http.StatusUnauthorized)
			return
		}
		fmt.Println("inbox: 202 for RFC 9421", got.Headers)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer inbox.Close()

	tr, err := signing.NewTransport(signing.TransportConfig{Key: signing.Key{ID: "https://news.example/actor#main-key", Signer: priv}})
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 2 {
		resp, err := client.Post(inbox.URL+"/inbox", "application/activity+json", strings.NewReader(`{"type":"Create"}`))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println("client:", resp.StatusCode)
	}
	scheme, _ := tr.HostScheme(strings.TrimPrefix(inbox.URL, "http://"))
	fmt.Println("remembered:", scheme)
	// Output:
	// inbox: 401 for draft-cavage
	// inbox: 202 for RFC 9421 [@method @target-uri content-digest]
	// client: 202
	// inbox: 202 for RFC 9421 [@method @target-uri content-digest]
	// client: 202
	// remembered: rfc9421
}
