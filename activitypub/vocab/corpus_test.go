package vocab_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// corpusFiles returns every .json payload of the corpus except the JSON-LD context documents in
// contexts/ and the JSON Schemas in nodeinfo/, which are not AS2 documents. WebFinger JRDs, NodeInfo
// examples and the expanded JSON-LD captures stay in: they must decode too (into Extra).
func corpusFiles(tb testing.TB) []corpus.File {
	tb.Helper()
	var files []corpus.File
	for _, f := range corpus.JSON(tb, ".") {
		if !strings.HasPrefix(f.Name, "contexts/") &&
			!(strings.HasPrefix(f.Name, "nodeinfo/") && strings.HasSuffix(f.Name, ".schema.json")) {
			files = append(files, f)
		}
	}
	return files
}

// generic decodes data without the package under test, keeping numbers exact.
func generic(tb testing.TB, data []byte) any {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("generic decode: %v", err)
	}
	return v
}

// gIRI reads an IRI the way a careful consumer would from generic JSON: a string, the id (or a
// Link's href) of an object, or the first element of an array.
func gIRI(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := x["id"].(string); ok && id != "" {
			return id
		}
		if href, ok := x["href"].(string); ok {
			return href
		}
	case []any:
		if len(x) > 0 {
			return gIRI(x[0])
		}
	}
	return ""
}

// gPEM returns the first publicKeyPem of a generic publicKey value.
func gPEM(v any) string {
	switch x := v.(type) {
	case map[string]any:
		s, _ := x["publicKeyPem"].(string)
		return s
	case []any:
		if len(x) > 0 {
			return gPEM(x[0])
		}
	}
	return ""
}

func TestCorpusDecode(t *testing.T) {
	activityTypes := []string{"Follow", "Undo", "Create", "Accept", "Announce", "Like", "Delete", "Update"}
	var files, actors, withShared, withPEM, activities, withBoth int
	for _, f := range corpusFiles(t) {
		t.Run(f.Name, func(t *testing.T) {
			o, err := vocab.Decode(f.Data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			files++
			g, _ := generic(t, f.Data).(map[string]any)
			if o.IsActor() {
				actors++
				// Some AS2 spec examples describe anonymous actors; the id must match whatever is there.
				if want, _ := g["id"].(string); o.ID != want {
					t.Errorf("actor id = %q, want %q", o.ID, want)
				}
				if want := gIRI(g["inbox"]); o.Inbox != want {
					t.Errorf("inbox = %q, want %q", o.Inbox, want)
				}
				want := ""
				if ep, ok := g["endpoints"].(map[string]any); ok {
					want = gIRI(ep["sharedInbox"])
				}
				if want == "" {
					want = gIRI(g["sharedInbox"])
				}
				if got := o.SharedInboxIRI(); got != want {
					t.Errorf("SharedInboxIRI() = %q, want %q", got, want)
				}
				if want != "" {
					withShared++
				}
				if pem := gPEM(g["publicKey"]); pem != "" {
					withPEM++
					if len(o.PublicKey) == 0 || o.PublicKey[0].PublicKeyPem != pem {
						t.Errorf("publicKey PEM not decoded; keys = %+v", o.PublicKey)
					}
				}
			}
			for _, typ := range activityTypes {
				if !o.Type.Has(typ) {
					continue
				}
				activities++
				wantActor, wantObject := gIRI(g["actor"]), gIRI(g["object"])
				// A few spec examples and test fixtures embed objects without ids, so an empty id is
				// correct exactly when the file has none; the count below keeps the check honest.
				if got := o.Actor.ID(); got != wantActor {
					t.Errorf("%s actor = %q, want %q", typ, got, wantActor)
				}
				if got := o.Object.ID(); got != wantObject {
					t.Errorf("%s object = %q, want %q", typ, got, wantObject)
				}
				if o.Actor.ID() != "" && o.Object.ID() != "" {
					withBoth++
				}
				break
			}
		})
	}
	t.Logf("decoded %d files: %d actors (%d with a shared inbox, %d with a PEM key), %d activities (%d with actor and object ids)",
		files, actors, withShared, withPEM, activities, withBoth)
	// Guard against a walk that silently finds nothing to check.
	if files < 500 || actors < 80 || withShared < 40 || withPEM < 60 || activities < 110 || withBoth < 100 {
		t.Errorf("corpus coverage too small: files=%d actors=%d shared=%d pem=%d activities=%d with ids=%d",
			files, actors, withShared, withPEM, activities, withBoth)
	}
}
