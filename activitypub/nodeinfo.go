package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// ActorLister is an optional capability of an [ActorSource]: the source can list every actor the
// site federates. NodeInfo uses it to count users and posts. Without it, NodeInfo states no user
// count and no post count, which the schema allows.
type ActorLister interface {
	// FederatedActorNames returns the usernames of every actor the site federates, in any order.
	FederatedActorNames(ctx context.Context) ([]string, error)
}

// siteActorNames returns the usernames lister lists, each once, leaving out those that are not
// usernames.
func siteActorNames(ctx context.Context, lister ActorLister) ([]string, error) {
	names, err := lister.FederatedActorNames(ctx)
	if err != nil {
		return nil, fmt.Errorf("list actors: %w", err)
	}
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] && usernameRE.MatchString(n) {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// NodeInfo (internal/corpus/data/nodeinfo/PROTOCOL.md): the discovery document at /.well-known/nodeinfo
// links to one document per schema version, at /ap/nodeinfo/{version}.
const (
	nodeInfoRel = "http://nodeinfo.diaspora.software/ns/schema/"
	// nodeInfoTTL is how long the counts are reused: crawlers poll NodeInfo, and each rebuild asks
	// the store two questions per actor.
	nodeInfoTTL = time.Minute
	// modulePath is fedsite's module, whose version NodeInfo reports.
	modulePath = "github.com/fedsite/fedsite"
)

// nodeInfoSchema is a NodeInfo schema version fedsite serves, and the Content-Type its document
// is served with.
type nodeInfoSchema struct{ version, contentType string }

// nodeInfoSchemas are the versions served, in the order /.well-known/nodeinfo links them. Each
// consumer picks its own link and checks the Content-Type its own way:
//   - Misskey and its forks take the 2.1 link, else 2.0, and read any JSON
//     (FetchInstanceMetadataService.fetchNodeinfo);
//   - Akkoma and Pleroma take only the 2.0 link (Instance.scrape_nodeinfo);
//   - GoToSocial takes the last link whose rel starts with the schema 2 prefix and reads the
//     document only as application/json or with the 2.0 profile; served with the 2.1 profile it
//     is refused and the site recorded without a software name (gotosocial
//     internal/transport/derefinstance.go, internal/api/util/mime.go).
//
// So 2.0 comes last, with the 2.0 profile the protocol asks for, and 2.1 is served as plain
// application/json, as Mastodon serves its own 2.1 document: every consumer reads either, and
// GoToSocial reads whichever of the two links it takes.
func nodeInfoSchemas() []nodeInfoSchema {
	return []nodeInfoSchema{
		{version: "2.1", contentType: "application/json"},
		{version: "2.0", contentType: `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"`},
	}
}

// nodeInfo is the NodeInfo 2.1 document; the 2.0 document is the same without software's
// repository and homepage. The schemas forbid members they do not define, so the struct has
// exactly their members; optional counts are pointers, left out when unknown.
type nodeInfo struct {
	Version           string           `json:"version"`
	Software          nodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          nodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             nodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

type nodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

type nodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

type nodeInfoUsage struct {
	Users      nodeInfoUsers `json:"users"`
	LocalPosts *int          `json:"localPosts,omitempty"`
}

type nodeInfoUsers struct {
	Total          *int `json:"total,omitempty"`
	ActiveHalfyear *int `json:"activeHalfyear,omitempty"`
	ActiveMonth    *int `json:"activeMonth,omitempty"`
}

// serveNodeInfoLinks answers /.well-known/nodeinfo with the links to the documents. It is public
// and never needs a signature.
func (s *server) serveNodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var links []map[string]string
	for _, schema := range nodeInfoSchemas() {
		links = append(links, map[string]string{"rel": nodeInfoRel + schema.version, "href": s.urls.nodeInfo(schema.version)})
	}
	body, _ := json.Marshal(map[string]any{"links": links}) // strings only: cannot fail
	writeNodeInfo(w, r, "application/json", body)
}

// nodeInfoHandler serves the NodeInfo documents at /ap/nodeinfo/{version}, rebuilding them at
// most once per nodeInfoTTL.
type nodeInfoHandler struct {
	srv     *server
	version string

	mu    sync.Mutex
	docs  map[string][]byte // by schema version
	built time.Time
}

func newNodeInfoHandler(srv *server) *nodeInfoHandler {
	return &nodeInfoHandler{srv: srv, version: moduleVersion()}
}

func (h *nodeInfoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var schema nodeInfoSchema
	for _, s := range nodeInfoSchemas() {
		if s.version == r.PathValue("version") {
			schema = s
		}
	}
	if schema.version == "" {
		http.NotFound(w, r)
		return
	}
	docs, err := h.documents(r.Context())
	if err != nil {
		h.srv.log.LogAttrs(r.Context(), slog.LevelWarn, "activitypub: nodeinfo", slog.Any("err", err))
		http.Error(w, "nodeinfo unavailable", http.StatusInternalServerError)
		return
	}
	writeNodeInfo(w, r, schema.contentType, docs[schema.version])
}

// documents returns the cached documents by schema version, rebuilding them when they are older
// than nodeInfoTTL. Requests arriving during a rebuild wait for it rather than starting their own.
func (h *nodeInfoHandler) documents(ctx context.Context) (map[string][]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.srv.now()
	if h.docs != nil && now.Sub(h.built) < nodeInfoTTL && !now.Before(h.built) {
		return h.docs, nil
	}
	doc, err := h.srv.nodeInfo(ctx, h.version)
	if err != nil {
		return nil, err
	}
	docs := make(map[string][]byte)
	for _, s := range nodeInfoSchemas() {
		d := *doc
		d.Version = s.version
		if s.version == "2.0" {
			// Schema 2.0 knows only software's name and version.
			d.Software.Repository, d.Software.Homepage = "", ""
		}
		if docs[s.version], err = json.Marshal(&d); err != nil {
			return nil, fmt.Errorf("activitypub: nodeinfo: %w", err)
		}
	}
	h.docs, h.built = docs, now
	return docs, nil
}

// nodeInfo builds the document, without its schema version. Users are the site's actors (the
// instance actor is not one); active users are those whose newest outbox activity is at most 30
// or 180 days old; local posts are the activities in their outboxes, which deleted posts leave.
func (s *server) nodeInfo(ctx context.Context, version string) (*nodeInfo, error) {
	name := s.node.Name
	if name == "" {
		name = s.urls.hostname()
	}
	meta := map[string]any{"nodeName": name}
	if s.node.Description != "" {
		meta["nodeDescription"] = s.node.Description
	}
	doc := &nodeInfo{
		Software:  nodeInfoSoftware{Name: "fedsite", Version: version, Repository: "https://" + modulePath},
		Protocols: []string{"activitypub"},
		Services:  nodeInfoServices{Inbound: []string{}, Outbound: []string{}},
		Metadata:  meta,
	}
	lister, ok := s.actors.source.(ActorLister)
	if !ok {
		return doc, nil
	}
	names, err := siteActorNames(ctx, lister)
	if err != nil {
		return nil, fmt.Errorf("activitypub: nodeinfo: %w", err)
	}
	now := s.now()
	var users, posts, month, halfyear int
	for _, n := range names {
		users++
		id := s.urls.actor(n)
		c, err := store.CountOutbox(ctx, s.outbox, id)
		if err != nil {
			return nil, fmt.Errorf("activitypub: nodeinfo: outbox of %s: %w", id, err)
		}
		posts += c
		if c == 0 {
			continue
		}
		page, err := s.outbox.OutboxPage(ctx, id, "", 1)
		if err != nil {
			return nil, fmt.Errorf("activitypub: nodeinfo: outbox of %s: %w", id, err)
		}
		if len(page.Items) == 1 {
			age := now.Sub(page.Items[0].Published)
			if age <= 30*24*time.Hour {
				month++
			}
			if age <= 180*24*time.Hour {
				halfyear++
			}
		}
	}
	doc.Usage.Users = nodeInfoUsers{Total: &users, ActiveHalfyear: &halfyear, ActiveMonth: &month}
	doc.Usage.LocalPosts = &posts
	return doc, nil
}

// writeNodeInfo writes a public JSON document that browsers on other origins may read.
func writeNodeInfo(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=60")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// moduleVersion is fedsite's version as the Go toolchain recorded it in the binary: the version of
// the fedsite dependency, or of the main module when fedsite is built itself; "devel" when the
// build has no version (go run, go test, a checkout).
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if bi.Main.Path != modulePath {
		v = ""
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					v = d.Replace.Version
				}
			}
		}
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return strings.TrimPrefix(v, "v")
}
