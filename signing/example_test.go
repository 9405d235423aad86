package signing_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/fedsite/fedsite/signing"
)

// bobPublicKey is the public key of Mastodon's signature test vectors.
const bobPublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqIAYvNFGbZ5g4iiK6feS
dXD4bDStFM58A7tHycYXaYtzZQpIeHXAmaXuZzXIwtrP4N0gIk8JNwZvXj2UPS+S
07t0V9wNK94he01LV5EMz/GN4eNnFmDL64HIEuKLvV8TvgjbUPRD6Y5X0UpKi2ZI
FLSb96Q5w0Z/k7ntpVKV52y8kz5Fjr/O/0JuHryZe0yItzJh8kzFfeMf0EXzfSna
KvT7P9jhgC6uTre+jXyvVZjiHDrnqvvucdI3I7DRfXo1OqARBrLjy+TdseUAjNYJ
+OuPRI1URIWQI01DCHqcohVu9+Ar+BiCjFp3ua+XMuJvrvbD61d1Fvig/9nbBRR+
8QIDAQAB
-----END PUBLIC KEY-----
`

func ExampleNewVerifier() {
	pub, err := signing.ParsePublicKey([]byte(bobPublicKey))
	if err != nil {
		panic(err)
	}
	// In production use a *signing.Resolver; here one known key.
	keys := signing.KeyResolverFunc(func(ctx context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
		return &signing.PublicKey{ID: keyID, Owner: "https://remote.domain/users/bob", Key: pub}, nil
	})
	v, err := signing.NewVerifier(signing.VerifierConfig{
		Keys: keys,
		// Pinned to the clock of Mastodon's test vector.
		Now: func() time.Time { return time.Date(2023, 12, 20, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest("GET", "https://www.example.com/activitypub/success", nil)
	r.Header.Set("Date", "Wed, 20 Dec 2023 10:00:00 GMT")
	r.Header.Set("Signature", `keyId="https://remote.domain/users/bob#main-key",algorithm="rsa-sha256",headers="date host (request-target)",signature="Z8ilar3J7bOwqZkMp7sL8sRs4B1FT+UorbmvWoE+A5UeoOJ3KBcUmbsh+k3wQwbP5gMNUrra9rEWabpasZGphLsbDxfbsWL3Cf0PllAc7c1c7AFEwnewtExI83/qqgEkfWc2z7UDutXc2NfgAx89Ox8DXU/fA2GG0jILjB6UpFyNugkY9rg6oI31UnvfVi3R7sr3/x8Ea3I9thPvqI2byF6cojknSpDAwYzeKdngX3TAQEGzFHz3SDWwyp3jeMWfwvVVbM38FxhvAnSumw7YwWW4L7M7h4M68isLimoT3yfCn2ucBVL5Dz8koBpYf/40w7QidClAwCafZQFC29yDOg=="`)

	got, err := v.Verify(context.Background(), r, nil)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println("signed by", got.Owner)
	fmt.Println("covering", got.Headers)

	// A Date a day ahead of the clock is refused before any key lookup.
	r.Header.Set("Date", "Thu, 21 Dec 2023 10:00:00 GMT")
	_, err = v.Verify(context.Background(), r, nil)
	fmt.Println(err)
	// Output:
	// signed by https://remote.domain/users/bob
	// covering [date host (request-target)]
	// signing: invalid signature (keyId https://remote.domain/users/bob#main-key): created too far in the future
}

func ExampleNewTransport() {
	priv, err := signing.GenerateKey()
	if err != nil {
		panic(err)
	}
	key := signing.Key{ID: "https://news.example/actor#main-key", Signer: priv}

	// The receiving inbox verifies with the sender's public key.
	v, _ := signing.NewVerifier(signing.VerifierConfig{
		Keys: signing.KeyResolverFunc(func(ctx context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
			return &signing.PublicKey{ID: keyID, Owner: "https://news.example/actor", Key: priv.Public()}, nil
		}),
	})
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r.Context(), r, body)
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "accepted from %s, signed %v", got.Owner, got.Headers)
	}))
	defer inbox.Close()

	tr, err := signing.NewTransport(signing.TransportConfig{Key: key})
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", inbox.URL+"/inbox", strings.NewReader(`{"type":"Create"}`))
	req.Header.Set("Content-Type", "application/activity+json")
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(out))
	// Output:
	// 200 accepted from https://news.example/actor, signed [(request-target) host date digest content-type]
}
