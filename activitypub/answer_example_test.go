package activitypub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// A reader writes @news a direct message and an editor answers it as @news: the answer is a Note
// in reply to the message, mentioning the reader, sent to the reader alone.
func ExampleFederation_Answer() {
	ctx := context.Background()
	fed, rec, err := activitypubtest.NewFederation(activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != "news" {
			return nil, activitypub.ErrNotFound
		}
		return &activitypub.Actor{Username: "news", Type: "Organization", Name: "Example News"}, nil
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	carol := rec.NewAccount("carol@social.example")
	dm, err := carol.DM(ctx, fed.ActorID("news"), "<p>The bridge sign is wrong.</p>")
	if err != nil {
		log.Fatal(err)
	}
	id, err := fed.Answer(ctx, "news", activitypub.Answer{InReplyTo: dm.Object.ID(), Content: "<p>Thanks, fixed.</p>"})
	if err != nil {
		log.Fatal(err)
	}
	create, err := rec.WaitFor(ctx, activitypubtest.About("Create", id))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(create.Inbox, create.Object.To.IDs(), create.Object.InReplyTo.ID() == dm.Object.ID())
	// Output: https://social.example/inbox [https://social.example/users/carol] true
}
