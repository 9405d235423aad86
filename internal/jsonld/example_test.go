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
