package activitypub

import (
	"html/template"
	"strings"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// This file holds helpers for the site's own HTML pages: the tags that let fediverse servers find
// the AS2 version of a page, credit its author on link previews and verify profile links.

// AlternateLink returns the <link rel="alternate" type="application/activity+json"> tag that points
// fediverse servers from an article's HTML page to its AS2 object, for the page's <head>. Mastodon
// and others follow it when someone pastes the page's URL into their search and the page was
// fetched as HTML (INTEROP §3). objectURL is the URL the article was published under, which is
// its id; it returns "" for a URL that is not on the site's origin, since only local objects can
// be served. Use it on the pages of published articles.
func (f *Federation) AlternateLink(objectURL string) template.HTML {
	if !f.urls.local(objectURL) || !absHTTP(objectURL) {
		return ""
	}
	return template.HTML(`<link rel="alternate" type="` + vocab.MediaType + `" href="` +
		template.HTMLEscapeString(objectURL) + `">`)
}

// Handle returns the fediverse handle of the site actor with that username, "@name@host" with
// Config.WebFingerDomain or else the host of Config.BaseURL, as WebFinger resolves it. It does
// not check that the actor exists.
func (f *Federation) Handle(username string) string {
	return "@" + username + "@" + f.acctHost
}

// CreatorMeta returns the <meta name="fediverse:creator"> tag naming the author of a page, for the
// page's <head>. Mastodon (4.3+) shows that account as the author on the page's link preview when
// the account lists the page's domain in its attributionDomains. handle is "@user@host" (the
// leading @ may be left out), the author's own account or a site actor's [Federation.Handle]; it
// returns "" when handle is not of that form.
func CreatorMeta(handle string) template.HTML {
	user, host, ok := splitHandle(strings.TrimSpace(handle))
	if !ok {
		return ""
	}
	return template.HTML(`<meta name="fediverse:creator" content="` +
		template.HTMLEscapeString("@"+user+"@"+host) + `">`)
}

// MeLink returns a <link rel="me"> tag pointing at profileURL, for the <head> of a page that a
// fediverse profile links to. Mastodon marks a profile's link as verified when the linked page
// carries rel="me" back to the profile's URL: for a site actor that is its Actor.ProfileURL, or its
// [Federation.ActorID] when it has none; for an author's own account, that account's profile
// page. It returns "" when profileURL is not an absolute http(s) URL.
func MeLink(profileURL string) template.HTML {
	if !absHTTP(profileURL) {
		return ""
	}
	return template.HTML(`<link rel="me" href="` + template.HTMLEscapeString(profileURL) + `">`)
}
