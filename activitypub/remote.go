package activitypub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/mediatype"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// fetchAccept is what Mastodon sends when it dereferences objects (INTEROP §1.4).
const fetchAccept = vocab.LDMediaType + ", " + vocab.MediaType

// remote fetches remote documents with the instance actor's signed client and keeps remote actors
// in the actor cache. It is safe for concurrent use.
type remote struct {
	tel          *telemetry
	client       *http.Client // signs every request with the instance actor's key
	cache        store.ActorCache
	blocks       *blockList
	ttl          time.Duration
	now          func() time.Time
	maxBody      int64
	userAgent    string
	insecureHTTP bool
}

// actor returns a remote actor, from the store's cache while it is fresh, else from signed, the
// actor document the signature check of an inbox request fetched for the actor's key (so that a
// first Follow fetches the actor once, not twice; nil when there is none), else fetched with a GET
// signed by the instance actor; what was read is cached.
func (rf *remote) actor(ctx context.Context, id string, signed []byte) (store.RemoteActor, error) {
	cached, err := rf.cache.RemoteActor(ctx, id)
	switch {
	case err == nil && rf.now().Sub(cached.FetchedAt) < rf.ttl:
		return cached, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.RemoteActor{}, fmt.Errorf("activitypub: remote actor %s: %w", id, err)
	}
	if err := checkBlocked(ctx, rf.blocks, id); err != nil {
		return store.RemoteActor{}, err
	}
	body, doc := signerDocument(signed, id)
	if doc == nil {
		var err error
		if body, doc, err = rf.fetch(rf.tel.fetching(ctx, fetchActor), id); err != nil {
			return store.RemoteActor{}, err
		}
	}
	if !doc.IsActor() || doc.Inbox == "" {
		return store.RemoteActor{}, invalid("actor", "%s is not an actor with an inbox", id)
	}
	ra := store.RemoteActor{
		ID:          doc.ID,
		Inbox:       doc.Inbox,
		SharedInbox: doc.SharedInboxIRI(),
		Document:    body,
		FetchedAt:   rf.now(),
	}
	for _, k := range doc.PublicKey {
		if k.ID != "" && k.PublicKeyPem != "" {
			ra.Keys = append(ra.Keys, store.RemoteKey{ID: k.ID, PublicKeyPEM: k.PublicKeyPem})
		}
	}
	if err := rf.cache.PutRemoteActor(ctx, ra); err != nil {
		return store.RemoteActor{}, fmt.Errorf("activitypub: cache remote actor %s: %w", id, err)
	}
	return ra, nil
}

// signerDocument returns signed, the actor document the signature check of an inbox request
// fetched, decoded when it is id's, else nil (it fetched none, the key was cached, or id is not
// the signer). The signing.Resolver fetched it through the same instance-signed client, size limit
// and Content-Type rule (mediatype.IsActivityStreams) as fetch and checked that its id is the
// signer's; a document that does not decode as id's is left to fetch.
func signerDocument(signed []byte, id string) ([]byte, *vocab.Object) {
	if len(signed) == 0 {
		return nil, nil
	}
	doc, err := vocab.Decode(signed)
	if err != nil || doc.ID != id {
		return nil, nil
	}
	return signed, doc
}

// fetch dereferences an IRI as an AS2 document. The answer must be AS2 by the rule of
// mediatype.IsActivityStreams, which the Resolver's key fetches follow too (Mastodon refuses plain
// JSON as well), and its id must be the IRI fetched, so a server cannot speak for another's
// objects.
func (rf *remote) fetch(ctx context.Context, iri string) ([]byte, *vocab.Object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
	if err != nil {
		return nil, nil, invalid("iri", "%q: %v", iri, err)
	}
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && rf.insecureHTTP) {
		return nil, nil, invalid("iri", "%q is not an https URL", iri)
	}
	req.Header.Set("Accept", fetchAccept)
	req.Header.Set("User-Agent", rf.userAgent)
	resp, err := rf.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: %w", iri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: %w", iri, &signing.StatusError{URL: iri, StatusCode: resp.StatusCode})
	}
	if ct := resp.Header.Get("Content-Type"); !mediatype.IsActivityStreams(ct) {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: content type %q is not AS2", iri, ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, rf.maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: %w", iri, err)
	}
	if int64(len(body)) > rf.maxBody {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: document over %d bytes", iri, rf.maxBody)
	}
	doc, err := vocab.Decode(body)
	if err != nil {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: %w", iri, err)
	}
	if doc.ID != iri {
		return nil, nil, fmt.Errorf("activitypub: fetch %s: document id is %q", iri, doc.ID)
	}
	return body, doc, nil
}

// newID returns a random id for an activity URL.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
