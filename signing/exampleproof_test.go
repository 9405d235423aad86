package signing_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/signing"
)

func ExampleAddProof() {
	// A fixed seed, so that the output is stable; an actor's key comes from
	// signing.GenerateEd25519Key and is published as its Multikey.
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	const keyID = "https://example.com/users/alice#ed25519-key"
	doc := []byte(`{"@context":["https://www.w3.org/ns/activitystreams","` + signing.ContextDataIntegrity + `"],` +
		`"id":"https://example.com/activities/1","type":"Like","actor":"https://example.com/users/alice",` +
		`"object":"https://remote.example/notes/1"}`)
	signed, err := signing.AddProof(doc, signing.Key{ID: keyID, Signer: priv},
		signing.ProofOptions{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		panic(err)
	}

	// In production Keys is the *signing.Resolver, which reads the actor's
	// assertionMethod; here the one key.
	keys := signing.KeyResolverFunc(func(ctx context.Context, id string, refresh bool) (*signing.PublicKey, error) {
		if id != keyID {
			return nil, errors.New("unknown key")
		}
		return &signing.PublicKey{ID: id, Owner: "https://example.com/users/alice", Key: priv.Public()}, nil
	})
	v, err := signing.NewProofVerifier(signing.ProofVerifierConfig{Keys: keys})
	if err != nil {
		panic(err)
	}
	p, err := v.Verify(context.Background(), signed)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed by", p.Controller, "at", p.Created.Format(time.RFC3339))

	_, err = v.Verify(context.Background(), append(signed[:len(signed)-1:len(signed)-1], `,"extra":1}`...))
	fmt.Println(errors.Is(err, signing.ErrInvalidProof))
	// Output:
	// signed by https://example.com/users/alice at 2026-01-02T03:04:05Z
	// true
}
