package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/ssrf"
	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/sqlstore"
	_ "modernc.org/sqlite"
)

// options are the command's flags.
type options struct {
	followers, inboxes, hosts int
	store                     string
	workers, perHost          int
	verify                    int
	signFor                   time.Duration
	timeout                   time.Duration
	dir                       string
	bulk                      bool
	conns                     string
	idle                      int
	latency                   time.Duration
	redisURL                  string
	rounds                    int
	telemetry                 string      // off, on or both (see engines)
	wal                       *walSampler // -walpeak: samples the SQLite WAL's size; nil otherwise
	// cpuprofile, if not empty, is where each round's CPU profile goes: cpuprofile.1 for the
	// first, and so on.
	cpuprofile string
	// plain posts each round's activity through the client itself instead of the engine (see
	// plainPost).
	plain bool
}

// result is what one run measured.
type result struct {
	SignPerSec       float64
	Deliveries       int
	Elapsed          time.Duration
	DeliveriesPerSec float64
	Ratio            float64
	EnqueueLatency   time.Duration
	PopulateTime     time.Duration
	PeakRSSFanOutKB  int64
	PeakRSSTotalKB   int64
	Checked, Bad     int64
	Duplicates       int
	Conns            int64
	// CPUBusy is the share of the cores this process kept busy during the fan-out.
	CPUBusy float64
	// CPUPerDelivery is this process's CPU time (user and system) during the fan-out divided by
	// its deliveries; SignCPU is the CPU time of one raw signature with the same key in this
	// process, and CPURatio the first over the second.
	CPUPerDelivery, SignCPU time.Duration
	CPURatio                float64
	// Rounds holds every fan-out of the run; the figures above are those of the one with the
	// median CPURatio.
	Rounds []round
	// Scrapes are the GETs of /metrics made during the first round with telemetry.
	Scrapes []scrape
}

// round is one fan-out of a run, with the signing rate measured before and after it.
type round struct {
	Elapsed          time.Duration
	Deliveries       int
	DeliveriesPerSec float64
	SignPerSec       float64
	Ratio            float64
	CPUBusy          float64
	CPUPerDelivery   time.Duration
	SignCPU          time.Duration
	CPURatio         float64
	// Allocs and AllocBytes are this process's heap allocations during the fan-out per delivery:
	// unlike the CPU time, they do not depend on what else the machine runs.
	Allocs, AllocBytes float64
	Telemetry          bool // the round's engine reported metrics and spans
}

func main() {
	var o options
	flag.IntVar(&o.followers, "followers", 10000, "followers of the publishing actor")
	flag.IntVar(&o.inboxes, "inboxes", 10000, "distinct delivery inboxes they are spread over")
	flag.IntVar(&o.hosts, "hosts", 0, "hosts the inboxes are spread over (default: one per inbox)")
	flag.StringVar(&o.store, "store", "mem", "store: mem, sqlite or redis")
	flag.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379/0", "the Redis for -store redis (its keys go under a fresh prefix, deleted after)")
	flag.IntVar(&o.workers, "workers", 64, "delivery workers (64 is the engine's default)")
	flag.IntVar(&o.perHost, "perhost", 2, "deliveries per host at once")
	flag.IntVar(&o.verify, "verify", 50, "verify the signature of one delivery in this many")
	flag.DurationVar(&o.signFor, "signfor", 2*time.Second, "how long to measure the raw signing rate")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.StringVar(&o.dir, "dir", "", "directory for the SQLite file (default: a temporary one)")
	flag.BoolVar(&o.bulk, "bulk", false, "sqlite: load the followers with one INSERT … SELECT instead of AddFollower calls")
	flag.StringVar(&o.conns, "conns", "shared", "how deliveries reach the fleet: shared (a keep-alive connection per worker, each host named in the Host header) or per-host (each host a distinct server at a loopback address of its own, reached through the site's default HTTP client, connections pooled per host)")
	flag.IntVar(&o.idle, "idle", 0, "per-host: idle connections the client keeps in all (default: the 1000 of the site's default client); at -hosts or more, a fan-out reuses the connections of the one before")
	flag.DurationVar(&o.latency, "latency", 0, "how long each fake inbox waits before it answers (a distant server's round trip)")
	flag.IntVar(&o.rounds, "rounds", 1, "fan-outs to run, each of a new activity to every inbox, with the signing rate measured between them; the report gives each and the median")
	flag.StringVar(&o.telemetry, "telemetry", "off", "OpenTelemetry metrics and spans of the engine: off, on (an SDK MeterProvider scraped through the Prometheus exporter, an SDK TracerProvider sampling every span), or both, alternating rounds, off first, and comparing their medians")
	flag.BoolVar(&o.plain, "plain", false, "instead of the engine, post each round's activity to every inbox straight through the same HTTP client, -workers at a time, each request signed beforehand outside the measured window: the CPU per request of net/http and the kernel alone, the floor under the CPU per delivery")
	walPeak := flag.Bool("walpeak", false, "sqlite: report the largest size the write-ahead log reached during the fan-outs")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the CPU profile of each round's fan-out (from its enqueue until the fleet accepted it, as the CPU per delivery is measured) to this file name followed by .1, .2 and so on")
	flag.Parse()
	if os.Getenv(envFleet) != "" {
		if err := inboxfleet.ServeProcess(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "deliverybench fleet:", err)
			os.Exit(1)
		}
		return
	}
	if *walPeak {
		o.wal = new(walSampler)
	}
	r, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deliverybench:", err)
		os.Exit(1)
	}
	report(os.Stdout, o, r)
}

func report(w io.Writer, o options, r result) {
	fmt.Fprintf(w, "store=%s followers=%d inboxes=%d workers=%d perhost=%d conns=%s idle=%d latency=%v GOMAXPROCS=%d\n",
		o.store, o.followers, o.inboxes, o.workers, o.perHost, o.conns, o.idle, o.latency, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "raw RSA-2048 signing (mean of before and after the fan-out): %.0f/s\n", r.SignPerSec)
	fmt.Fprintf(w, "populate: %v\n", r.PopulateTime.Round(time.Millisecond))
	fmt.Fprintf(w, "enqueue (Publish's part): %v\n", r.EnqueueLatency)
	if len(r.Rounds) > 1 {
		for i, rd := range r.Rounds {
			fmt.Fprintf(w, "round %d%s: %d deliveries in %v = %.0f/s, signing %.0f/s, %.1f%% of the signing rate, CPU %.1f%%, %v per delivery = %.3f × a signature's %v, %.0f allocations (%.1f KB) per delivery\n",
				i+1, onOff(o, rd), rd.Deliveries, rd.Elapsed.Round(time.Millisecond), rd.DeliveriesPerSec, rd.SignPerSec, 100*rd.Ratio, 100*rd.CPUBusy,
				rd.CPUPerDelivery.Round(time.Microsecond), rd.CPURatio, rd.SignCPU.Round(time.Microsecond), rd.Allocs, rd.AllocBytes/1000)
		}
		reportTelemetry(w, o, r)
		fmt.Fprint(w, "median round: ")
	}
	fmt.Fprintf(w, "fan-out: %d deliveries in %v = %.0f/s, %.1f%% of the signing rate\n",
		r.Deliveries, r.Elapsed.Round(time.Millisecond), r.DeliveriesPerSec, 100*r.Ratio)
	fmt.Fprintf(w, "CPU of this process during the fan-out: %.1f%% of %d cores\n", 100*r.CPUBusy, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "CPU per delivery: %v, a raw signature: %v (same key, this process); ratio %.3f\n",
		r.CPUPerDelivery.Round(time.Microsecond), r.SignCPU.Round(time.Microsecond), r.CPURatio)
	fmt.Fprintf(w, "signatures verified: %d, bad: %d; duplicates: %d; TCP connections: %d\n", r.Checked, r.Bad, r.Duplicates, r.Conns)
	fmt.Fprintf(w, "peak RSS: %d MB during fan-out, %d MB while populating\n", r.PeakRSSFanOutKB>>10, r.PeakRSSTotalKB>>10)
	if o.wal != nil {
		fmt.Fprintf(w, "peak WAL during the fan-outs: %.1f MB\n", float64(o.wal.peak.Load())/(1<<20))
	}
}

const actorID = "https://bench.test/ap/users/news"
const activityID = "https://bench.test/ap/activities/1"

// envFleet, set in the environment, makes the command (or the test binary) run the fleet of
// another deliverybench process (see inboxfleet.ServeProcess).
const envFleet = "DELIVERYBENCH_FLEET"

// startFleet starts the fleet in a process of its own, this executable run again.
func startFleet(o options, key *rsa.PrivateKey) (*inboxfleet.Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envFleet+"=1")
	cmd.Stderr = os.Stderr
	cfg := inboxfleet.Config{Key: key.Public(), KeyID: actorID + "#main-key", VerifyEvery: o.verify, Delay: o.latency}
	if o.conns == "per-host" {
		cfg.Hosts = o.hosts
	}
	return inboxfleet.StartProcess(cmd, cfg)
}

// checkFiles fails if the fleet process would run out of file descriptors: with -conns per-host
// it holds a listener per host, and a connection per idle one the client keeps. Past the limit it
// would stop accepting, and the run would stall on timeouts rather than fail.
func checkFiles(o options) error {
	if o.conns != "per-host" {
		return nil
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	// A Go program raises its soft limit to the hard one at start.
	const spare = 512 // connections in flight, and the process's own files
	if need := uint64(o.hosts + min(o.idle, o.hosts) + spare); need > lim.Max {
		return fmt.Errorf("-conns per-host with %d hosts and -idle %d needs %d open files in the fleet process; the limit is %d", o.hosts, o.idle, need, lim.Max)
	}
	return nil
}

// inboxURL returns the URL of inbox i of host h: a name the shared client sends to the fleet's
// address, or with -conns per-host the host's own address.
func inboxURL(o options, port, h, i int) string {
	if o.conns == "per-host" {
		return inboxfleet.HostInbox(port, h, i)
	}
	return inboxfleet.Inbox(h, i)
}

func run(ctx context.Context, o options, logw io.Writer) (result, error) {
	var r result
	if o.bulk && o.store != "sqlite" {
		return r, errors.New("-bulk loads a SQLite store only")
	}
	if o.wal != nil && o.store != "sqlite" {
		return r, errors.New("-walpeak samples a SQLite store only")
	}
	if o.hosts <= 0 || o.hosts > o.inboxes {
		o.hosts = o.inboxes
	}
	if o.conns != "shared" && o.conns != "per-host" {
		return r, fmt.Errorf("-conns %q: want shared or per-host", o.conns)
	}
	if err := checkFiles(o); err != nil {
		return r, err
	}
	key, err := signing.GenerateKey()
	if err != nil {
		return r, err
	}
	fleet, err := startFleet(o, key)
	if err != nil {
		return r, err
	}
	defer fleet.Close()
	r.SignPerSec, r.SignCPU = signCost(key, o.signFor)

	st, closeStore, err := openStore(ctx, o, fleet.Port())
	if err != nil {
		return r, err
	}
	defer closeStore()
	start := time.Now()
	if !o.bulk {
		if err := populate(ctx, st, o, fleet.Port()); err != nil {
			return r, err
		}
	}
	if err := putActivity(ctx, st, activityID); err != nil {
		return r, err
	}
	r.PopulateTime = time.Since(start)
	r.PeakRSSTotalKB = procStatusKB("VmHWM")
	runtime.GC()
	resetPeakRSS()

	// per-host: the HTTP client a site gets by default (activitypub.Config.Client), loopback
	// allowed.
	client := ssrf.NewClient(ssrf.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if tr, ok := client.Transport.(*http.Transport); ok && o.idle > 0 {
		tr.MaxIdleConns = o.idle
	}
	if o.conns == "shared" {
		client = inboxfleet.SharedClient(fleet.Addr(), o.workers)
	}
	engs, err := newEngines(delivery.Config{
		Store: st, Inboxes: st, Documents: st, Followers: st,
		Keys: func(context.Context, string) (signing.Key, error) {
			return signing.Key{ID: actorID + "#main-key", Signer: key}, nil
		},
		Client:  client,
		Logger:  slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Options: delivery.Options{Workers: o.workers, PerHost: o.perHost, PollInterval: 20 * time.Millisecond},
	}, cmp.Or(o.telemetry, "off"))
	if err != nil {
		return r, err
	}
	defer engs.close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	signBefore, signCPUBefore := r.SignPerSec, r.SignCPU
	accepted := 0
	if o.wal != nil {
		o.wal.peak.Store(0)
	}
	for i := range max(1, o.rounds) {
		id := activityID
		if i > 0 {
			id = fmt.Sprintf("%s/%d", activityID, i)
			if err := putActivity(ctx, st, id); err != nil {
				return r, err
			}
		}
		// Each round runs its engine (see engines) until it is over.
		eng, tel := engs.engine(i), engs.telemetry(i)
		var plain *plainPost
		if o.plain {
			sk := signing.Key{ID: actorID + "#main-key", Signer: key}
			if plain, err = newPlainPost(o, fleet.Port(), client, sk, activityDoc(id)); err != nil {
				return r, err
			}
		}
		runCtx, cancelRun := context.WithCancel(ctx)
		var running sync.WaitGroup
		if !o.plain {
			running.Go(func() { eng.Run(runCtx) })
		}
		stopRun := func() { cancelRun(); running.Wait() }
		var scraped func() ([]scrape, error)
		if tel && r.Scrapes == nil {
			scraped = scrapeEvery(engs.metricsURL, time.Second)
		}
		base := accepted
		stopProfile, err := startProfile(o, i+1)
		if err != nil {
			stopRun()
			return r, err
		}
		start = time.Now()
		cpu0 := cpuTime()
		allocs0, bytes0 := heapAllocs()
		if o.plain {
			plain.start(runCtx)
		} else if err := eng.Enqueue(ctx, delivery.Activity{ID: id, ActorID: actorID}); err != nil {
			stopRun()
			return r, err
		}
		if i == 0 {
			r.EnqueueLatency = time.Since(start)
		}
		stats, err := waitAccepted(ctx, fleet, base+o.inboxes, plain)
		cpu := cpuTime() - cpu0
		allocs, bytes := heapAllocs()
		if perr := stopProfile(); err == nil {
			err = perr
		}
		if err != nil {
			stopRun()
			return r, fmt.Errorf("round %d: %w", i+1, err)
		}
		accepted = stats.Accepted
		rd := round{Elapsed: time.Since(start), Deliveries: accepted - base, Telemetry: tel}
		rd.CPUBusy = cpu.Seconds() / (rd.Elapsed.Seconds() * float64(runtime.GOMAXPROCS(0)))
		rd.CPUPerDelivery = cpu / time.Duration(rd.Deliveries)
		rd.Allocs = float64(allocs-allocs0) / float64(rd.Deliveries)
		rd.AllocBytes = float64(bytes-bytes0) / float64(rd.Deliveries)
		rd.DeliveriesPerSec = float64(rd.Deliveries) / rd.Elapsed.Seconds()
		// The round's engine stops once its queue is empty: stopped earlier, it would leave a
		// page whose last records were not written yet to the next round's engine to send again.
		if err := drained(ctx, st); err != nil {
			stopRun()
			return r, err
		}
		// The last scrape follows the drain: the fleet counts a delivery when it answers, the
		// engine when the answer is back.
		if scraped != nil {
			if r.Scrapes, err = scraped(); err != nil {
				stopRun()
				return r, err
			}
		}
		if plain != nil {
			plain.wait()
		}
		stopRun()
		if i == 0 {
			r.PeakRSSFanOutKB = procStatusKB("VmHWM")
		}
		// The machine is shared: measure the signing rate again after each fan-out and use the
		// mean of the rates around it.
		signAfter, signCPUAfter := signCost(key, o.signFor)
		rd.SignPerSec = (signBefore + signAfter) / 2
		rd.Ratio = rd.DeliveriesPerSec / rd.SignPerSec
		rd.SignCPU = (signCPUBefore + signCPUAfter) / 2
		rd.CPURatio = float64(rd.CPUPerDelivery) / float64(rd.SignCPU)
		signBefore, signCPUBefore = signAfter, signCPUAfter
		r.Rounds = append(r.Rounds, rd)
	}
	sorted := slices.Clone(r.Rounds)
	slices.SortFunc(sorted, func(a, b round) int { return cmp.Compare(a.CPURatio, b.CPURatio) })
	med := sorted[len(sorted)/2]
	r.Elapsed, r.Deliveries, r.DeliveriesPerSec = med.Elapsed, med.Deliveries, med.DeliveriesPerSec
	r.SignPerSec, r.Ratio, r.CPUBusy = med.SignPerSec, med.Ratio, med.CPUBusy
	r.CPUPerDelivery, r.SignCPU, r.CPURatio = med.CPUPerDelivery, med.SignCPU, med.CPURatio
	stats, err := fleet.Stats(ctx)
	if err != nil {
		return r, err
	}
	r.Checked, r.Bad = stats.Checked, stats.Bad
	r.Duplicates = stats.Accepted - len(r.Rounds)*stats.Distinct
	r.Conns = stats.Conns
	if r.Bad > 0 {
		return r, fmt.Errorf("%d deliveries had bad signatures", r.Bad)
	}
	return r, nil
}

// startProfile starts the CPU profile of round n, if o asks for one, and returns the function
// that stops it and writes it out.
func startProfile(o options, n int) (func() error, error) {
	if o.cpuprofile == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", o.cpuprofile, n))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// putActivity stores a Create of the bench actor under id.
func putActivity(ctx context.Context, st store.Objects, id string) error {
	return st.PutObject(ctx, store.Object{ID: id, ActorID: actorID, Type: "Create", Document: activityDoc(id)})
}

// activityDoc is the document of the Create id of the bench actor.
func activityDoc(id string) []byte {
	return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id + `","type":"Create","actor":"` + actorID + `"}`)
}

// waitAccepted waits until the fleet has accepted n deliveries in all, or a plain round (if not
// nil) failed.
func waitAccepted(ctx context.Context, fleet *inboxfleet.Process, n int, plain *plainPost) (inboxfleet.Stats, error) {
	if plain == nil {
		return fleet.WaitAccepted(ctx, n)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := make(chan error, 1)
	go func() {
		select {
		case err := <-plain.err:
			failed <- err
			cancel()
		case <-ctx.Done():
		}
	}()
	st, err := fleet.WaitAccepted(ctx, n)
	select {
	case ferr := <-failed:
		return st, ferr
	default:
		return st, err
	}
}

// openStore opens the store named by -store; port is the fleet's (see inboxURL).
func openStore(ctx context.Context, o options, port int) (store.Store, func(), error) {
	switch o.store {
	case "mem":
		return memstore.New(), func() {}, nil
	case "sqlite":
		dir := o.dir
		cleanup := func() {}
		if dir == "" {
			d, err := os.MkdirTemp("", "deliverybench")
			if err != nil {
				return nil, nil, err
			}
			dir, cleanup = d, func() { os.RemoveAll(d) }
		}
		path := filepath.Join(dir, "bench.db")
		if o.bulk {
			if err := bulkLoad(ctx, path, o, port); err != nil {
				cleanup()
				return nil, nil, err
			}
		}
		s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Config{})
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		if o.wal != nil {
			o.wal.start(path)
		}
		return s, func() { o.wal.stopSampling(); s.Close(); cleanup() }, nil
	case "redis":
		return openRedis(ctx, o.redisURL)
	}
	return nil, nil, fmt.Errorf("unknown store %q", o.store)
}

// populate adds o.followers followers spread over o.inboxes shared inboxes on o.hosts hosts of
// the fleet listening on port.
func populate(ctx context.Context, st store.Store, o options, port int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	// SQLite has one writer: concurrent inserts only wait on each other's locks.
	n := 4
	if o.store == "sqlite" {
		n = 1
	}
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= o.followers {
					return
				}
				in := i % o.inboxes
				f := store.Follower{ActorID: actorID, FollowerID: "https://f.test/u/" + strconv.Itoa(i),
					Inbox: "https://f.test/u/" + strconv.Itoa(i) + "/inbox", SharedInbox: inboxURL(o, port, in%o.hosts, in)}
				if err := st.AddFollower(ctx, f); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// signCost measures RSA PKCS#1 v1.5 SHA-256 signatures per second on every core, and the CPU time
// of one.
func signCost(key *rsa.PrivateKey, d time.Duration) (float64, time.Duration) {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuTime()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			h := sha256.Sum256([]byte("(request-target): post /inbox\nhost: h.test\ndate: x\ndigest: y"))
			for time.Now().Before(deadline) {
				if _, err := key.Sign(rand.Reader, h[:], crypto.SHA256); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if n.Load() == 0 {
		return 0, 0
	}
	return float64(n.Load()) / elapsed.Seconds(), cpu / time.Duration(n.Load())
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapAllocs returns how many heap allocations this process has made, and their bytes.
func heapAllocs() (objects, bytes uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// resetPeakRSS resets VmHWM (Linux: writing 5 to clear_refs), so the peak measured after is
// the fan-out's.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procStatusKB reads a kB field of /proc/self/status; 0 when unavailable.
func procStatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// bulkLoad creates the SQLite store at path and fills its followers table with one INSERT …
// SELECT, as sqlstore's own 1M-follower benchmarks do: a million AddFollower calls would take
// minutes. It depends on sqlstore's schema (migration 2), which is fine for a benchmark.
func bulkLoad(ctx context.Context, path string, o options, port int) error {
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Config{}) // runs the migrations
	if err != nil {
		return err
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	// inboxURL's URLs, host h being (i % ?3) % ?4 and inbox i % ?3.
	inbox := `printf('http://h%06d.fleet.test/inbox/%d', (i % ?3) % ?4, i % ?3)`
	if o.conns == "per-host" {
		inbox = `printf('http://127.%d.%d.%d:%d/inbox/%d', 100 + ((i % ?3) % ?4 >> 16), ((i % ?3) % ?4 >> 8) & 255,
			(i % ?3) % ?4 & 255, ?6, i % ?3)`
	}
	_, err = db.ExecContext(ctx, `INSERT INTO followers
		(actor_id, follower_id, inbox, shared_inbox, delivery_inbox, follow_id, created_at)
		SELECT ?1, 'https://f.test/u/' || i, 'https://f.test/u/' || i || '/inbox', `+inbox+`, `+inbox+`,
			'https://f.test/follows/' || i, ?5 + i
		FROM (WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < ?2 - 1) SELECT i FROM g)`,
		actorID, o.followers, o.inboxes, o.hosts, time.Now().UnixNano(), port)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

// openRedis opens a redisstore under a fresh key prefix; closing it deletes the prefix's keys.
func openRedis(ctx context.Context, url string) (store.Store, func(), error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("-redis: %w", err)
	}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("redis at %s: %w", url, err)
	}
	prefix := "fedsitebench:" + rand.Text() + ":"
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	cleanup := func() {
		var cursor uint64
		for {
			keys, next, err := c.Scan(context.Background(), cursor, prefix+"*", 10_000).Result()
			if err == nil && len(keys) > 0 {
				err = c.Unlink(context.Background(), keys...).Err()
			}
			if err != nil || next == 0 {
				break
			}
			cursor = next
		}
		c.Close()
	}
	return s, cleanup, nil
}
