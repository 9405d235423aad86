package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fedsite/fedsite/internal/inboxfleet"
	"github.com/fedsite/fedsite/signing"
)

// envFleetChild, when set in the environment, makes the binary run as the fleet's child process
// instead of the benchmark. The value is unused; the fleet's settings travel in the variables below.
const (
	envFleetChild  = "DELIVERYBENCH_FLEET_CHILD"
	envFleetKey    = "DELIVERYBENCH_FLEET_KEY" // PEM public key
	envFleetKeyID  = "DELIVERYBENCH_FLEET_KEYID"
	envFleetVerify = "DELIVERYBENCH_FLEET_VERIFY"
)

// childNice is the niceness the fleet's child runs at: the lowest CPU priority.
const childNice = 19

// fleetStats are a fleet's counters at one moment.
type fleetStats struct {
	Accepted int   `json:"accepted"` // deliveries accepted, duplicates included
	Distinct int   `json:"distinct"` // inboxes that accepted at least one delivery
	Total    int64 `json:"total"`    // requests, rejected ones included
	Checked  int64 `json:"checked"`  // deliveries whose signature was verified
	Bad      int64 `json:"bad"`      // verified deliveries whose signature failed
}

// fleet is what the benchmark needs of the fake inboxes, in this process or in a child.
type fleet interface {
	Addr() string
	Stats() (fleetStats, error)
	Close() error
}

// localFleet runs the fleet in this process.
type localFleet struct{ *inboxfleet.Fleet }

func (l localFleet) Stats() (fleetStats, error) {
	return fleetStats{Accepted: l.Accepted(), Distinct: l.Distinct(), Total: l.Total(),
		Checked: l.Checked(), Bad: l.BadSignatures()}, nil
}

// hello is the child's first line on stdout.
type hello struct {
	Addr  string `json:"addr"`
	Nice  int    `json:"nice"`  // the highest-priority (lowest) niceness among the child's threads
	Error string `json:"error"` // set when the fleet could not start
}

// childFleet runs the fleet in a child process (this binary, re-executed with envFleetChild set)
// at the lowest CPU priority. The parent asks for the counters by writing a line to the child's
// stdin and reading one JSON line back; the child exits when its stdin closes.
type childFleet struct {
	cmd  *exec.Cmd
	addr string
	nice int

	mu  sync.Mutex
	in  io.WriteCloser
	out *bufio.Reader
}

// startChildFleet starts the child and waits for its address. The child is this executable: main
// (or, under go test, TestMain) hands over to childMain before parsing any flag.
func startChildFleet(cfg inboxfleet.Config) (*childFleet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	pem, err := signing.EncodePublicKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envFleetChild+"=1", envFleetKey+"="+string(pem),
		envFleetKeyID+"="+cfg.KeyID, envFleetVerify+"="+strconv.Itoa(cfg.VerifyEvery))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	if err := startNiced(cmd); err != nil {
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	c := &childFleet{cmd: cmd, in: in, out: bufio.NewReader(out)}
	var h hello
	line, err := c.out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &h)
	}
	if err == nil && h.Error != "" {
		err = errors.New(h.Error)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	c.addr, c.nice = h.Addr, h.Nice
	return c, nil
}

// startNiced starts cmd from an OS thread whose niceness is first raised to childNice, so the
// child inherits it from its very first thread (Linux keeps the niceness per thread, and a child
// takes the forking thread's). The thread is never unlocked: it ends with its goroutine, so no
// other goroutine of the benchmark ever runs at that priority.
func startNiced(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), childNice); err != nil {
			errc <- fmt.Errorf("setpriority: %w", err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

func (c *childFleet) Addr() string { return c.addr }

// Stats asks the child for its counters.
func (c *childFleet) Stats() (fleetStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s fleetStats
	if _, err := io.WriteString(c.in, "stats\n"); err != nil {
		return s, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return s, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	if err := json.Unmarshal(line, &s); err != nil {
		return s, fmt.Errorf("deliverybench: fleet child: %w", err)
	}
	return s, nil
}

// Close closes the child's stdin, which ends it, and waits for it (killing it after 5 s).
func (c *childFleet) Close() error {
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		return <-done
	}
}

// childMain is the fleet's child process: it serves the fleet, prints a hello line, then answers
// each line read on stdin with the counters as one JSON line, until stdin closes.
func childMain(stdin io.Reader, stdout io.Writer) int {
	enc := json.NewEncoder(stdout)
	f, err := startFleetFromEnv()
	if err != nil {
		enc.Encode(hello{Error: err.Error()})
		return 1
	}
	defer f.Close()
	if err := enc.Encode(hello{Addr: f.Addr(), Nice: minNice()}); err != nil {
		return 1
	}
	l := localFleet{f}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		s, _ := l.Stats()
		if err := enc.Encode(s); err != nil {
			return 1
		}
	}
	return 0
}

func startFleetFromEnv() (*inboxfleet.Fleet, error) {
	key, err := signing.ParsePublicKey([]byte(os.Getenv(envFleetKey)))
	if err != nil {
		return nil, err
	}
	verify, err := strconv.Atoi(os.Getenv(envFleetVerify))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envFleetVerify, err)
	}
	return inboxfleet.Start(inboxfleet.Config{Key: key, KeyID: os.Getenv(envFleetKeyID), VerifyEvery: verify})
}

// minNice returns the lowest niceness among this process's threads (read from /proc), or 0 when
// /proc is unavailable.
func minNice() int {
	stats, _ := filepath.Glob("/proc/self/task/*/stat")
	lowest, found := 0, false
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces: count fields after its end.
		_, rest, ok := strings.Cut(string(b), ") ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 17 {
			continue
		}
		n, err := strconv.Atoi(fields[16]) // field 19 of stat; rest starts at field 3
		if err != nil {
			continue
		}
		if !found || n < lowest {
			lowest, found = n, true
		}
	}
	return lowest
}
