// Command fedify-install installs the pinned Fedify (and Node.js 22 when the
// system node is older) into the fedifypeer cache and prints the path of the
// node binary. CI runs it before the interop tests so a broken install fails
// the build loudly.
//
// Usage:
//
//	go run ./internal/testbed/fedifypeer/cmd/fedify-install [-cache DIR] [-timeout 10m] [-start]
//
// Without -cache it uses $FEDSITE_FEDIFY_CACHE, else the user cache
// directory. With -start it also starts the peer once, reports how long
// that took and stops it, to prove the installation runs.
package main
