package activitypub_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestFedifyVerifiesProofs checks that Fedify's verifyObject accepts the FEP-8b32 proofs of the
// activities fedsite sends it (an Accept, a Create), fetching the key from the actor's
// assertionMethod, and refuses the same activity changed after signing. It runs with
// FEDSITE_FEDIFY=1 (CI sets it).
func TestFedifyVerifiesProofs(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	s := startSite(t, memstore.New(), nil, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	newsID := s.fed.ActorID("news")
	accept := peer.FollowAccepted(ctx, t, newsID)
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/signed"), Title: "Signed"}); err != nil {
		t.Fatal(err)
	}
	create, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool { return a.Type == "Create" })
	if err != nil {
		t.Fatalf("no Create reached Fedify: %v", err)
	}
	for _, a := range []fedifypeer.Activity{accept, create} {
		if !a.Verified {
			t.Fatalf("Fedify's inbox refused the %s: %s", a.Type, a.Reason)
		}
		// The bytes delivered are the stored ones (the engine sends the stored document).
		o, err := s.store.Object(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s %s: %v", a.Type, a.ID, err)
		}
		if !bytes.Contains(o.Document, []byte(`"proof":`)) {
			t.Fatalf("the %s has no proof: %s", a.Type, o.Document)
		}
		got, err := peer.VerifyProof(ctx, o.Document)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Verified {
			t.Errorf("Fedify's verifyObject refused fedsite's %s: %s\n%s", a.Type, got.Reason, o.Document)
		}
		changed := bytes.Replace(o.Document, []byte(`"type":"`+a.Type+`"`), []byte(`"summary":"changed","type":"`+a.Type+`"`), 1)
		if got, err := peer.VerifyProof(ctx, changed); err != nil || got.Verified {
			t.Errorf("Fedify verified the %s changed after signing: %+v, %v", a.Type, got, err)
		}
	}
}

// TestFedifyProofsVerified checks that fedsite verifies the FEP-8b32 proof Fedify puts on what
// its actor sends (alice has an Ed25519 key, so Fedify signs), and that the proof alone
// authenticates the activity when another server relays it under its own HTTP signature. It runs
// with FEDSITE_FEDIFY=1 (CI sets it).
func TestFedifyProofsVerified(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	log := &postLog{t: t}
	s := startSite(t, memstore.New(), nil, nil, log.wrap)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	newsID := s.fed.ActorID("news")
	if _, err := peer.Follow(ctx, newsID); err != nil {
		t.Fatalf("Fedify follow: %v", err)
	}
	posts := log.all()
	follow := posts[len(posts)-1]
	if follow.status != http.StatusAccepted || !bytes.Contains(follow.body, []byte(`"proof"`)) {
		t.Fatalf("Fedify's Follow: status %d, body %s; want 202 and a proof", follow.status, follow.body)
	}
	// What fedsite accepted carries a proof by alice that verifies on its own.
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: http.DefaultClient, InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := signing.NewProofVerifier(signing.ProofVerifierConfig{Keys: resolver})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pv.Verify(ctx, follow.body)
	if err != nil {
		t.Fatalf("Fedify's proof: %v\n%s", err, follow.body)
	}
	if p.Controller != peer.ActorID() {
		t.Fatalf("Fedify's proof is by %s, want %s", p.Controller, peer.ActorID())
	}
	// Relayed: the same bytes, HTTP-signed by another server's actor, pass the signer check on
	// the strength of the proof, which runs before de-duplication (the id is a duplicate by
	// now, answered 202 without effect). Changed, they are refused.
	relay := activitypubtest.NewRemote(t, "relay")
	relayKey := relay.Key()
	if code := postSigned(t, s, newsID+"/inbox", follow.body, &relayKey, time.Now(), nil); code != http.StatusAccepted {
		t.Errorf("Fedify's Follow relayed: status %d, want 202", code)
	}
	changed := bytes.Replace(follow.body, []byte(`"type":"Follow"`), []byte(`"type":"Follow","summary":"changed"`), 1)
	if code := postSigned(t, s, newsID+"/inbox", changed, &relayKey, time.Now(), nil); code != http.StatusUnauthorized {
		t.Errorf("Fedify's Follow changed and relayed: status %d, want 401", code)
	}
}
