package jsonld_test

import (
	"fmt"

	"github.com/fedsite/fedsite/internal/jsonld"
)

// A Follow in expanded JSON-LD, compacted into the form the lean decoder reads.
func ExampleProcessor_Compact() {
	p, err := jsonld.New()
	if err != nil {
		panic(err)
	}
	out, err := p.Compact([]byte(`[{
		"@id": "https://a.example/follows/1",
		"@type": ["https://www.w3.org/ns/activitystreams#Follow"],
		"https://www.w3.org/ns/activitystreams#actor": [{"@id": "https://a.example/users/alice"}],
		"https://www.w3.org/ns/activitystreams#object": [{"@id": "https://b.example/users/news"}]
	}]`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"actor":"https://a.example/users/alice","id":"https://a.example/follows/1","object":"https://b.example/users/news","type":"Follow"}
}

// The canonical N-Quads of a Follow, which an LD signature hashes: the same whatever the member
// order or the form, compact or expanded.
func ExampleProcessor_Normalize() {
	p, err := jsonld.New()
	if err != nil {
		panic(err)
	}
	nq, err := p.Normalize(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       "https://a.example/follows/1",
		"type":     "Follow",
		"actor":    "https://a.example/users/alice",
		"object":   "https://b.example/users/news",
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(nq))
	// Output:
	// <https://a.example/follows/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/activitystreams#Follow> .
	// <https://a.example/follows/1> <https://www.w3.org/ns/activitystreams#actor> <https://a.example/users/alice> .
	// <https://a.example/follows/1> <https://www.w3.org/ns/activitystreams#object> <https://b.example/users/news> .
}
