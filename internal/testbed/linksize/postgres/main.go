// Command postgres serves a Federation over sqlstore on PostgreSQL only, for the binary sizes in
// BENCHMARKS.md: it must not link SQLite.
package main

import (
	"context"
	"database/sql"
	"log"
	"os"

	"github.com/fedsite/fedsite/internal/testbed/linksize"
	"github.com/fedsite/fedsite/store/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(linksize.Serve(ctx, st))
}
