package activitypub

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// actorKey is a local actor's signing key with its public half in PEM, as published.
type actorKey struct {
	key       signing.Key
	publicPEM string
	// ed is the actor's Ed25519 key, published as multikey.
	ed       signing.Key
	multikey signing.Multikey
}

// keyring holds the site actors' signing keys, kept in the store and cached in memory once
// loaded. It is safe for concurrent use.
type keyring struct {
	urls  urlLayout
	store store.Keys
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]actorKey // by actor id
}

// actorKey returns a local actor's signing key, loading it from the store or, on first use,
// making and storing one. Instances racing to make the key agree on the one stored first.
func (kr *keyring) actorKey(ctx context.Context, actorID string) (actorKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if k, ok := kr.keys[actorID]; ok {
		return k, nil
	}
	signer, err := kr.load(ctx, actorID, mainKeyName, func() (crypto.Signer, error) { return signing.GenerateKey() })
	if err != nil {
		return actorKey{}, err
	}
	pub, err := signing.EncodePublicKey(signer.Public())
	if err != nil {
		return actorKey{}, fmt.Errorf("activitypub: key of %s: %w", actorID, err)
	}
	// The Ed25519 key is published as an FEP-521a Multikey in assertionMethod, for RFC 9421
	// signatures to servers that accept them (INTEROP §2.1).
	ed, err := kr.load(ctx, actorID, edKeyName, func() (crypto.Signer, error) { return signing.GenerateEd25519Key() })
	if err != nil {
		return actorKey{}, err
	}
	mk, err := signing.NewMultikey(kr.urls.edKey(actorID), actorID, ed.Public())
	if err != nil {
		return actorKey{}, fmt.Errorf("activitypub: key of %s: %w", actorID, err)
	}
	k := actorKey{
		key:       signing.Key{ID: kr.urls.mainKey(actorID), Signer: signer},
		publicPEM: string(pub),
		ed:        signing.Key{ID: mk.ID, Signer: ed},
		multikey:  mk,
	}
	kr.keys[actorID] = k
	return k, nil
}

// signingKey returns the key a local actor's deliveries are signed with: its main key. It is the
// delivery engine's delivery.KeyFunc.
func (kr *keyring) signingKey(ctx context.Context, actorID string) (signing.Key, error) {
	k, err := kr.actorKey(ctx, actorID)
	return k.key, err
}

// load returns an actor's private key of that name from the store, making and storing one with
// gen on first use.
func (kr *keyring) load(ctx context.Context, actorID, name string, gen func() (crypto.Signer, error)) (crypto.Signer, error) {
	kp, err := kr.store.KeyPair(ctx, actorID, name)
	if errors.Is(err, store.ErrNotFound) {
		kp, err = kr.create(ctx, actorID, name, gen)
	}
	if err != nil {
		return nil, fmt.Errorf("activitypub: %s of %s: %w", name, actorID, err)
	}
	signer, err := signing.ParsePrivateKey(kp.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("activitypub: %s of %s: %w", name, actorID, err)
	}
	return signer, nil
}

func (kr *keyring) create(ctx context.Context, actorID, name string, gen func() (crypto.Signer, error)) (store.KeyPair, error) {
	priv, err := gen()
	if err != nil {
		return store.KeyPair{}, err
	}
	pemBytes, err := signing.EncodePrivateKey(priv)
	if err != nil {
		return store.KeyPair{}, err
	}
	kp := store.KeyPair{ActorID: actorID, Name: name, PrivateKeyPEM: pemBytes, CreatedAt: kr.now()}
	err = kr.store.CreateKeyPair(ctx, kp)
	if errors.Is(err, store.ErrConflict) {
		return kr.store.KeyPair(ctx, actorID, name)
	}
	return kp, err
}
