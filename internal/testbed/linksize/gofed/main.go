// Command gofed is the memstore program plus the go-fed bridge, for the bridge's binary cost in
// BENCHMARKS.md: it converts the actor it serves to go-fed's Organization type at start-up.
package main

import (
	"context"
	"log"

	"github.com/fedsite/fedsite/activitypub/gofed"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/testbed/linksize"
	"github.com/fedsite/fedsite/store/memstore"
)

func main() {
	ctx := context.Background()
	actor := &vocab.Object{Type: vocab.Types{"Organization"}, ID: "http://127.0.0.1:8080/users/news"}
	if _, err := gofed.ToType(ctx, actor); err != nil {
		log.Fatal(err)
	}
	log.Fatal(linksize.Serve(ctx, memstore.New()))
}
