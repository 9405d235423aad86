package vocab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Object is any AS2 object, activity, actor, collection, link or key. It holds the properties
// fedsite reads as typed fields and keeps every other member in Extra, so an object decoded from a
// remote server and encoded again keeps what fedsite does not understand.
//
// The zero value is an empty object. Every field's zero value means "absent" and is not written by
// [Object.MarshalJSON]; for the few properties where false or 0 differ from absent the field is a
// pointer. An Object is not safe for concurrent modification; concurrent reads are fine.
type Object struct {
	// Context is "@context". Decoding keeps it as a json.RawMessage; a caller building an object
	// may set a string or a slice. nil is absent.
	Context any

	// ID is "id", the object's IRI; empty for anonymous objects.
	ID string
	// Type is "type".
	Type Types

	// Actor, Object, Target and Origin are the activity properties of the same names.
	Actor, Object, Target, Origin Ref
	// InReplyTo is "inReplyTo".
	InReplyTo Ref
	// AttributedTo is "attributedTo"; PeerTube sends an array of a Person and a Group.
	AttributedTo Refs

	// To, Cc, Bto, Bcc and Audience are the addressing properties. Bto and Bcc are decoded and
	// encoded like the others; removing them before delivery is the sender's job.
	To, Cc, Bto, Bcc, Audience Refs

	// Name, Summary and Content are the natural-language properties, possibly containing HTML.
	Name, Summary, Content string
	// NameMap, SummaryMap and ContentMap map language tags to the same properties; nil is absent.
	NameMap, SummaryMap, ContentMap map[string]string
	// MediaType is "mediaType", the MIME type of Content (or of the resource a Link points to).
	MediaType string
	// URL is "url": a string, a Link object or an array of them; see [Object.URLString].
	URL Refs
	// Href is a Link's "href".
	Href string
	// Icon, Image, Tag and Attachment are the properties of the same names; each may come as one
	// value or an array.
	Icon, Image, Tag, Attachment Refs
	// Published and Updated are the dates; the zero time is absent. A date that cannot be parsed
	// is kept in Extra instead (see the package documentation).
	Published, Updated time.Time
	// Sensitive is Mastodon's "sensitive" flag (content warning).
	Sensitive bool

	// PreferredUsername is an actor's handle.
	PreferredUsername string
	// Inbox, Outbox, Followers, Following and Featured are an actor's collection IRIs. An object
	// or array given for them decodes to its id or first element.
	Inbox, Outbox, Followers, Following, Featured string
	// Endpoints is an actor's "endpoints" object; nil is absent.
	Endpoints *Endpoints
	// SharedInbox is Misskey's top-level "sharedInbox"; see [Object.SharedInboxIRI].
	SharedInbox string
	// PublicKey holds the actor's keys; "publicKey" may be one object or an array of them.
	PublicKey []PublicKey
	// ManuallyApprovesFollowers marks a locked account.
	ManuallyApprovesFollowers bool
	// Discoverable and Indexable are Mastodon's opt-ins; nil is absent, which Mastodon reads as false.
	Discoverable, Indexable *bool

	// TotalItems is a collection's "totalItems"; nil is absent.
	TotalItems *int
	// First, Last, Next, Prev and PartOf link collections and their pages.
	First, Last, Next, Prev, PartOf Ref
	// Items and OrderedItems are a collection's members.
	Items, OrderedItems Refs

	// Owner and PublicKeyPem are a key's properties, for when the object is itself a key (GoToSocial
	// serves key ids as stub documents).
	Owner, PublicKeyPem string

	// Extra holds every member that is not a field above, and any known member whose value had a
	// shape its field cannot hold, as compact raw JSON keyed by member name. On encode a set field
	// takes precedence over an Extra entry of the same name. nil means none.
	Extra map[string]json.RawMessage
}

// Endpoints is an actor's "endpoints" object.
type Endpoints struct {
	// SharedInbox is the inbox that accepts deliveries for every actor on the server.
	SharedInbox string
	// Extra holds the other members (oauthAuthorizationEndpoint, proxyUrl, …) as raw JSON.
	Extra map[string]json.RawMessage
}

// PublicKey is one entry of an actor's "publicKey" (security/v1 vocabulary).
type PublicKey struct {
	// ID is the key id that signatures name in keyId.
	ID string
	// Owner is the actor the key belongs to.
	Owner string
	// PublicKeyPem is the PEM-encoded public key.
	PublicKeyPem string
	// Extra holds the other members (Misskey's "type": "Key", …) as raw JSON.
	Extra map[string]json.RawMessage
}

// SharedInboxIRI returns endpoints.sharedInbox, or else the top-level sharedInbox that Misskey
// also sends, or "" when the actor has neither.
func (o *Object) SharedInboxIRI() string {
	if o.Endpoints != nil && o.Endpoints.SharedInbox != "" {
		return o.Endpoints.SharedInbox
	}
	return o.SharedInbox
}

// IsActor reports whether any of the object's types is an AS2 actor type: Person, Service,
// Application, Group or Organization.
func (o *Object) IsActor() bool {
	for _, t := range [...]string{"Person", "Service", "Application", "Group", "Organization"} {
		if o.Type.Has(t) {
			return true
		}
	}
	return false
}

// URLString returns the object's web address: the first url entry whose media type is HTML (as
// Mastodon picks it), else the first entry. An entry may be a string, a Link (its href) or an
// object (its id). It returns "" when url is absent.
func (o *Object) URLString() string {
	for _, r := range o.URL {
		if r.Object == nil || r.IRI == "" {
			continue
		}
		mt := r.Object.MediaType
		if mt == "" {
			// PeerTube and older servers name it mimeType.
			if raw, ok := r.Object.Extra["mimeType"]; ok {
				_ = json.Unmarshal(raw, &mt)
			}
		}
		if strings.HasPrefix(mt, "text/html") {
			return r.IRI
		}
	}
	for _, r := range o.URL {
		if id := r.ID(); id != "" {
			return id
		}
	}
	return ""
}

// DecodeExtra decodes the Extra member name into v and reports whether it was present. Numbers
// decoded into an interface value become [json.Number], so large ids keep every digit.
func (o *Object) DecodeExtra(name string, v any) (bool, error) {
	raw, ok := o.Extra[name]
	if !ok {
		return false, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return true, fmt.Errorf("vocab: decode %q: %w", name, err)
	}
	return true, nil
}
