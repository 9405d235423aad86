package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/sqlstore"

	// The MySQL driver, which ExampleOpen_mysql opens.
	_ "github.com/go-sql-driver/mysql"
	// The SQLite driver, which sqlstore.OpenSQLite opens.
	_ "modernc.org/sqlite"
)

func ExampleOpenSQLite() {
	dir, err := os.MkdirTemp("", "fedsite-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// The file is created, and the schema migrated, on first run.
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "fedsite.db"), sqlstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	err = st.AddFollower(ctx, store.Follower{
		ActorID:     "https://news.example/actors/desk",
		FollowerID:  "https://social.example/users/ada",
		Inbox:       "https://social.example/users/ada/inbox",
		SharedInbox: "https://social.example/inbox",
		FollowID:    "https://social.example/follows/1",
	})
	if err != nil {
		log.Fatal(err)
	}
	inboxes, err := st.DeliveryInboxes(ctx, "https://news.example/actors/desk", "", 100)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Dialect(), inboxes)
	// Output: sqlite [https://social.example/inbox]
}

// A site on MySQL or MariaDB, such as a WordPress or Drupal one, opens its own pool with
// go-sql-driver/mysql (import _ "github.com/go-sql-driver/mysql") and hands it over; the tables
// go into the DSN's database, or Config.Schema when set. The DSN needs neither parseTime nor
// multiStatements, and must not set clientFoundRows.
func ExampleOpen_mysql() {
	ctx := context.Background()
	db, err := sql.Open("mysql", "fedsite:secret@tcp(127.0.0.1:3306)/site")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	fmt.Println(st.Dialect())
}
