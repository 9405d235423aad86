package activitypub

import (
	"net/url"
	"strings"
)

// urlLayout derives every ActivityPub URL from the base URL (see the package doc).
type urlLayout struct {
	base   string // scheme://host[:port], no trailing slash
	parsed *url.URL
}

const (
	prefix         = "/ap"
	usersPrefix    = prefix + "/users/"
	activityPrefix = prefix + "/activities/"
	keyFragment    = "#main-key"
	mainKeyName    = "main-key"
	edKeyName      = "ed25519-key"
)

func newURLLayout(base string) (urlLayout, error) {
	u, err := url.Parse(base)
	if err != nil {
		return urlLayout{}, invalid("BaseURL", "%v", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return urlLayout{}, invalid("BaseURL", "%q is not an absolute http(s) URL", base)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return urlLayout{}, invalid("BaseURL", "%q must be an origin without path, query or fragment", base)
	}
	u.Path = ""
	u.Host = strings.ToLower(u.Host)
	return urlLayout{base: u.Scheme + "://" + u.Host, parsed: u}, nil
}

// host is the host with port as it appears in acct: handles, e.g. "news.example.com".
func (l urlLayout) host() string { return l.parsed.Host }

// hostname is the host without port.
func (l urlLayout) hostname() string { return l.parsed.Hostname() }

func (l urlLayout) actor(username string) string { return l.base + usersPrefix + username }
func (l urlLayout) instanceActor() string        { return l.base + prefix + "/actor" }
func (l urlLayout) sharedInbox() string          { return l.base + prefix + "/inbox" }
func (l urlLayout) activity(id string) string    { return l.base + activityPrefix + id }

// username returns the username of a local actor IRI, or "" when the IRI is not one of ours.
func (l urlLayout) username(actorID string) string {
	rest, ok := strings.CutPrefix(actorID, l.base+usersPrefix)
	if !ok || rest == "" || strings.ContainsAny(rest, "/?#") {
		return ""
	}
	return rest
}

// local reports whether an IRI is on the site's origin.
func (l urlLayout) local(iri string) bool {
	u, err := url.Parse(iri)
	return err == nil && u.Scheme == l.parsed.Scheme && strings.EqualFold(u.Host, l.parsed.Host)
}
