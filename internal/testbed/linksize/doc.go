// Package linksize holds the tiny programs whose binary sizes BENCHMARKS.md compares: what a host
// links for each way of running fedsite. hello is a bare net/http server; memstore adds a
// Federation over the in-memory store; postgres, sqlite and redis use the store of that name,
// each importing only its own driver; gofed is memstore plus the go-fed bridge (activitypub/gofed).
// Serve is the part the last five share.
//
// Measure with
//
//	for p in hello memstore postgres sqlite redis gofed; do
//		go build -o /tmp/ls-$p ./internal/testbed/linksize/$p && go build -ldflags='-s -w' -o /tmp/ls-$p-s ./internal/testbed/linksize/$p
//	done; ls -l /tmp/ls-*
package linksize
