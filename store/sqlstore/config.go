package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Dialect names the SQL dialect a [Store] speaks.
type Dialect int

const (
	// DetectDialect, the zero value, makes [Open] detect the dialect from the pool's driver.
	DetectDialect Dialect = iota
	// SQLite is SQLite 3 through modernc.org/sqlite (driver name "sqlite").
	SQLite
	// Postgres is PostgreSQL 13 or later through github.com/jackc/pgx/v5/stdlib (driver name "pgx").
	Postgres
	// MySQL is MariaDB 10.6 or later, or MySQL 8.0 or later, through github.com/go-sql-driver/mysql
	// (driver name "mysql").
	MySQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case DetectDialect:
		return "detect"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Config configures [Open] and [OpenSQLite].
type Config struct {
	// DB is the caller's connection pool. Open requires it and never closes it; OpenSQLite requires
	// it to be nil, as it opens its own.
	DB *sql.DB
	// Dialect is the pool's SQL dialect. Default: detected from the pool's driver (modernc.org/sqlite
	// is SQLite, pgx is Postgres, go-sql-driver/mysql is MySQL); Open fails for any other driver
	// unless Dialect is set.
	Dialect Dialect
	// Schema is the Postgres schema, or the MySQL database, holding the tables, created when
	// absent. Default: "public" on Postgres, the database the DSN names on MySQL. SQLite has no
	// schemas and ignores it.
	Schema string
	// Logger receives debug messages about migrations and housekeeping. Default (nil): discard.
	Logger *slog.Logger
	// Now tells the time to the queue and the delivery records: lease ends, due times and the
	// default UpdatedAt. Tests set a fake clock to drive leases without sleeping. Default (nil):
	// time.Now.
	Now func() time.Time
}

// Store keeps federation state in a SQL database. It implements [store.Store] and is safe for
// concurrent use; several Stores, in one process or many, may share a database.
type Store struct {
	db *sql.DB
	// rdb serves the reads that need no transaction: a pool of its own beside the one writer on a
	// SQLite file OpenSQLite opened, so that a page view never waits behind a write; db otherwise.
	rdb     *sql.DB
	ownDB   bool
	dialect Dialect
	schema  string
	log     *slog.Logger
	now     func() time.Time
	q       queries
	qq      queueQueries
	qs      queueStmts
	stmts   []*sql.Stmt // every statement of qs, for Close

	closed    atomic.Bool
	seenCalls atomic.Uint64
	group     *groupWriter // commits small writes together on SQLite; nil on Postgres
	markSeen  *sql.Stmt    // MarkSeen's statement, the inbox's first write per request, prepared once
	inbox     inboxStmts   // the inbox's other statements but the record's, prepared once
	rec       recordStmts  // AppendRecord's statements (record.go)

	// stopCheckpoints ends the checkpoints of a database file OpenSQLite opened; nil otherwise.
	stopCheckpoints func() error
}

// Store is a [store.Store]; each file beside this one asserts the contract or the optional
// capability it implements.
var _ store.Store = (*Store)(nil)

// Open checks cfg, applies pending schema migrations and returns a Store over cfg.DB.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	return open(ctx, cfg, nil, nil)
}

// OpenSQLite opens the SQLite database file at path, creating it when it does not exist, and
// returns a Store that owns the pools: [Store.Close] closes them. cfg.DB must be nil; cfg.Dialect
// must be zero or [SQLite]. The connections use WAL, a 10 s busy timeout, foreign keys,
// synchronous=NORMAL and BEGIN IMMEDIATE for transactions. Writes go through one connection, reads
// that need no transaction through a pool of read-only connections beside it, which WAL lets read
// while the writer writes. The WAL is checkpointed into the database file in the background, on a
// connection of its own, rather than by whichever commit finds it long: a commit then seldom waits
// for the file to be written and synced. Only when the background falls behind a burst of writes
// does the commit that takes the WAL past 4096 pages (16 MiB at SQLite's default page size) copy
// the rest itself, so that the WAL starts over; when the database is idle the WAL is truncated.
// The path ":memory:" gives a private in-memory database on a single connection, for tests.
//
// The program must register the SQLite driver, as one on PostgreSQL registers pgx, with
//
//	import _ "modernc.org/sqlite"
//
// so that a program that never opens SQLite does not link it. Without it OpenSQLite fails.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Store, error) {
	return openSQLite(ctx, path, cfg, sqliteOptions{})
}

// sqliteOptions are the settings of openSQLite that tests change; the zero value is OpenSQLite's.
type sqliteOptions struct {
	walPages int              // wal_autocheckpoint; 0: walCheckpointPages
	tick     <-chan time.Time // background checkpoint passes; nil: every checkpointEvery
	passed   chan<- struct{}  // told after each background pass, when not nil
}

// walCheckpointPages is the WAL's length, in pages, past which the committing writer checkpoints
// itself (SQLite's wal_autocheckpoint); readConns is the size of the read pool.
const (
	walCheckpointPages = 4096
	readConns          = 4
)

func openSQLite(ctx context.Context, path string, cfg Config, o sqliteOptions) (*Store, error) {
	if o.walPages == 0 {
		o.walPages = walCheckpointPages
	}
	if cfg.DB != nil {
		return nil, errors.New("sqlstore: open sqlite: Config.DB must be nil, OpenSQLite opens its own")
	}
	if cfg.Dialect != DetectDialect && cfg.Dialect != SQLite {
		return nil, fmt.Errorf("sqlstore: open sqlite: Config.Dialect is %v", cfg.Dialect)
	}
	if path == "" {
		return nil, errors.New("sqlstore: open sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlstore: open sqlite: path %q contains '?' or '#'", path)
	}
	if !slices.Contains(sql.Drivers(), "sqlite") {
		return nil, errors.New(`sqlstore: open sqlite: no driver "sqlite" registered; import _ "modernc.org/sqlite"`)
	}
	file := path != ":memory:"
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	if file {
		params.Add("_pragma", "journal_mode(WAL)")
		// See checkpoints. After a checkpoint the WAL file is cut back to the same size.
		params.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", o.walPages))
		params.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", o.walPages*4096))
	}
	params.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	// One connection: every connection to ":memory:" is a database of its own, and on a file
	// SQLite takes one writer at a time anyway — concurrent writers on several connections only
	// wait in the busy handler's sleeps, which cost more than queueing for the one connection
	// (measured with internal/testbed/deliverybench -store sqlite; see BENCHMARKS.md).
	db.SetMaxOpenConns(1)
	cfg.DB = db
	cfg.Dialect = SQLite
	// The read pool connects only when open prepares the reads, after the migrations made the file.
	var rdb *sql.DB
	if file {
		if rdb, err = openReadPool(path); err != nil {
			db.Close()
			return nil, err
		}
	}
	s, err := open(ctx, cfg, rdb, nil)
	if err != nil {
		if rdb != nil {
			rdb.Close()
		}
		db.Close()
		return nil, err
	}
	s.ownDB = true
	if file {
		if s.stopCheckpoints, err = s.checkpoints(path, o); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// openReadPool opens the read-only connections beside the writer of the database file at path.
func openReadPool(path string) (*sql.DB, error) {
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %s for reads: %w", path, err)
	}
	db.SetMaxOpenConns(readConns)
	db.SetMaxIdleConns(readConns)
	return db, nil
}

// checkpointEvery is how often the background checkpoints of a database file run.
const checkpointEvery = 500 * time.Millisecond

// checkpoints starts copying the WAL of the database file at path into the file every
// checkpointEvery, with PASSIVE checkpoints on a connection of their own, and returns the function
// that stops them. SQLite's automatic checkpoint runs inside the commit that makes the WAL exceed
// its limit, and that commit waits while the pages are written and synced: on a disk whose syncs
// take milliseconds every writer queued behind it waits too (the delivery engine's workers showed
// it as idle CPU in internal/testbed/deliverybench). A PASSIVE checkpoint runs beside the writer,
// and the writer starts the WAL over once every frame is copied. Under a steady stream of writes,
// though, the WAL keeps frames the last pass has not copied, never starts over and grows (266 MB
// during a 10,000-inbox fan-out, with the automatic checkpoint off): so the automatic checkpoint
// stays on, at o.walPages, and copies what the passes left. A pass that finds the WAL fully
// copied and unchanged since the last one, the database idle, truncates it.
func (s *Store) checkpoints(path string, o sqliteOptions) (stop func() error, err error) {
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %s for checkpoints: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := o.tick
		if tick == nil {
			t := time.NewTicker(checkpointEvery)
			defer t.Stop()
			tick = t.C
		}
		last := -1
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
			}
			mode := "PASSIVE"
			var busy, frames, copied int
			err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
			if err == nil && busy == 0 && frames > 0 && frames == copied && frames == last {
				mode = "TRUNCATE"
				err = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
			}
			if err != nil && ctx.Err() == nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "checkpoint", slog.String("mode", mode), slog.Any("err", err))
			}
			last = frames
			if o.passed != nil {
				select {
				case o.passed <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return func() error {
		cancel()
		<-done
		return db.Close()
	}, nil
}

// open is Open with rdb, the pool of the reads that need no transaction (nil: cfg.DB), and extra
// migrations appended, so tests can inject a broken one.
func open(ctx context.Context, cfg Config, rdb *sql.DB, extra []migration) (*Store, error) {
	if cfg.DB == nil {
		return nil, errors.New("sqlstore: open: Config.DB is nil")
	}
	d := cfg.Dialect
	if d == DetectDialect {
		d = detectDialect(cfg.DB)
		if d == DetectDialect {
			return nil, fmt.Errorf("sqlstore: open: cannot detect the dialect of driver %T; set Config.Dialect", cfg.DB.Driver())
		}
	}
	if d != SQLite && d != Postgres && d != MySQL {
		return nil, fmt.Errorf("sqlstore: open: unknown %v", d)
	}
	schema := cfg.Schema
	if d == MySQL {
		var err error
		if schema, err = checkMySQL(ctx, cfg.DB, schema); err != nil {
			return nil, err
		}
	}
	if schema == "" {
		schema = "public"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if rdb == nil {
		rdb = cfg.DB
	}
	s := &Store{
		db:      cfg.DB,
		rdb:     rdb,
		now:     now,
		dialect: d,
		schema:  schema,
		log:     log.With(slog.String("component", "sqlstore"), slog.String("dialect", d.String())),
	}
	s.q = newQueries(d, schema)
	s.qq = newQueueQueries(d, schema)
	if err := s.migrate(ctx, append(migrations(), extra...)); err != nil {
		return nil, err
	}
	if d == MySQL {
		if err := s.checkChangedRows(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.prepareQueue(ctx); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx,
		preparing{&s.markSeen, s.db, s.q.markSeen},
		preparing{&s.inbox.addInteraction, s.db, s.q.social.addInteraction},
		preparing{&s.inbox.addOnePerActor, s.db, s.q.social.addOnePerActor},
		preparing{&s.inbox.object, s.rdb, s.q.object},
		preparing{&s.inbox.actor, s.rdb, s.q.actor},
		preparing{&s.inbox.actorKeys, s.rdb, s.q.actorKeys},
		preparing{&s.inbox.actorByKey, s.rdb, s.q.actorByKey},
	); err != nil {
		return nil, err
	}
	if err := s.prepareRecord(ctx); err != nil {
		return nil, err
	}
	if d == SQLite {
		s.startGroupWriter()
	}
	return s, nil
}

// inboxStmts are the statements of the store's calls on an inbox request's path, beside MarkSeen's
// and the record's (record.go), prepared once on the pool they run on: the reads on the read pool,
// the writes on the writer. On SQLite, preparing a query costs about as much CPU as running it;
// on MySQL it is a round trip.
type inboxStmts struct {
	object, actor, actorKeys, actorByKey *sql.Stmt // reads, on rdb
	addInteraction, addOnePerActor       *sql.Stmt // writes, on db
}

// preparing is a statement for prepare: query, to be prepared on db into *dst.
type preparing struct {
	dst   **sql.Stmt
	db    *sql.DB
	query string
}

// prepare prepares list's statements, which Close closes with the others. When one fails it
// closes those the store has prepared, and returns the error.
func (s *Store) prepare(ctx context.Context, list ...preparing) error {
	for _, p := range list {
		st, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			s.closeStmts()
			return wrap("prepare", err)
		}
		*p.dst = st
		s.stmts = append(s.stmts, st)
	}
	return nil
}

// checkMySQL checks the session settings a MySQL pool's DSN gives its connections and returns the
// database the store keeps its tables in: schema, or the DSN's database when schema is empty.
// Strict mode must be on, so that a value too long for its column is refused rather than cut,
// and NO_BACKSLASH_ESCAPES off, as the block queries escape LIKE patterns with '\'. Times are
// integers, so parseTime does not matter.
func checkMySQL(ctx context.Context, db *sql.DB, schema string) (string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", wrap("open mysql", err)
	}
	defer conn.Close()
	var mode string
	var current sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT @@SESSION.sql_mode, DATABASE()`).Scan(&mode, &current); err != nil {
		return "", wrap("open mysql", err)
	}
	if !strings.Contains(mode, "STRICT_TRANS_TABLES") && !strings.Contains(mode, "STRICT_ALL_TABLES") {
		return "", fmt.Errorf("sqlstore: open mysql: sql_mode %q is not strict; add sql_mode=TRADITIONAL to the DSN or the server's configuration", mode)
	}
	if strings.Contains(mode, "NO_BACKSLASH_ESCAPES") {
		return "", fmt.Errorf("sqlstore: open mysql: sql_mode %q has NO_BACKSLASH_ESCAPES, which the store's LIKE patterns cannot take", mode)
	}
	if schema == "" {
		if !current.Valid {
			return "", errors.New("sqlstore: open mysql: the DSN names no database and Config.Schema is empty")
		}
		schema = current.String
	}
	return schema, nil
}

// checkChangedRows checks that a MySQL pool counts the rows a statement changed, MySQL's default,
// rather than the rows it found (the DSN's clientFoundRows): a conditional upsert tells by the
// count whether it changed the row. An UPDATE that sets a column to its value changes no row.
func (s *Store) checkChangedRows(ctx context.Context) error {
	res, err := s.db.ExecContext(ctx, rewrite(s.dialect, s.schema,
		`UPDATE {schema_migrations} SET applied_at = applied_at WHERE version = 1`))
	n, err := rowsAffected(res, err)
	if err != nil {
		return wrap("open mysql", err)
	}
	if n != 0 {
		return errors.New("sqlstore: open mysql: the DSN sets clientFoundRows, but the store needs the count of rows changed; leave it out")
	}
	return nil
}

func detectDialect(db *sql.DB) Dialect {
	t := fmt.Sprintf("%T", db.Driver())
	switch {
	case strings.Contains(t, "sqlite"):
		return SQLite
	case strings.Contains(t, "stdlib"), strings.Contains(t, "pgx"), strings.Contains(t, "pq."):
		return Postgres
	case strings.Contains(t, "mysql."):
		return MySQL
	}
	return DetectDialect
}

// Dialect reports the dialect the store speaks.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close marks the store closed, closes the statements it prepared and, when the store opened the
// pool itself ([OpenSQLite]), closes it. A pool passed in [Config.DB] stays open. Later calls
// return [ErrClosed].
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stopGroupWriter()
	s.closeStmts()
	var errs []error
	if s.stopCheckpoints != nil {
		errs = append(errs, s.stopCheckpoints())
	}
	if s.ownDB {
		if s.rdb != s.db {
			errs = append(errs, s.rdb.Close())
		}
		errs = append(errs, s.db.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}
