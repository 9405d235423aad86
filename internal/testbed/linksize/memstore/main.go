// Command memstore serves a Federation over the in-memory store, for the binary sizes in
// BENCHMARKS.md.
package main

import (
	"context"
	"log"

	"github.com/fedsite/fedsite/internal/testbed/linksize"
	"github.com/fedsite/fedsite/store/memstore"
)

func main() {
	log.Fatal(linksize.Serve(context.Background(), memstore.New()))
}
