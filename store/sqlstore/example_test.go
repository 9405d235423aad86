package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/sqlstore"

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
