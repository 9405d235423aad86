package activitypub

import (
	"net/url"
	"strings"
)

// urlLayout derives every ActivityPub URL from the base URL (see the package doc), and the routes
// below declare the same paths as http.ServeMux patterns: this file is the only author of both.
type urlLayout struct {
	base   string // scheme://host[:port], no trailing slash
	parsed *url.URL
}

const (
	prefix            = "/ap"
	usersPrefix       = prefix + "/users/"
	activityPrefix    = prefix + "/activities/"
	notePrefix        = prefix + "/notes/"
	instanceActorPath = prefix + "/actor"
	sharedInboxPath   = prefix + "/inbox"
	nodeInfoPath      = prefix + "/nodeinfo/"
	nodeInfoWellKnown = "/.well-known/nodeinfo"
	tagsPath          = "/tags/"

	// An actor's documents sit below its IRI.
	inboxSegment     = "/inbox"
	outboxSegment    = "/outbox"
	followersSegment = "/followers"
	followingSegment = "/following"
	featuredSegment  = "/featured"

	mainKeyName = "main-key"
	edKeyName   = "ed25519-key"
	keyFragment = "#" + mainKeyName
)

// The routes of the layout, as http.ServeMux patterns.
const (
	routeInstanceActor = "GET " + instanceActorPath
	routeActor         = "GET " + usersPrefix + "{name}"
	routeActorInbox    = "POST " + usersPrefix + "{name}" + inboxSegment
	routeOutbox        = "GET " + usersPrefix + "{name}" + outboxSegment
	routeFollowers     = "GET " + usersPrefix + "{name}" + followersSegment
	routeFollowing     = "GET " + usersPrefix + "{name}" + followingSegment
	routeFeatured      = "GET " + usersPrefix + "{name}" + featuredSegment
	routeSharedInbox   = "POST " + sharedInboxPath
	routeActivity      = "GET " + activityPrefix + "{id}"
	routeNote          = "GET " + notePrefix + "{id}"
	routeNodeInfo      = "GET " + nodeInfoPath + "{version}"
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

func (l urlLayout) actor(username string) string   { return l.base + usersPrefix + username }
func (l urlLayout) instanceActor() string          { return l.base + instanceActorPath }
func (l urlLayout) sharedInbox() string            { return l.base + sharedInboxPath }
func (l urlLayout) activity(id string) string      { return l.base + activityPrefix + id }
func (l urlLayout) note(id string) string          { return l.base + notePrefix + id }
func (l urlLayout) nodeInfo(version string) string { return l.base + nodeInfoPath + version }

// The documents of an actor, by the actor's IRI.
func (l urlLayout) inbox(actorID string) string     { return actorID + inboxSegment }
func (l urlLayout) outbox(actorID string) string    { return actorID + outboxSegment }
func (l urlLayout) followers(actorID string) string { return actorID + followersSegment }
func (l urlLayout) following(actorID string) string { return actorID + followingSegment }
func (l urlLayout) featured(actorID string) string  { return actorID + featuredSegment }
func (l urlLayout) mainKey(actorID string) string   { return actorID + keyFragment }
func (l urlLayout) edKey(actorID string) string     { return actorID + "#" + edKeyName }

// tag is the site's default page for a hashtag (Config.Publishing.TagURL replaces it).
func (l urlLayout) tag(name string) string {
	return l.base + tagsPath + url.PathEscape(strings.ToLower(name))
}

// page is the URL of one page of the collection collID; cursor "" is the first.
func (l urlLayout) page(collID, cursor string) string {
	if cursor == "" {
		return collID + "?page=true"
	}
	return collID + "?page=true&cursor=" + url.QueryEscape(cursor)
}

// requestURL is the site's URL of a request's path and query (http.Request.RequestURI).
func (l urlLayout) requestURL(requestURI string) string { return l.base + requestURI }

// isRoutePath reports whether a request path is one of fedsite's own /ap/ routes.
func isRoutePath(p string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// inRoutes reports whether an IRI is under fedsite's own /ap/ routes on the site's origin.
func (l urlLayout) inRoutes(iri string) bool { return strings.HasPrefix(iri, l.base+prefix+"/") }

// isNote reports whether an IRI is one of the site's notes: an answer of a site actor.
func (l urlLayout) isNote(iri string) bool {
	rest, ok := strings.CutPrefix(iri, l.base+notePrefix)
	return ok && rest != "" && !strings.ContainsAny(rest, "/?#")
}

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
