package crashtest

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/sqlstore"
	_ "modernc.org/sqlite"
)

const (
	envChild   = "FEDSITE_CRASHTEST_CHILD"
	envRedis   = "FEDSITE_TEST_REDIS_URL"
	envPG      = "FEDSITE_TEST_POSTGRES_URL"
	actorID    = "https://crash.test/ap/users/news"
	activityID = "https://crash.test/ap/activities/1"
	inboxes    = 400
	pageSize   = 25 // 16 fan-out pages, so kills land inside the fan-out too
	workers    = 4
	// restartBound is how soon after a single process's restart every inbox must have the
	// activity: it takes back at once what its killed predecessor held (delivery.Options.SoleInstance).
	restartBound = 10 * time.Second
	// survivorBound is how soon after one of two instances is killed the other must have finished
	// its work: the dead one's leases end within delivery's default LeaseTimeout, as no heartbeat
	// extends them.
	survivorBound = 30 * time.Second
)

// child is what a helper process is told, as JSON in envChild.
type child struct {
	Backend string // "sqlite", "redis" or "postgres"
	DB      string // SQLite path, or Postgres URL
	Redis   string // Redis URL
	Prefix  string // Redis key prefix, or Postgres schema
	Fleet   string // fleet address
	KeyPEM  []byte
	// Finish makes the helper exit once the queue is empty; otherwise it runs until killed.
	Finish bool
}

// openStore opens the shared store of a test run.
func openStore(ctx context.Context, c child) (store.Store, func(), error) {
	switch c.Backend {
	case "sqlite":
		s, err := sqlstore.OpenSQLite(ctx, c.DB, sqlstore.Config{})
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "redis":
		opt, err := redis.ParseURL(c.Redis)
		if err != nil {
			return nil, nil, err
		}
		rc := redis.NewClient(opt)
		s, err := redisstore.New(redisstore.Config{Client: rc, Prefix: c.Prefix})
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return s, func() { rc.Close() }, nil
	case "postgres":
		db, err := sql.Open("pgx", c.DB)
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Schema: c.Prefix})
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return s, func() { s.Close(); db.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown backend %q", c.Backend)
}

func newEngine(st store.Store, c child, key signing.Key) (*delivery.Engine, error) {
	return delivery.New(delivery.Config{
		Store: st, Inboxes: st, Documents: st, Followers: st,
		Keys:   func(context.Context, string) (signing.Key, error) { return key, nil },
		Client: inboxfleet.Client(c.Fleet, 64),
		Options: delivery.Options{
			Workers:        workers,
			PageSize:       pageSize,
			RequestTimeout: time.Second,
			// The default LeaseTimeout: a killed instance's leases end as they would in
			// production. A SQLite file has one process, which takes back its predecessor's
			// leases at start.
			SoleInstance: c.Backend == "sqlite",
			PollInterval: 20 * time.Millisecond,
			Retry:        delivery.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		},
	})
}

// TestChild is the helper process; it does nothing unless started by a crash test.
func TestChild(t *testing.T) {
	raw := os.Getenv(envChild)
	if raw == "" {
		t.Skip("helper process for the crash tests")
	}
	var c child
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, closeStore, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	signer, err := signing.ParsePrivateKey(c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := newEngine(st, c, signing.Key{ID: actorID + "#main-key", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- eng.Run(ctx) }()
	for c.Finish {
		d, err := st.Depth(ctx)
		if err == nil && d.Ready+d.Delayed+d.Leased == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !c.Finish {
		select {} // until killed
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// run is one crash test run: a fleet, a store with the followers and the fan-out enqueued.
type run struct {
	t     *testing.T
	c     child
	fleet *inboxfleet.Fleet
}

func setUp(t *testing.T, c child) *run {
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyPEM, err = signing.EncodePrivateKey(key); err != nil {
		t.Fatal(err)
	}
	fleet, err := inboxfleet.Start(inboxfleet.Config{Key: key.Public(), KeyID: actorID + "#main-key", VerifyEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	c.Fleet = fleet.Addr()
	ctx := t.Context()
	st, closeStore, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	for i := range inboxes {
		// Two followers per inbox: the fan-out must still deliver once.
		for j := range 2 {
			f := store.Follower{ActorID: actorID, FollowerID: fmt.Sprintf("https://f.test/u/%d-%d", i, j),
				Inbox: fmt.Sprintf("https://f.test/u/%d-%d/inbox", i, j), SharedInbox: inboxfleet.Inbox(i, i)}
			if err := st.AddFollower(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutObject(ctx, store.Object{ID: activityID, ActorID: actorID, Type: "Create",
		Document: []byte(`{"id":"` + activityID + `","type":"Create"}`)}); err != nil {
		t.Fatal(err)
	}
	eng, err := newEngine(st, c, signing.Key{ID: actorID + "#main-key", Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Enqueue(ctx, delivery.Activity{ID: activityID, ActorID: actorID}); err != nil {
		t.Fatal(err)
	}
	return &run{t: t, c: c, fleet: fleet}
}

// start starts a helper process.
func (r *run) start(finish bool) *exec.Cmd {
	c := r.c
	c.Finish = finish
	raw, err := json.Marshal(c)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+string(raw))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd
}

// killAt waits until the fleet accepted at least n deliveries (or 20 s pass), then SIGKILLs cmd.
func (r *run) killAt(cmd *exec.Cmd, n int) {
	deadline := time.Now().Add(20 * time.Second)
	for r.fleet.Accepted() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	r.t.Logf("killed a helper at %d deliveries (%d inboxes)", r.fleet.Accepted(), r.fleet.Distinct())
}

// reachAll waits until every inbox has the activity and fails the test unless that took at most
// bound since from; what names the event from is, for the log.
func (r *run) reachAll(from time.Time, what string, bound time.Duration) {
	deadline := from.Add(bound + 30*time.Second)
	for r.fleet.Distinct() < inboxes && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(from)
	r.t.Logf("every inbox reached %v after %s (%d of %d)", took.Round(time.Millisecond), what, r.fleet.Distinct(), inboxes)
	if r.fleet.Distinct() < inboxes || took > bound {
		r.t.Errorf("%d of %d inboxes reached %v after %s, want all within %v", r.fleet.Distinct(), inboxes, took.Round(time.Millisecond), what, bound)
	}
}

// finish waits for a helper started with finish to exit.
func (r *run) finish(cmd *exec.Cmd) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			r.t.Fatalf("final helper: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		r.t.Fatalf("final helper did not finish: %d of %d inboxes reached", r.fleet.Distinct(), inboxes)
	}
}

// check asserts every inbox got the activity and duplicates stay within kills × workers.
func (r *run) check(kills int) {
	t := r.t
	if d := r.fleet.Distinct(); d != inboxes {
		t.Errorf("%d of %d inboxes received the activity", d, inboxes)
	}
	dups := r.fleet.Accepted() - r.fleet.Distinct()
	t.Logf("%d deliveries, %d duplicates after %d kills; %d signatures checked", r.fleet.Accepted(), dups, kills, r.fleet.Checked())
	if max := kills * workers; dups > max {
		t.Errorf("%d duplicates, want at most %d (%d kills × %d in flight)", dups, max, kills, workers)
	}
	if b := r.fleet.BadSignatures(); b > 0 {
		t.Errorf("%d bad signatures", b)
	}
	if r.fleet.Checked() == 0 {
		t.Error("no signature was checked")
	}
}

// TestCrashSQLite kills the delivery process at random points of a fan-out on a SQLite file and
// restarts it at once until it completes: the last restart reaches every inbox within
// restartBound.
func TestCrashSQLite(t *testing.T) {
	r := setUp(t, child{Backend: "sqlite", DB: filepath.Join(t.TempDir(), "crash.db")})
	const kills = 4
	at := 0
	for k := range kills {
		// The first kill lands early, during the fan-out's first pages; the others at random.
		step := 1 + rand.IntN(inboxes/(kills+1))
		if k == 0 {
			step = 1 + rand.IntN(pageSize)
		}
		at += step
		r.killAt(r.start(false), at)
	}
	restart := time.Now()
	last := r.start(true)
	r.reachAll(restart, "the last restart", restartBound)
	r.finish(last)
	r.check(kills)
}

// TestTwoInstancesRedis runs two delivery processes sharing Redis, kills one mid-fan-out, and
// checks the other completes every delivery within survivorBound of the kill.
func TestTwoInstancesRedis(t *testing.T) {
	u := serviceURL(t, envRedis, "redis://127.0.0.1:6379/0")
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	t.Cleanup(func() { rc.Close() })
	if err := rc.Ping(t.Context()).Err(); err != nil {
		unavailable(t, "Redis at "+u, err)
	}
	var b [8]byte
	crand.Read(b[:])
	prefix := "fedsitecrash:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deletePrefix(t, rc, prefix) })
	twoInstances(t, child{Backend: "redis", Redis: u, Prefix: prefix})
}

// TestTwoInstancesPostgres is TestTwoInstancesRedis on PostgreSQL, in a schema of its own.
func TestTwoInstancesPostgres(t *testing.T) {
	u := serviceURL(t, envPG, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(t.Context()); err != nil {
		unavailable(t, "PostgreSQL at "+u, err)
	}
	var b [6]byte
	crand.Read(b[:])
	schema := "fedsite_crash_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	twoInstances(t, child{Backend: "postgres", DB: u, Prefix: schema})
}

// twoInstances starts two delivery processes on the store c names, kills one mid-fan-out and
// checks the other reaches every inbox within survivorBound of the kill.
func twoInstances(t *testing.T, c child) {
	r := setUp(t, c)
	victim := r.start(false)
	survivor := r.start(true)
	r.killAt(victim, inboxes/4+rand.IntN(inboxes/4))
	r.reachAll(time.Now(), "the kill", survivorBound)
	r.finish(survivor)
	r.check(1)
}

// serviceURL returns the URL in env, skipping the test without it (failing in CI); example shows
// what one looks like.
func serviceURL(t *testing.T, env, example string) string {
	u := os.Getenv(env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set", env)
		}
		t.Skipf("set %s (such as %s) to run this test", env, example)
	}
	return u
}

// unavailable skips the test for a service that does not answer, or fails it in CI.
func unavailable(t *testing.T, what string, err error) {
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

func deletePrefix(t *testing.T, c *redis.Client, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 10_000).Result()
		if err != nil {
			t.Errorf("cleaning up %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			c.Unlink(ctx, keys...)
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}
