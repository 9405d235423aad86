package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxbench"
)

func main() {
	d := flag.Duration("d", 10*time.Second, "how long to load the inbox")
	c := flag.Int("c", 64, "concurrent connections")
	n := flag.Int("n", 2000, "distinct pre-signed activities")
	rfc := flag.Bool("rfc9421", false, "sign with RFC 9421 instead of draft-cavage")
	flag.Parse()
	ctx := context.Background()
	h, err := inboxbench.New(ctx, inboxbench.Config{Requests: *n, RFC9421: *rfc})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer h.Close()
	r := h.Load(ctx, *c, *d)
	rate, err := inboxbench.RSAVerifyRate(2 * time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("GOMAXPROCS=%d concurrency=%d rfc9421=%v\n%v\nrsa2048 verify: %.0f/s (inbox at %.0f%% of it)\n",
		runtime.GOMAXPROCS(0), *c, *rfc, r, rate, 100*r.PerSecond/rate)
}
