package gofed_test

import (
	"context"
	"fmt"
	"log"

	streamsvocab "code.superseriousbusiness.org/activity/streams/vocab"

	"github.com/fedsite/fedsite/activitypub/gofed"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// A host built on go-fed's types receives a fedsite Object, works on the go-fed Note and hands it
// back.
func Example() {
	o, err := vocab.Decode([]byte(`{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id": "https://news.example/articles/1",
		"type": "Note",
		"content": "<p>Hello, fediverse</p>",
		"to": ["https://www.w3.org/ns/activitystreams#Public"]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	t, err := gofed.ToType(context.Background(), o)
	if err != nil {
		log.Fatal(err)
	}
	note := t.(streamsvocab.ActivityStreamsNote)
	fmt.Println(note.GetJSONLDId().Get())
	fmt.Println(note.GetActivityStreamsContent().At(0).GetXMLSchemaString())

	back, err := gofed.FromType(note)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Type.First(), back.To.HasPublic())
	// Output:
	// https://news.example/articles/1
	// <p>Hello, fediverse</p>
	// Note true
}
