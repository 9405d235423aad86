// Command sqlite serves a Federation over sqlstore on SQLite, for the binary sizes in
// BENCHMARKS.md.
package main

import (
	"context"
	"log"

	"github.com/fedsite/fedsite/internal/testbed/linksize"
	"github.com/fedsite/fedsite/store/sqlstore"

	_ "modernc.org/sqlite"
)

func main() {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, "fedsite.db", sqlstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(linksize.Serve(ctx, st))
}
