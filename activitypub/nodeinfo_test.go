package activitypub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store/memstore"
)

// validateSchema checks v (decoded with encoding/json) against the subset of JSON Schema draft 4
// the NodeInfo schemas use: type, enum, pattern, required, properties, additionalProperties
// (boolean), items, minItems, minimum and minProperties. It returns every violation, with its path.
func validateSchema(schema map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			fail("%v not in enum %v", v, enum)
		}
	}
	if t, ok := schema["type"].(string); ok {
		okType := false
		switch t {
		case "object":
			_, okType = v.(map[string]any)
		case "array":
			_, okType = v.([]any)
		case "string":
			_, okType = v.(string)
		case "boolean":
			_, okType = v.(bool)
		case "integer":
			n, isNum := v.(float64)
			okType = isNum && n == float64(int64(n))
		case "number":
			_, okType = v.(float64)
		default:
			fail("validator does not know type %q", t)
		}
		if !okType {
			fail("%v (%T) is not of type %s", v, v, t)
			return errs
		}
	}
	if p, ok := schema["pattern"].(string); ok {
		if s, isStr := v.(string); isStr && !regexp.MustCompile(p).MatchString(s) {
			fail("%q does not match %s", s, p)
		}
	}
	if m, ok := schema["minimum"].(float64); ok {
		if n, isNum := v.(float64); isNum && n < m {
			fail("%v < minimum %v", n, m)
		}
	}
	if arr, isArr := v.([]any); isArr {
		if m, ok := schema["minItems"].(float64); ok && float64(len(arr)) < m {
			fail("%d items, want at least %v", len(arr), m)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				errs = append(errs, validateSchema(items, x, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	if obj, isObj := v.(map[string]any); isObj {
		if m, ok := schema["minProperties"].(float64); ok && float64(len(obj)) < m {
			fail("%d properties, want at least %v", len(obj), m)
		}
		for _, r := range asSlice(schema["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("required %q missing", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if sub, ok := props[k].(map[string]any); ok {
				errs = append(errs, validateSchema(sub, obj[k], path+"."+k)...)
			} else if ap, ok := schema["additionalProperties"].(bool); ok && !ap {
				fail("additional property %q", k)
			}
		}
	}
	return errs
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// loadJSON decodes the corpus file called name.
func loadJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(corpus.ReadFile(t, name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// TestSchemaValidator shows the validator catches what the schema forbids, on the corpus's own
// examples: the 2.1 example passes, the 2.0 example fails on its version, and edited copies fail
// for the reason edited in.
func TestSchemaValidator(t *testing.T) {
	schema := loadJSON(t, "nodeinfo/nodeinfo_2.1.schema.json")
	// Loaded here, not in the edit below: the edits run in subtests, which must not end this test.
	v20 := loadJSON(t, "nodeinfo/nodeinfo_2.0.example.json")
	cases := []struct {
		name string
		edit func(doc map[string]any) map[string]any
		want string // substring of the first violation; "" for valid
	}{
		{"2.1 example", func(d map[string]any) map[string]any { return d }, ""},
		{"2.0 example", func(map[string]any) map[string]any { return v20 }, "not in enum"},
		{"extra top-level member", func(d map[string]any) map[string]any { d["instance"] = map[string]any{}; return d }, `additional property "instance"`},
		{"missing usage", func(d map[string]any) map[string]any { delete(d, "usage"); return d }, `required "usage"`},
		{"software name pattern", func(d map[string]any) map[string]any {
			d["software"].(map[string]any)["name"] = "FedSite"
			return d
		}, "does not match"},
		{"no protocols", func(d map[string]any) map[string]any { d["protocols"] = []any{}; return d }, "at least 1"},
		{"unknown protocol", func(d map[string]any) map[string]any { d["protocols"] = []any{"nostr"}; return d }, "not in enum"},
		{"negative users", func(d map[string]any) map[string]any {
			d["usage"].(map[string]any)["users"].(map[string]any)["total"] = -1.0
			return d
		}, "minimum"},
		{"fractional posts", func(d map[string]any) map[string]any { d["usage"].(map[string]any)["localPosts"] = 1.5; return d }, "integer"},
		{"string registrations", func(d map[string]any) map[string]any { d["openRegistrations"] = "no"; return d }, "boolean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := c.edit(loadJSON(t, "nodeinfo/nodeinfo_2.1.example.json"))
			errs := validateSchema(schema, any(doc), "$")
			switch {
			case c.want == "" && len(errs) > 0:
				t.Errorf("valid document rejected: %v", errs)
			case c.want != "" && (len(errs) == 0 || !strings.Contains(errs[0], c.want)):
				t.Errorf("violations %v, want one containing %q", errs, c.want)
			}
		})
	}
}

// lister is an ActorSource that can list its actors.
type lister struct{ names []string }

func (l lister) FederatedActor(_ context.Context, name string) (*activitypub.Actor, error) {
	for _, n := range l.names {
		if n == name {
			return &activitypub.Actor{Username: name}, nil
		}
	}
	return nil, activitypub.ErrNotFound
}

func (l lister) FederatedActorNames(context.Context) ([]string, error) { return l.names, nil }

// clock is a settable time source safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// nodeInfoSchemas are the schema versions fedsite serves, in the order the discovery document
// links them, with the Content-Type of each document.
var nodeInfoSchemas = []struct{ version, contentType string }{
	{"2.1", "application/json"},
	{"2.0", `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"`},
}

// nodeInfoLinks fetches the discovery document.
func nodeInfoLinks(t *testing.T, h http.Handler) []struct{ Rel, Href string } {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, renderBase+"/.well-known/nodeinfo", nil))
	var links struct{ Links []struct{ Rel, Href string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &links); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("well-known: %d %s %v", rec.Code, rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("well-known Content-Type %q", ct)
	}
	return links.Links
}

func TestNodeInfo(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		actors     activitypub.ActorSource
		nodeName   string
		publish    map[string][]time.Time // per actor, the publication times of its articles
		wantUsers  any                    // usage.users as decoded JSON
		wantPosts  any
		wantNodeNm string
	}{
		{
			name:   "lister with three actors",
			actors: lister{names: []string{"news", "desk", "archive", "news"}}, nodeName: "Example News",
			publish: map[string][]time.Time{
				"news":    {now.Add(-time.Hour), now.Add(-2 * time.Hour)},
				"desk":    {now.Add(-90 * 24 * time.Hour)},
				"archive": {now.Add(-400 * 24 * time.Hour)},
			},
			wantUsers:  map[string]any{"total": 3.0, "activeMonth": 1.0, "activeHalfyear": 2.0},
			wantPosts:  4.0,
			wantNodeNm: "Example News",
		},
		{
			name: "source without the capability",
			actors: activitypub.ActorSourceFunc(func(_ context.Context, n string) (*activitypub.Actor, error) {
				return &activitypub.Actor{Username: n}, nil
			}),
			publish:    map[string][]time.Time{"news": {now}},
			wantUsers:  map[string]any{},
			wantPosts:  nil,
			wantNodeNm: "news.example.com",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{now: now}
			fed, err := activitypub.New(activitypub.Config{
				BaseURL: renderBase, Store: memstore.New(), Actors: c.actors, Now: clk.Now,
				Node: activitypub.Node{Name: c.nodeName, Description: "Local news"},
				// NodeInfo must stay public even when everything else needs a signature.
				RequireSignedFetch: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for actor, times := range c.publish {
				for i, at := range times {
					a := activitypub.Article{URL: fmt.Sprintf("%s/articles/%s-%d", renderBase, actor, i), Title: "T", Published: at}
					if err := fed.Publish(ctx, actor, a); err != nil {
						t.Fatal(err)
					}
				}
			}
			h := fed.Middleware(http.NotFoundHandler())

			// Discovery document: one link per schema version.
			links := nodeInfoLinks(t, h)
			if len(links) != len(nodeInfoSchemas) {
				t.Fatalf("links = %+v, want %d", links, len(nodeInfoSchemas))
			}
			for i, s := range nodeInfoSchemas {
				if links[i].Rel != "http://nodeinfo.diaspora.software/ns/schema/"+s.version ||
					links[i].Href != renderBase+"/ap/nodeinfo/"+s.version {
					t.Fatalf("link %d = %+v, want schema %s", i, links[i], s.version)
				}
			}

			// The documents, through the links.
			get := func(href, contentType string) map[string]any {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, href, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("nodeinfo: %d %s", rec.Code, rec.Body)
				}
				if ct := rec.Header().Get("Content-Type"); ct != contentType {
					t.Errorf("%s: Content-Type %q, want %q", href, ct, contentType)
				}
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Access-Control-Allow-Origin %q", got)
				}
				var doc map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				return doc
			}
			for i, s := range nodeInfoSchemas {
				schema := loadJSON(t, "nodeinfo/nodeinfo_"+s.version+".schema.json")
				doc := get(links[i].Href, s.contentType)
				if errs := validateSchema(schema, any(doc), "$"); len(errs) > 0 {
					t.Errorf("not valid against the %s schema: %v\n%v", s.version, errs, doc)
				}
				usage := doc["usage"].(map[string]any)
				meta := doc["metadata"].(map[string]any)
				checks := []struct {
					name      string
					got, want any
				}{
					{"software", doc["software"].(map[string]any)["name"], "fedsite"},
					{"version", doc["version"], s.version},
					{"protocols", doc["protocols"], []any{"activitypub"}},
					{"openRegistrations", doc["openRegistrations"], false},
					{"users", usage["users"], c.wantUsers},
					{"localPosts", usage["localPosts"], c.wantPosts},
					{"nodeName", meta["nodeName"], c.wantNodeNm},
					{"nodeDescription", meta["nodeDescription"], "Local news"},
				}
				for _, ch := range checks {
					if !equalJSON(ch.got, ch.want) {
						t.Errorf("%s: %s = %v, want %v", s.version, ch.name, ch.got, ch.want)
					}
				}
			}

			// Counts are cached for a minute, then rebuilt.
			if _, ok := c.actors.(activitypub.ActorLister); ok {
				if err := fed.Publish(ctx, "news", activitypub.Article{URL: renderBase + "/articles/late", Title: "T"}); err != nil {
					t.Fatal(err)
				}
				for i, s := range nodeInfoSchemas {
					if got := get(links[i].Href, s.contentType)["usage"].(map[string]any)["localPosts"]; got != c.wantPosts {
						t.Errorf("%s: within the minute localPosts = %v, want the cached %v", s.version, got, c.wantPosts)
					}
				}
				clk.add(2 * time.Minute)
				for i, s := range nodeInfoSchemas {
					if got := get(links[i].Href, s.contentType)["usage"].(map[string]any)["localPosts"]; got != c.wantPosts.(float64)+1 {
						t.Errorf("%s: after the minute localPosts = %v, want %v", s.version, got, c.wantPosts.(float64)+1)
					}
				}
				// A deleted post no longer counts.
				if err := fed.Delete(ctx, "news", renderBase+"/articles/late"); err != nil {
					t.Fatal(err)
				}
				clk.add(2 * time.Minute)
				for i, s := range nodeInfoSchemas {
					if got := get(links[i].Href, s.contentType)["usage"].(map[string]any)["localPosts"]; got != c.wantPosts {
						t.Errorf("%s: after a delete localPosts = %v, want %v", s.version, got, c.wantPosts)
					}
				}
			}
		})
	}
}

// TestNodeInfoConsumers reads fedsite's NodeInfo the way the servers that consume NodeInfo do,
// each by the rules of its own parser: which link it follows and which Content-Type it accepts.
// Each must find the software name and the site's name.
func TestNodeInfoConsumers(t *testing.T) {
	const rel = "http://nodeinfo.diaspora.software/ns/schema/"
	byRel := func(versions ...string) func(links []struct{ Rel, Href string }) string {
		return func(links []struct{ Rel, Href string }) string {
			for _, v := range versions {
				for _, l := range links {
					if l.Rel == rel+v {
						return l.Href
					}
				}
			}
			return ""
		}
	}
	anyJSON := func(string) bool { return true }
	consumers := []struct {
		name string
		pick func(links []struct{ Rel, Href string }) string
		// accepts reports whether the consumer reads a document served with that Content-Type.
		accepts func(contentType string) bool
	}{
		// superseriousbusiness/gotosocial internal/transport/derefinstance.go: the last link whose
		// rel starts with the schema 2 prefix; internal/api/util/mime.go NodeInfo2ContentType:
		// application/json alone or with the 2.0 profile, charset utf-8 allowed.
		{"GoToSocial", func(links []struct{ Rel, Href string }) string {
			href := ""
			for _, l := range links {
				if l.Href != "" && strings.HasPrefix(l.Rel, rel+"2") {
					href = l.Href
				}
			}
			return href
		}, func(ct string) bool {
			var params []string
			for _, p := range strings.Split(ct, ";") {
				if p = strings.TrimSpace(p); p != "charset=utf-8" {
					params = append(params, p)
				}
			}
			switch len(params) {
			case 1:
				return params[0] == "application/json"
			case 2:
				return params[0] == "application/json" && (params[1] == `profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"` ||
					params[1] == "profile=http://nodeinfo.diaspora.software/ns/schema/2.0#")
			}
			return false
		}},
		// misskey-dev/misskey FetchInstanceMetadataService.fetchNodeinfo: 2.1, else 2.0, else 1.0;
		// any Content-Type.
		{"Misskey", byRel("2.1", "2.0", "1.0"), anyJSON},
		// Akkoma and Pleroma Instance.scrape_nodeinfo: the 2.0 link only; any Content-Type.
		{"Akkoma", byRel("2.0"), anyJSON},
		// The NodeInfo protocol: the highest version the client supports.
		{"NodeInfo protocol client", byRel("2.2", "2.1", "2.0"), anyJSON},
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: renderBase, Store: memstore.New(), Actors: lister{names: []string{"news"}}, Node: activitypub.Node{Name: "The Daily Test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := fed.Middleware(http.NotFoundHandler())
	links := nodeInfoLinks(t, h)
	for _, c := range consumers {
		t.Run(c.name, func(t *testing.T) {
			href := c.pick(links)
			if href == "" {
				t.Fatalf("no link it follows in %+v", links)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, href, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", href, rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); !c.accepts(ct) {
				t.Fatalf("GET %s: Content-Type %q refused", href, ct)
			}
			var doc struct {
				Software struct{ Name string }
				Metadata struct{ NodeName string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Software.Name != "fedsite" || doc.Metadata.NodeName != "The Daily Test" {
				t.Errorf("GET %s: software %q, nodeName %q; want fedsite, The Daily Test", href, doc.Software.Name, doc.Metadata.NodeName)
			}
		})
	}
}

func TestNodeInfoMethods(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeDefault)
	h := fed.Middleware(http.NotFoundHandler())
	cases := []struct {
		method, path string
		want         int
	}{
		{http.MethodHead, "/.well-known/nodeinfo", http.StatusOK},
		{http.MethodPost, "/.well-known/nodeinfo", http.StatusMethodNotAllowed},
		{http.MethodHead, "/ap/nodeinfo/2.1", http.StatusOK},
		{http.MethodPost, "/ap/nodeinfo/2.1", http.StatusMethodNotAllowed},
		{http.MethodGet, "/ap/nodeinfo/2.0", http.StatusOK},
		{http.MethodHead, "/ap/nodeinfo/2.0", http.StatusOK},
		{http.MethodGet, "/ap/nodeinfo/2.2", http.StatusNotFound},
		{http.MethodGet, "/ap/nodeinfo/1.0", http.StatusNotFound},
		{http.MethodGet, "/ap/nodeinfo/", http.StatusNotFound},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, renderBase+c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
		if c.method == http.MethodHead && rec.Body.Len() != 0 {
			t.Errorf("%s %s: body of %d bytes", c.method, c.path, rec.Body.Len())
		}
	}
}
