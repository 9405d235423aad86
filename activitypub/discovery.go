package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/fedsite/fedsite/webfinger"
)

// resolveWebFinger answers WebFinger for the site's actors and the instance actor, by acct: handle
// on the site's host or by actor URL. The self link's href is the actor id exactly: Mastodon
// refuses an actor whose WebFinger does not round-trip (INTEROP §1.1).
func (s *server) resolveWebFinger(ctx context.Context, r webfinger.Resource) (*webfinger.JRD, error) {
	var username string
	switch {
	case r.IsAcct():
		if !strings.EqualFold(r.Host, s.acctHost) && r.Host != s.urls.host() && r.Host != s.urls.hostname() {
			return nil, webfinger.ErrNotFound
		}
		username = strings.ToLower(r.User)
	case r.URL == s.urls.instanceActor():
		username = s.urls.hostname()
	default:
		username = s.urls.username(r.URL)
		if username == "" {
			return nil, webfinger.ErrNotFound
		}
	}
	// With a vanity domain the subject names it, whichever host was asked: Mastodon re-checks a
	// subject that differs from what it asked for, and it must point back to the same actor id.
	subject := "acct:" + username + "@" + s.acctHost
	if username == s.urls.hostname() {
		id := s.urls.instanceActor()
		return &webfinger.JRD{
			Subject: subject,
			Aliases: []string{id},
			Links:   []webfinger.Link{{Rel: "self", Type: webfinger.MediaTypeActivity, Href: id}},
		}, nil
	}
	// A deleted actor is gone, whatever the site still says (see DeleteActor): the Handler
	// answers 410, on which Mastodon deletes its copy of the account.
	if gone, err := s.actors.gone(ctx, s.urls.actor(username)); err != nil {
		return nil, err
	} else if gone {
		return nil, fmt.Errorf("activitypub: actor %q deleted: %w", username, webfinger.ErrGone)
	}
	a, err := s.actors.lookup(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return nil, webfinger.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	id := s.urls.actor(a.Username)
	if m := s.movedTo; m != nil {
		// A former handle resolves to the actor that moved, under its new handle: Mastodon
		// re-checks a subject that differs from the one asked for, on the new host, and finds
		// the same actor there.
		subject, id = "acct:"+a.Username+"@"+m.acctHost, m.urls.actor(a.Username)
	}
	jrd := &webfinger.JRD{
		Subject: subject,
		Aliases: []string{id},
		Links:   []webfinger.Link{{Rel: "self", Type: webfinger.MediaTypeActivity, Href: id}},
	}
	if a.ProfileURL != "" {
		jrd.Aliases = append(jrd.Aliases, a.ProfileURL)
		jrd.Links = append(jrd.Links, webfinger.Link{
			Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: a.ProfileURL,
		})
	}
	if a.IconURL != "" {
		jrd.Links = append(jrd.Links, webfinger.Link{Rel: "http://webfinger.net/rel/avatar", Href: a.IconURL})
	}
	return jrd, nil
}

// checkWebFingerDomain checks Config.WebFingerDomain: empty, or a bare host (with an optional
// port), which handles are made of.
func checkWebFingerDomain(d string) error {
	if d == "" {
		return nil
	}
	u, err := url.Parse("https://" + d)
	if err != nil || u.Host != d || u.User != nil || strings.ContainsAny(d, "/?#@") {
		return invalid("Config.WebFingerDomain", "%q is not a host name", d)
	}
	return nil
}
