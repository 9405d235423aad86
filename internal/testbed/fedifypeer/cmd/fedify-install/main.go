package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

func main() {
	cache := flag.String("cache", "", "cache directory (default $FEDSITE_FEDIFY_CACHE or the user cache directory)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	start := flag.Bool("start", false, "also start the peer once and stop it")
	flag.Parse()
	if err := run(*cache, *timeout, *start); err != nil {
		fmt.Fprintln(os.Stderr, "fedify-install:", err)
		os.Exit(1)
	}
}

func run(cache string, timeout time.Duration, start bool) error {
	cfg := fedifypeer.Config{
		CacheDir: cache,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	begin := time.Now()
	node, err := fedifypeer.Install(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fedify-install: installed in %v\n", time.Since(begin).Round(time.Millisecond))
	if start {
		begin = time.Now()
		p, err := fedifypeer.Start(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "fedify-install: peer %s ready in %v\n", p.URL(), time.Since(begin).Round(time.Millisecond))
		if err := p.Close(); err != nil {
			return err
		}
	}
	fmt.Println(node)
	return nil
}
