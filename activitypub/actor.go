package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Actor is one of the site's fediverse accounts — the organization, an author, a department — as
// the site describes it. fedsite derives the ids, inboxes and keys.
type Actor struct {
	// Username is the handle: "news" makes @news@host. Lower-case letters, digits, '_', '.' and '-'
	// (not first or last), as Mastodon accepts. Required.
	Username string
	// Type is the AS2 actor type: "Person", "Organization", "Group", "Service" or "Application".
	// Default: "Person". Mastodon shows Service and Application actors as bots.
	Type string
	// Name is the display name.
	Name string
	// Summary is the profile text, HTML.
	Summary string
	// ProfileURL is the actor's page on the site, served as the actor's url. It must be on the
	// site's host, or Mastodon ignores it.
	ProfileURL string
	// IconURL is the avatar image; ImageURL the header image: absolute URLs of PNG, JPEG, GIF or
	// WebP files (Mastodon and GoToSocial do not take SVG), sent as Image objects with their media
	// type guessed from the file name. Bridgy Fed bridges only accounts with an avatar. Default: none,
	// and servers show their default pictures.
	IconURL, ImageURL string
	// Discoverable lets servers list the actor in directories and suggestions; Indexable lets them
	// index its posts for full-text search. Both default to false, as on Mastodon.
	Discoverable, Indexable bool
	// Published is when the account was created, sent to the second; Mastodon and GoToSocial
	// show it as the join date, and Bridgy Fed bridges only accounts older than a week. Default:
	// not sent, which servers show as the day they first saw the account.
	Published time.Time
	// ManuallyApprovesFollowers marks a locked account: servers show follows of it as requests.
	// Default: false, every follow is accepted.
	ManuallyApprovesFollowers bool
	// Fields are the profile's name/value pairs (Mastodon shows four, reads up to 50), sent as an
	// attachment array of PropertyValue. Default: none.
	Fields []Field
	// AttributionDomains are the hosts whose pages may credit this actor as their author with a
	// fediverse:creator meta tag ([CreatorMeta]); Mastodon 4.3+ shows the actor on the link
	// preview of such pages only when the page's host is listed (a subdomain of a listed host
	// counts). Default: none — set it to the site's host for author actors.
	AttributionDomains []string
	// AlsoKnownAs are the ids of other accounts of the same owner (aliases, at most 256 read by
	// Mastodon). An account moving to this actor must be listed here before it sends its Move.
	// Default: none.
	AlsoKnownAs []string
	// MovedTo is the id of the account this actor moved to; servers then show the profile as
	// moved, and fedsite answers a Follow of the actor with a Reject. [Federation.Move] records a
	// move itself, so the site needs to set this only for a move made without it. Default: not
	// moved.
	MovedTo string
	// Featured are the URLs of published articles pinned to the profile, in display order. They
	// are served in the actor's featured collection, which Mastodon shows at the top of the
	// profile (up to five); URLs that fedsite did not publish, or that were deleted, are left out.
	// Default: none.
	Featured []string
	// QuotePolicy says who may quote the actor's articles whose own Article.QuotePolicy is
	// QuoteDefault, when they are published or updated: a change applies to an article published
	// before only when it is updated. Default: QuoteAnyone, as on Mastodon.
	QuotePolicy QuotePolicy
}

// Field is one profile field, such as {"Website", "https://news.example.com"}.
type Field struct {
	// Name is the label, plain text.
	Name string
	// Value is plain text; a value that is an absolute http(s) URL is sent as a link to it (with
	// rel="me", so that Mastodon verifies it when the page links back with [MeLink]).
	Value string
}

// ActorSource is how fedsite learns about the site's actors. The site implements it on its own
// data; the method name is prefixed so it cannot clash with a method the site's type already has.
type ActorSource interface {
	// FederatedActor returns the actor with that username, or an error matching ErrNotFound.
	// It is called on every request that names an actor, so it should be cheap.
	FederatedActor(ctx context.Context, username string) (*Actor, error)
}

// ActorSourceFunc adapts a function to [ActorSource].
type ActorSourceFunc func(ctx context.Context, username string) (*Actor, error)

// FederatedActor calls f.
func (f ActorSourceFunc) FederatedActor(ctx context.Context, username string) (*Actor, error) {
	return f(ctx, username)
}

// siteActors are the site's actors: those its ActorSource describes, less those deleted with
// DeleteActor, whose deletion the objects store keeps.
type siteActors struct {
	source  ActorSource
	objects store.Objects
	urls    urlLayout
}

// lookup asks the site for an actor and checks what it returned.
func (sa *siteActors) lookup(ctx context.Context, username string) (*Actor, error) {
	if !usernameRE.MatchString(username) {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, ErrNotFound)
	}
	// An actor deleted with DeleteActor is gone, whatever the site still says.
	if gone, err := sa.gone(ctx, sa.urls.actor(username)); err != nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, err)
	} else if gone {
		return nil, fmt.Errorf("activitypub: actor %q: deleted: %w", username, ErrNotFound)
	}
	a, err := sa.source.FederatedActor(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, err)
	}
	if a == nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, ErrNotFound)
	}
	if a.Username != username {
		return nil, invalid("Actor.Username", "source returned %q for %q", a.Username, username)
	}
	if a.Type != "" && !actorTypes[a.Type] {
		return nil, invalid("Actor.Type", "%q is not an actor type", a.Type)
	}
	if err := checkQuotePolicy("Actor.QuotePolicy", a.QuotePolicy); err != nil {
		return nil, err
	}
	return a, nil
}

// gone reports whether the actor was deleted with DeleteActor.
func (sa *siteActors) gone(ctx context.Context, actorID string) (bool, error) {
	o, err := sa.objects.Object(ctx, actorID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return !o.Deleted.IsZero(), nil
}

// usernameRE is the handle syntax Mastodon accepts (Account::USERNAME_ONLY_RE), lower-cased.
var usernameRE = regexp.MustCompile(`^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$`)

var actorTypes = map[string]bool{
	"Person": true, "Organization": true, "Group": true, "Service": true, "Application": true,
}

// actorContext is the JSON-LD context of actor documents: AS2, the security vocabulary for
// publicKey, the Multikey vocabulary for assertionMethod's keys (FEP-521a), and the extension
// terms Mastodon and FEP-2c59 define. assertionMethod itself is defined inline, as the DID
// context does: no context named here defines it, and JSON-LD readers (Fedify) would drop it and
// not find the key of an FEP-8b32 proof.
var actorContext = json.RawMessage(`["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",` +
	`"https://w3id.org/security/multikey/v1",` +
	`{"manuallyApprovesFollowers":"as:manuallyApprovesFollowers","toot":"http://joinmastodon.org/ns#",` +
	`"discoverable":"toot:discoverable","indexable":"toot:indexable",` +
	`"featured":{"@id":"toot:featured","@type":"@id"},` +
	`"attributionDomains":{"@id":"toot:attributionDomains","@type":"@id"},` +
	`"alsoKnownAs":{"@id":"as:alsoKnownAs","@type":"@id"},"movedTo":{"@id":"as:movedTo","@type":"@id"},` +
	`"schema":"http://schema.org#","PropertyValue":"schema:PropertyValue","value":"schema:value",` +
	`"webfinger":"https://purl.archive.org/socialweb/webfinger#webfinger",` +
	`"assertionMethod":{"@id":"https://w3id.org/security#assertionMethod","@type":"@id","@container":"@set"}}]`)

// actorDocument renders a site actor as the AS2 document Mastodon and others read (INTEROP §1.2,
// §6), with its handle on acctHost. movedTo is the account it moved to (see movedTo), "" when it
// has not moved.
func actorDocument(urls urlLayout, acctHost string, a *Actor, k actorKey, movedTo string) *vocab.Object {
	id := urls.actor(a.Username)
	typ := a.Type
	if typ == "" {
		typ = "Person"
	}
	o := &vocab.Object{
		Context:           actorContext,
		ID:                id,
		Type:              vocab.Types{typ},
		PreferredUsername: a.Username,
		Name:              a.Name,
		Summary:           a.Summary,
		Inbox:             urls.inbox(id),
		Outbox:            urls.outbox(id),
		Followers:         urls.followers(id),
		Following:         urls.following(id),
		Endpoints:         &vocab.Endpoints{SharedInbox: urls.sharedInbox()},
		PublicKey:         []vocab.PublicKey{{ID: urls.mainKey(id), Owner: id, PublicKeyPem: k.publicPEM}},
		Discoverable:      &a.Discoverable,
		Indexable:         &a.Indexable,
		Published:         a.Published.UTC().Truncate(time.Second),
		Featured:          urls.featured(id),

		ManuallyApprovesFollowers: a.ManuallyApprovesFollowers,
		Extra: map[string]json.RawMessage{
			"webfinger":       mustJSON(a.Username + "@" + acctHost),
			"assertionMethod": mustJSON([]signing.Multikey{k.multikey}),
		},
	}
	// Mastodon reads attachment only as an array (INTEROP §1.2), so even one field is sent in one.
	for _, fl := range a.Fields {
		o.Attachment = append(o.Attachment, vocab.Ref{Object: &vocab.Object{
			Type:  vocab.Types{"PropertyValue"},
			Name:  fl.Name,
			Extra: map[string]json.RawMessage{"value": mustJSON(fieldHTML(fl.Value))},
		}})
	}
	if len(a.AttributionDomains) > 0 {
		o.Extra["attributionDomains"] = mustJSON(a.AttributionDomains)
	}
	if len(a.AlsoKnownAs) > 0 {
		o.Extra["alsoKnownAs"] = mustJSON(a.AlsoKnownAs)
	}
	if movedTo != "" {
		o.Extra["movedTo"] = mustJSON(movedTo)
	}
	if a.ProfileURL != "" {
		o.URL = vocab.Refs{{IRI: a.ProfileURL}}
	}
	if a.IconURL != "" {
		o.Extra["icon"] = profileImage(a.IconURL)
	}
	if a.ImageURL != "" {
		o.Extra["image"] = profileImage(a.ImageURL)
	}
	return o
}

// instanceActorDocument renders the instance actor: an Application that signs outgoing GETs and
// is served without requiring a signature, so that servers in authorized-fetch mode can verify
// our fetches without a fetch loop (INTEROP §1.5).
func instanceActorDocument(urls urlLayout, k actorKey) *vocab.Object {
	id := urls.instanceActor()
	return &vocab.Object{
		Context:           actorContext,
		ID:                id,
		Type:              vocab.Types{"Application"},
		PreferredUsername: urls.hostname(),
		Name:              urls.hostname(),
		Inbox:             urls.sharedInbox(),
		Endpoints:         &vocab.Endpoints{SharedInbox: urls.sharedInbox()},
		URL:               vocab.Refs{{IRI: urls.base}},
		PublicKey:         []vocab.PublicKey{{ID: urls.mainKey(id), Owner: id, PublicKeyPem: k.publicPEM}},
		// Nobody follows the instance actor; it exists to sign fetches.
		ManuallyApprovesFollowers: true,
		Extra:                     map[string]json.RawMessage{"assertionMethod": mustJSON([]signing.Multikey{k.multikey})},
	}
}

// imageRef is an Image object with the media type guessed from the file name (the URL's path, so
// that a query such as "?v=2" does not hide it), since Mastodon and Pixelfed want mediaType on
// images.
func imageRef(u string) vocab.Ref {
	img := &vocab.Object{Type: vocab.Types{"Image"}, URL: vocab.Refs{{IRI: u}}}
	img.MediaType = imageMediaType(Image{URL: u})
	return vocab.Ref{Object: img}
}

// profileImage is an avatar or header as Mastodon sends its own: one Image object, not an array,
// whose url is a string, with its media type (INTEROP §6), so that servers decoding icon into one
// typed object with a string url read it too.
func profileImage(u string) json.RawMessage {
	img := vocab.Object{Type: vocab.Types{"Image"}, MediaType: imageMediaType(Image{URL: u}),
		Extra: map[string]json.RawMessage{"url": mustJSON(u)}}
	b, err := img.MarshalJSON()
	if err != nil {
		panic("activitypub: encoding " + err.Error()) // impossible: a type, a string and a URL
	}
	return b
}

// fieldHTML renders a profile field's value as Mastodon does its own: escaped text, or a link
// with rel="me" when the value is an absolute http(s) URL.
func fieldHTML(v string) string {
	esc := html.EscapeString(v)
	if !absHTTP(v) {
		return esc
	}
	return `<a href="` + esc + `" rel="me nofollow noopener" target="_blank">` + esc + `</a>`
}

// mustJSON encodes a value that cannot fail to encode (strings, bools).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("activitypub: encoding " + err.Error()) // impossible for the values passed
	}
	return b
}
