// Command fedify-install installs the pinned Fedify (and Node.js 22 when the
// system node is older) into the fedifypeer cache and prints the path of the
// node binary. CI runs it before the interop tests so a broken install fails
// the build loudly.
//
// Usage:
//
//	go run ./internal/fedifypeer/cmd/fedify-install [-cache DIR] [-timeout 10m]
//
// Without -cache it uses $FEDSITE_FEDIFY_CACHE, else the user cache
// directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fedsite/fedsite/internal/fedifypeer"
)

func main() {
	cache := flag.String("cache", "", "cache directory (default $FEDSITE_FEDIFY_CACHE or the user cache directory)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	node, err := fedifypeer.Install(ctx, fedifypeer.Config{
		CacheDir: *cache,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fedify-install:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "fedify-install: ready in %v\n", time.Since(start).Round(time.Millisecond))
	fmt.Println(node)
}
