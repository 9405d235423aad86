// Package sqlstore keeps fedsite's federation state in a SQL database through [database/sql]. One
// adapter serves three dialects: [SQLite], the embedded default, [Postgres] and [MySQL] (MySQL or
// MariaDB). A [Store] satisfies every contract of the store package and passes the
// store/storetest conformance suite.
//
// # Opening
//
// For SQLite, [OpenSQLite] opens (and on first run creates) a database file with pragmas suited to a
// server: WAL journal, a busy timeout, foreign keys, synchronous=NORMAL, and write transactions that
// begin with BEGIN IMMEDIATE so concurrent writers wait instead of failing with SQLITE_BUSY. Writes
// go through one connection, and reads that need no transaction through a pool of read-only
// connections beside it, so a page view never waits behind a fan-out; the writes of concurrent
// [Store.MarkSeen] calls, one per inbox request, [Store.AddInteraction] and [Store.AppendRecord]
// calls are committed together in one transaction, each call keeping its own result. The WAL is
// checkpointed into the file in the background, on a connection of the store's own, so commits seldom wait for
// the file to be written and synced; past 4096 pages the commit copies what the background left,
// which bounds the WAL under a burst, and an idle WAL is truncated. The driver is modernc.org/sqlite, which is pure
// Go and needs no cgo; the program registers it, so that one on PostgreSQL does not link it:
//
//	import _ "modernc.org/sqlite"
//
//	st, err := sqlstore.OpenSQLite(ctx, "fedsite.db", sqlstore.Config{Logger: logger})
//	if err != nil { … }
//	defer st.Close()
//
// For PostgreSQL the application opens its own pool with the pgx driver and hands it over; the store
// never closes a pool it did not open:
//
//	db, err := sql.Open("pgx", "postgres://app@db.internal/site") // import _ "github.com/jackc/pgx/v5/stdlib"
//	st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Schema: "fedsite"})
//
// MySQL and MariaDB, the database WordPress and Drupal sites run on, are opened the same way, with
// github.com/go-sql-driver/mysql; the tables go into the DSN's database unless [Config.Schema]
// names another, created when absent:
//
//	db, err := sql.Open("mysql", "app:secret@tcp(db.internal:3306)/site") // import _ "github.com/go-sql-driver/mysql"
//	st, err := sqlstore.Open(ctx, sqlstore.Config{DB: db})
//
// MariaDB 10.6 or MySQL 8.0 is needed, for SKIP LOCKED and JSON_TABLE. The DSN needs no parseTime,
// as times are integers, nor multiStatements. Open refuses a connection that is not in strict mode
// (the servers' default), whose NO_BACKSLASH_ESCAPES would break the LIKE patterns of blocks, or
// that sets clientFoundRows: the store reads the rows a statement changed from the result.
//
// [Open] also accepts a SQLite pool opened by the caller with driver name "sqlite". Give its DSN
// the settings OpenSQLite uses, at least _pragma=busy_timeout(10000) and _txlock=immediate, or
// concurrent writers may fail with SQLITE_BUSY. Write transactions go through the pool's BeginTx,
// so that they run the statements the store prepared when it opened; each of the store's write
// transactions writes in its first statement, so even a deferred BEGIN (no _txlock) takes the write
// lock before reading anything and waits in the busy handler rather than failing.
//
// # Dialects
//
// [Config.Dialect] names the dialect; when it is zero, Open detects it from the pool's driver
// (modernc.org/sqlite, pgx or go-sql-driver/mysql). On Postgres every table lives in
// [Config.Schema], created when absent, so several fedsite instances or test runs can share one
// database; on MySQL, where a schema is a database, likewise. Times are stored as Unix nanoseconds
// in integer columns, so every dialect keeps Go's full precision, and delivery inboxes are
// compared in byte order (COLLATE "C" on Postgres, VARBINARY on MySQL).
//
// The queries are written once, for Postgres, and rewritten per dialect. MySQL binds parameters
// by position, so every query uses $1, $2, … once each in that order. Its tables are InnoDB in
// utf8mb4 with binary collation; an IRI a column is indexed on is a VARBINARY(1024), as InnoDB
// indexes at most 3072 bytes of a key, so a longer one is refused rather than cut. Where MySQL
// lacks a form, the store spells it otherwise: ON DUPLICATE KEY UPDATE with a conditional value
// for each column in place of an upsert's WHERE, a transaction that locks the rows it reads and
// then writes them in place of UPDATE or DELETE … RETURNING, and a generated column under a
// unique index in place of a partial one. Transactions on MySQL read committed rows, as on
// Postgres.
//
// # Migrations
//
// Open brings the schema up to date before it returns. Each migration runs in its own transaction
// and is recorded in the schema_migrations table with its version and the time it was applied; a
// migration that fails is rolled back, leaving tables and version as they were, and Open returns the
// error. On Postgres a transaction-scoped advisory lock, keyed by the schema name, keeps two
// instances starting together from applying the same migration twice; on SQLite each migration runs
// under BEGIN IMMEDIATE, which holds the database's write lock. MySQL commits every DDL statement
// on its own, so there a named lock (GET_LOCK) is held over all the migrations, and a migration
// that fails keeps the statements before the failing one, though not its version.
//
// # Access paths
//
// Followers carry an increasing sequence number, and pages are keyset-based on it (newest first), so
// a page deep into a million followers costs as much as the first and stays stable while followers
// are added. Each follower's delivery inbox (shared inbox if any, else personal inbox) is its own
// indexed column, so [Store.DeliveryInboxes] walks the (actor_id, delivery_inbox) index instead of
// sorting the followers. Every follower write also moves, in its transaction, the actor's count of
// followers per delivery inbox and per UTC day they started following (two small tables), which
// [Store.CountFollowers] and [Store.SummarizeFollowers] read instead of the followers. Operations
// that write more than one row run in one transaction.
//
// # Queue
//
// A Store is also a [store.Queue], with [store.Hosts] and [store.Deliveries] beside it: the
// in-process delivery queue kept in the embedded database, so queued work survives a restart.
// Jobs are rows of the jobs table, in enqueue order by sequence number. [Store.Lease] is one
// UPDATE … RETURNING that stamps the oldest leasable jobs with a random token and a leased_until
// time (the visibility timeout); a job is leasable when it is due, not leased or its lease ran
// out, and no older job with the same ordering key is still in the table, which the
// (ordering_key, seq) index answers. On SQLite the statement runs in a BEGIN IMMEDIATE
// transaction; on Postgres it selects with FOR UPDATE SKIP LOCKED, so several instances over one
// database lease side by side and never get the same job. MySQL selects the jobs with FOR UPDATE
// SKIP LOCKED and stamps them with an UPDATE in the same transaction. Ack deletes the row and inserts the
// next jobs in one transaction; DeadLetter moves the row to the dead_jobs table; Retry and every
// finishing call match the lease token, so a stale lease gets [store.ErrLeaseLost]. Host state is
// one row per host, counted up by a single upsert; delivery records are keyed by activity and
// inbox and paged by (object, activity, inbox) in byte order.
//
// # Errors
//
// [database/sql.ErrNoRows] becomes [store.ErrNotFound] and unique-key violations (MySQL's
// ER_DUP_ENTRY among them) become [store.ErrConflict]; other failures, such as an unreachable server or a closed pool, are returned
// wrapped as "sqlstore: <operation>: <cause>". After [Store.Close], methods return [ErrClosed].
package sqlstore
