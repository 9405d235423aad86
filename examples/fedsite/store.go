package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/sqlstore"

	// The drivers sqlstore opens: SQLite files, and PostgreSQL through pgx (MySQL and
	// MariaDB through go-sql-driver/mysql, imported above).
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
//   - mysql://user:password@host:port/database: MySQL or MariaDB, in the database the "schema"
//     parameter names (default: the one in the path), created if absent;
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
	case "mysql":
		return openMySQL(ctx, u, log)
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
		return openedStore{}, fmt.Errorf("fedsite: store %q: want postgres://…, mysql://…, redis://… or the path of a SQLite file", scheme+"://…")
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

// openMySQL opens the MySQL or MariaDB database u names (mysql://user:password@host:port/db,
// port 3306 by default), turned into go-sql-driver/mysql's DSN; a "schema" parameter names
// another database for fedsite's tables, and the other parameters are the driver's own.
func openMySQL(ctx context.Context, u *url.URL, log *slog.Logger) (openedStore, error) {
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	// The driver reads its own parameters (tls, timeout, …) and keeps the rest as session
	// variables, as in a DSN.
	cfg, err := mysql.ParseDSN("/?" + q.Encode())
	if err != nil {
		return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
	}
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" {
		cfg.Addr = u.Host + ":3306"
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
	}
	db := sql.OpenDB(connector)
	st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Dialect: sqlstore.MySQL, Schema: schema, Logger: log})
	if err != nil {
		db.Close()
		return openedStore{}, fmt.Errorf("fedsite: store %s: %w", u.Redacted(), err)
	}
	return openedStore{Store: st, close: func() error { st.Close(); return db.Close() }}, nil
}
