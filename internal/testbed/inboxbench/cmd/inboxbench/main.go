package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxbench"
)

func main() {
	d := flag.Duration("d", 10*time.Second, "how long to load the inbox")
	c := flag.Int("c", 64, "concurrent connections")
	n := flag.Int("n", 2000, "distinct pre-signed activities")
	rfc := flag.Bool("rfc9421", false, "sign with RFC 9421 instead of draft-cavage")
	site := flag.String("site", "", "base URL of a site running in another process, such as the newsroom, to load instead of an in-process one")
	pid := flag.Int("pid", 0, "with -site: the site's process id, to report its CPU time per request")
	flag.Parse()
	ctx := context.Background()
	h, err := inboxbench.New(ctx, inboxbench.Config{Requests: *n, RFC9421: *rfc, Site: *site})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer h.Close()
	cpu0, err := cpuTime(*pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := h.Load(ctx, *c, *d)
	if cpu1, err := cpuTime(*pid); err == nil && *pid > 0 && r.Accepted > 0 {
		fmt.Printf("site CPU: %.3f ms per accepted request (%.2f cores)\n",
			float64((cpu1-cpu0).Microseconds())/1000/float64(r.Accepted), (cpu1-cpu0).Seconds()/r.Elapsed.Seconds())
	}
	rate, err := inboxbench.RSAVerifyRate(2 * time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("GOMAXPROCS=%d concurrency=%d rfc9421=%v\n%v\nrsa2048 verify: %.0f/s (inbox at %.0f%% of it)\n",
		runtime.GOMAXPROCS(0), *c, *rfc, r, rate, 100*r.PerSecond/rate)
}

// cpuTime is the user and system CPU time process pid has used, from /proc (Linux); 0 when pid
// is 0.
func cpuTime(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("inboxbench: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("inboxbench: /proc/%d/stat: %w", pid, err)
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
