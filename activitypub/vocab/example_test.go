package vocab_test

import (
	"fmt"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// A Follow as Mastodon delivers it, and a Create as a Fedify-based server (Ghost) sends it: compact
// "as:Public", a string cc, an embedded Note.
func ExampleDecode() {
	follow, err := vocab.Decode([]byte(`{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id": "https://mastodon.example/users/alice#follows/1",
		"type": "Follow",
		"actor": "https://mastodon.example/users/alice",
		"object": "https://news.example/actors/desk"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(follow.Type.First(), follow.Actor.ID(), "->", follow.Object.ID())

	create, err := vocab.Decode([]byte(`{
		"type": "Create",
		"actor": {"id": "https://ghost.example/users/index", "type": "Person"},
		"to": "as:Public",
		"cc": "https://ghost.example/users/index/followers",
		"object": {"id": "https://ghost.example/note/1", "type": "Note", "content": "<p>Hi</p>",
		           "published": "2025-01-02T03:04:05+00:00", "likeCount": 12345678901234567890}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	note := create.Object.Object
	fmt.Println(create.Actor.ID(), create.To.HasPublic(), note.Content, note.Published.Format("2006-01-02"))
	out, _ := note.MarshalJSON()
	fmt.Println(string(out))
	// Output:
	// Follow https://mastodon.example/users/alice -> https://news.example/actors/desk
	// https://ghost.example/users/index true <p>Hi</p> 2025-01-02
	// {"id":"https://ghost.example/note/1","type":"Note","content":"<p>Hi</p>","published":"2025-01-02T03:04:05Z","likeCount":12345678901234567890}
}
