package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/sqlstore"

	// The drivers sqlstore opens: SQLite files, and PostgreSQL through pgx.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// openedStore is the federation's store and how to close it.
type openedStore struct {
	store.Store
	sole  bool // a SQLite file, which one process uses at a time
	close func() error
}

// openStore opens the store c.Store names:
//   - "" (the default): SQLite, the file fedsite.db in the data folder;
//   - postgres://… or postgresql://…: PostgreSQL, in the schema the "schema" parameter names
//     (default: public), created if absent;
//   - redis://… or rediss://…: Redis, under the key prefix the "prefix" parameter names
//     (default: fedsite:);
//   - anything else: the path of a SQLite file.
func openStore(ctx context.Context, c config, log *slog.Logger) (openedStore, error) {
	u, err := url.Parse(c.Store)
	scheme := ""
	if err == nil && len(u.Scheme) > 1 { // "C:\…" is a path
		scheme = u.Scheme
	}
	switch scheme {
	case "postgres", "postgresql":
		q := u.Query()
		schema := q.Get("schema")
		q.Del("schema")
		u.RawQuery = q.Encode()
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			return openedStore{}, fmt.Errorf("fedsite: store: %w", err)
		}
		st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Dialect: sqlstore.Postgres, Schema: schema, Logger: log})
		if err != nil {
			db.Close()
			return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
		}
		return openedStore{Store: st, close: func() error { st.Close(); return db.Close() }}, nil
	case "redis", "rediss":
		q := u.Query()
		prefix := q.Get("prefix")
		q.Del("prefix")
		u.RawQuery = q.Encode()
		opts, err := redis.ParseURL(u.String())
		if err != nil {
			return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
		}
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
		}
		st, err := redisstore.New(redisstore.Config{Client: client, Prefix: prefix, Logger: log})
		if err != nil {
			client.Close()
			return openedStore{}, fmt.Errorf("fedsite: store: %w", err)
		}
		return openedStore{Store: st, close: client.Close}, nil
	case "", "file":
	default:
		return openedStore{}, fmt.Errorf("fedsite: store %q: want postgres://…, redis://… or the path of a SQLite file", scheme+"://…")
	}
	path := strings.TrimPrefix(c.Store, "file:")
	if path == "" {
		path = filepath.Join(c.Data, "fedsite.db")
	}
	st, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Config{Logger: log})
	if err != nil {
		return openedStore{}, err
	}
	return openedStore{Store: st, sole: true, close: st.Close}, nil
}
