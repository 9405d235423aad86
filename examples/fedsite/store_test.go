package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// TestStoreURLs: the store setting opens SQLite (the default file or another), PostgreSQL (in
// the schema the URL names), MySQL/MariaDB (in the database it names) and Redis (under the
// prefix it names), and the sidecar backfills into
// each; a scheme fedsite does not know is refused. PostgreSQL, MySQL/MariaDB and Redis run when
// FEDSITE_TEST_POSTGRES_URL, FEDSITE_TEST_MYSQL_URL (a go-sql-driver DSN) and
// FEDSITE_TEST_REDIS_URL name the real servers.
func TestStoreURLs(t *testing.T) {
	suffix := strings.ToLower(rand.Text()[:10])
	for _, tc := range []struct {
		name  string
		store func(t *testing.T, dir string) string
		check func(t *testing.T, dir string)
	}{
		{"default SQLite", func(*testing.T, string) string { return "" }, func(t *testing.T, dir string) {
			if _, err := os.Stat(filepath.Join(dir, "fedsite.db")); err != nil {
				t.Error(err)
			}
		}},
		{"SQLite file", func(t *testing.T, dir string) string { return filepath.Join(dir, "other.db") }, func(t *testing.T, dir string) {
			if _, err := os.Stat(filepath.Join(dir, "fedsite.db")); err == nil {
				t.Error("the default file was made, not the one named")
			}
		}},
		{"PostgreSQL", func(t *testing.T, dir string) string {
			u := os.Getenv("FEDSITE_TEST_POSTGRES_URL")
			if u == "" {
				t.Skip("set FEDSITE_TEST_POSTGRES_URL to run against PostgreSQL")
			}
			schema := "fedsite_cli_" + suffix
			t.Cleanup(func() {
				db, err := sql.Open("pgx", u)
				if err == nil {
					_, err = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
					db.Close()
				}
				if err != nil {
					t.Errorf("drop schema %s: %v", schema, err)
				}
			})
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			return u + sep + "schema=" + schema
		}, nil},
		{"MySQL", func(t *testing.T, dir string) string {
			dsn := os.Getenv("FEDSITE_TEST_MYSQL_URL")
			if dsn == "" {
				t.Skip("set FEDSITE_TEST_MYSQL_URL to run against MySQL or MariaDB")
			}
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil {
				t.Fatal(err)
			}
			database := "fedsite_cli_" + suffix
			t.Cleanup(func() {
				db, err := sql.Open("mysql", dsn)
				if err == nil {
					_, err = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+database)
					db.Close()
				}
				if err != nil {
					t.Errorf("drop database %s: %v", database, err)
				}
			})
			u := url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/" + cfg.DBName,
				RawQuery: "schema=" + database + "&timeout=5s"} // timeout is the driver's own parameter
			return u.String()
		}, nil},
		{"Redis", func(t *testing.T, dir string) string {
			u := os.Getenv("FEDSITE_TEST_REDIS_URL")
			if u == "" {
				t.Skip("set FEDSITE_TEST_REDIS_URL to run against Redis")
			}
			prefix := "fedsite-cli-" + suffix + ":"
			t.Cleanup(func() {
				opts, err := redis.ParseURL(u)
				if err != nil {
					t.Error(err)
					return
				}
				c := redis.NewClient(opts)
				defer c.Close()
				ctx := context.Background()
				iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
				for iter.Next(ctx) {
					c.Del(ctx, iter.Val())
				}
			})
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			return u + sep + "prefix=" + prefix
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			storeURL := tc.store(t, dir)
			fs := newFeedSite(t)
			fs.set(fs.rss(item{"a", "Bridge reopens", "<p>Open.</p>", day1}))
			r := startWith(t, fs, dir, func(c *config) { c.Store = storeURL })
			r.mustPoll(t)
			if outbox := r.get(t, r.sc.fed.ActorID("news")+"/outbox"); !strings.Contains(outbox, `"totalItems":1`) {
				t.Errorf("outbox: %s, want the backfilled article", outbox)
			}
			if tc.check != nil {
				tc.check(t, dir)
			}
		})
	}
	t.Run("unknown scheme", func(t *testing.T) {
		c := defaultConfig()
		c.BaseURL, c.Data, c.Store = "https://example.com", t.TempDir(), "mongodb://127.0.0.1/site"
		if _, err := openStore(t.Context(), c, nil); err == nil || !strings.Contains(err.Error(), "want postgres://") {
			t.Errorf("error %v, want the schemes fedsite takes", err)
		}
	})
}
