package webfinger

import (
	"fmt"
	"net/url"

	"github.com/fedsite/fedsite/internal/mediatype"
)

// JRD is a JSON Resource Descriptor (RFC 7033 §4.4). Empty members are left out of the JSON form.
type JRD struct {
	// Subject is the URI the document describes, such as "acct:alice@example.com". RFC 7033 lets
	// a server name a canonical form other than the one requested. It is absent from host-meta.json.
	Subject string `json:"subject,omitempty"`
	// Aliases are other URIs for the same subject, such as the profile page and the actor id.
	Aliases []string `json:"aliases,omitempty"`
	// Properties maps property URIs to values; a nil value is JSON null.
	Properties map[string]*string `json:"properties,omitempty"`
	// Links are the subject's links, in the server's order of preference.
	Links []Link `json:"links,omitempty"`
}

// Link is one link of a [JRD] (RFC 7033 §4.4.4). Rel is required; Href and Template are
// alternatives (Template is used by host-meta's lrdd link and OStatus subscribe links).
type Link struct {
	// Rel is the link relation: a registered name such as "self" or a URI.
	Rel string `json:"rel"`
	// Type is the media type of the target, such as "application/activity+json".
	Type string `json:"type,omitempty"`
	// Href is the target URI.
	Href string `json:"href,omitempty"`
	// Template is a URI template whose "{uri}" the client replaces (RFC 6415 §3.1.1).
	Template string `json:"template,omitempty"`
	// Titles maps language tags (or "und") to human-readable titles.
	Titles map[string]string `json:"titles,omitempty"`
	// Properties maps property URIs to values; a nil value is JSON null.
	Properties map[string]*string `json:"properties,omitempty"`
}

// Media types a self link may carry to name an ActivityPub actor, as Mastodon checks them.
const (
	// MediaTypeActivity is the ActivityStreams media type.
	MediaTypeActivity = mediatype.Activity
	// MediaTypeLDActivity is the JSON-LD form with the ActivityStreams profile.
	MediaTypeLDActivity = mediatype.ActivityLD
)

// ActorID returns the href of the first link with rel "self" whose type is
// [MediaTypeActivity] or [MediaTypeLDActivity] (compared as media types, so parameter spacing and
// case do not matter) and whose href is an absolute http(s) URL. It returns an error matching
// [ErrNoActor] when there is none.
func (j *JRD) ActorID() (string, error) {
	if j == nil {
		return "", fmt.Errorf("webfinger: actor id: %w", ErrNoActor)
	}
	for _, l := range j.Links {
		if l.Rel != "self" || !mediatype.IsActivityStreams(l.Type) {
			continue
		}
		u, err := url.Parse(l.Href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			continue
		}
		return l.Href, nil
	}
	return "", fmt.Errorf("webfinger: actor id of %q: %w", j.Subject, ErrNoActor)
}
