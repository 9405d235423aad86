package fedifypeer_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

// ExampleStart shows a test driving the peer. It has no Output line, so
// `go test` compiles it but does not run it: it needs npm and Node.js.
// In tests, prefer [fedifypeer.StartForTest].
func ExampleStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := fedifypeer.Start(ctx, fedifypeer.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// Have Fedify's alice follow an actor of the server under test.
	followID, err := p.Follow(ctx, "http://127.0.0.1:8080/users/editor")
	if err != nil {
		log.Fatal(err)
	}
	// Wait until the server under test accepts.
	accept, err := p.WaitFor(ctx, func(a fedifypeer.Activity) bool {
		return a.Type == "Accept" && a.Verified
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(followID, accept.ID)
}
