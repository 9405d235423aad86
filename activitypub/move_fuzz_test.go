package activitypub

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// FuzzAliases reads alsoKnownAs from remote actor documents, as Move does with its target: every
// alias it returns must be a string of the document, so a target can only name what it says.
// Seeded with the corpus documents that carry alsoKnownAs.
func FuzzAliases(f *testing.F) {
	n := 0
	for _, c := range corpus.JSON(f, ".") {
		if strings.Contains(string(c.Data), "alsoKnownAs") {
			f.Add(c.Data)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no corpus document with alsoKnownAs")
	}
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","alsoKnownAs":"https://b.example/u"}`))
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","alsoKnownAs":[{"id":"https://b.example/u"},null,7]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := vocab.Decode(body)
		if err != nil {
			return
		}
		got := aliases(doc)
		if len(got) == 0 {
			return
		}
		var v any
		if err := json.Unmarshal(doc.Extra["alsoKnownAs"], &v); err != nil {
			t.Fatalf("alsoKnownAs %s gave aliases %q but is not JSON: %v", doc.Extra["alsoKnownAs"], got, err)
		}
		strs := map[string]bool{}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				strs[v] = true
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(v)
		for _, a := range got {
			if a != "" && !strs[a] {
				t.Fatalf("alias %q is not a string of alsoKnownAs %s", a, doc.Extra["alsoKnownAs"])
			}
		}
	})
}
