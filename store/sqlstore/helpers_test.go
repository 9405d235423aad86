package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

const (
	postgresEnv = "FEDSITE_TEST_POSTGRES_URL"
	// mysqlEnv names a MySQL or MariaDB server as a go-sql-driver/mysql DSN, such as
	// root@tcp(127.0.0.1:3306)/test. Each test makes a database of its own there and drops it.
	mysqlEnv = "FEDSITE_TEST_MYSQL_URL"
)

// backend opens a fresh, isolated store of one dialect for a test or benchmark.
type backend struct {
	name string
	// openAt opens one whose queue and delivery records tell the time with now (nil: time.Now).
	openAt func(tb testing.TB, now func() time.Time) *Store
}

// open opens a fresh store that tells the time with time.Now.
func (b backend) open(tb testing.TB) *Store { return b.openAt(tb, nil) }

func backends() []backend {
	return []backend{{"SQLite", newSQLiteAt}, {"Postgres", newPostgresAt}, {"MySQL", newMySQLAt}}
}

// eachStore runs test in a subtest per backend, named after it, on a fresh store of that backend.
func eachStore(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { test(t, b.open(t)) })
	}
}

// atVersion returns a store on a new database or schema of backend b migrated to version only,
// as an older fedsite left it, for testing the later migrations on data. Its statements are not
// prepared: the test writes with its own.
func atVersion(t *testing.T, b backend, version int) *Store {
	t.Helper()
	s := &Store{dialect: SQLite, schema: "public", log: slog.New(slog.DiscardHandler)}
	switch b.name {
	case "Postgres":
		s.db, s.dialect, s.schema = postgresDB(t), Postgres, newSchemaName()
		t.Cleanup(func() {
			s.db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+quoteIdent(s.schema)+" CASCADE")
		})
	case "MySQL":
		s.db, s.dialect, s.schema = mysqlDB(t), MySQL, newSchemaName()
		t.Cleanup(func() {
			s.db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+quoteMySQL(s.schema))
		})
	default:
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "old.db")+"?_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s.db = db
	}
	if err := s.migrate(t.Context(), migrations()[:version]); err != nil {
		t.Fatal(err)
	}
	if _, v := schemaState(t, s); v != version {
		t.Fatalf("version %d, want %d", v, version)
	}
	return s
}

// newSQLite opens a store on a new database file in the test's temp dir.
func newSQLite(tb testing.TB) *Store { return newSQLiteAt(tb, nil) }

func newSQLiteAt(tb testing.TB, now func() time.Time) *Store {
	tb.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "fedsite.db"), Config{Now: now})
	if err != nil {
		tb.Fatalf("OpenSQLite: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// postgresDB returns a pool on the server named by FEDSITE_TEST_POSTGRES_URL, skipping when it is
// unset and failing when the server does not answer.
func postgresDB(tb testing.TB) *sql.DB {
	tb.Helper()
	return serverDB(tb, "pgx", postgresEnv, serverURL(tb, postgresEnv, "postgres://postgres@127.0.0.1:5432/test"))
}

// serverURL returns the value of env, skipping the test, with an example of the value, when it is
// unset.
func serverURL(tb testing.TB, env, example string) string {
	tb.Helper()
	url := os.Getenv(env)
	if url == "" {
		tb.Skipf("set %s (e.g. %s) to run the tests on that server", env, example)
	}
	return url
}

// serverDB opens a pool of driver on url, which env set, and fails when the server does not answer.
func serverDB(tb testing.TB, driver, env, url string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, url)
	if err != nil {
		tb.Fatalf("%s=%s: %v", env, url, err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tb.Fatalf("%s is set but the server does not answer: %v", env, err)
	}
	return db
}

// newSchemaName returns a random schema name for one test run.
func newSchemaName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "fedsite_test_" + hex.EncodeToString(b)
}

// newPostgres opens a store in a schema of its own, dropped when the test ends.
func newPostgres(tb testing.TB) *Store { return newPostgresAt(tb, nil) }

func newPostgresAt(tb testing.TB, now func() time.Time) *Store {
	tb.Helper()
	db := postgresDB(tb)
	schema := newSchemaName()
	tb.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+quoteIdent(schema)+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := Open(context.Background(), Config{DB: db, Schema: schema, Now: now})
	if err != nil {
		tb.Fatalf("Open(postgres, schema %s): %v", schema, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// mysqlDB returns a pool on the server named by FEDSITE_TEST_MYSQL_URL, skipping when it is unset
// and failing when the server does not answer.
func mysqlDB(tb testing.TB) *sql.DB { return mysqlDBWith(tb, nil) }

// mysqlDBWith is mysqlDB with the DSN changed by edit, when not nil.
func mysqlDBWith(tb testing.TB, edit func(*mysql.Config)) *sql.DB {
	tb.Helper()
	dsn := serverURL(tb, mysqlEnv, "root@tcp(127.0.0.1:3306)/test")
	if edit != nil {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			tb.Fatalf("%s=%s: %v", mysqlEnv, dsn, err)
		}
		edit(cfg)
		dsn = cfg.FormatDSN()
	}
	return serverDB(tb, "mysql", mysqlEnv, dsn)
}

// newMySQLAt opens a store in a database of its own, a new one or one an earlier test of this
// process left, emptied, whose queue and delivery records tell the time with now (nil: time.Now).
func newMySQLAt(tb testing.TB, now func() time.Time) *Store {
	tb.Helper()
	db := mysqlDB(tb)
	schema := mysqlSpare.take()
	tb.Cleanup(func() { mysqlSpare.put(tb, db, schema) })
	s, err := Open(context.Background(), Config{DB: db, Schema: schema, Now: now})
	if err != nil {
		tb.Fatalf("Open(mysql, database %s): %v", schema, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// spareDatabases keeps the MySQL databases of this test process that no test is using. MySQL
// commits every DDL statement to disk on its own, so a new database and its migrations take a
// second or more; emptying one a test is done with takes milliseconds. TestMain drops them all.
type spareDatabases struct {
	mu         sync.Mutex
	free, made []string
}

var mysqlSpare spareDatabases

// take returns the name of a spare database, or of a new one.
func (d *spareDatabases) take() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.free); n > 0 {
		name := d.free[n-1]
		d.free = d.free[:n-1]
		return name
	}
	name := newSchemaName()
	d.made = append(d.made, name)
	return name
}

// put empties the database a test used and keeps it for the next one; one that cannot be emptied
// is dropped.
func (d *spareDatabases) put(tb testing.TB, db *sql.DB, name string) {
	ctx := context.Background()
	for _, t := range tableNames {
		if t == "schema_migrations" {
			continue
		}
		empty := "DELETE FROM {" + t + "}"
		if t == "record_head" { // its one row, which the migration made, is the empty chain's head
			empty = "UPDATE {record_head} SET seq = 0, hash = NULL"
		}
		if _, err := db.ExecContext(ctx, rewrite(MySQL, name, empty)); err != nil {
			if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteMySQL(name)); err != nil {
				tb.Errorf("drop database %s: %v", name, err)
			}
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.free = append(d.free, name)
}

// drop drops every database the process made.
func (d *spareDatabases) drop() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.made) == 0 {
		return nil
	}
	db, err := sql.Open("mysql", os.Getenv(mysqlEnv))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, name := range d.made {
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + quoteMySQL(name)); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := mysqlSpare.drop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// latestVersion is the version of the last migration, which a fresh store records. Versions may
// skip a number taken on another branch, so it is not the count of migrations.
func latestVersion() int {
	ms := migrations()
	return ms[len(ms)-1].version
}
