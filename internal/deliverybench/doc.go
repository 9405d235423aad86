// Command deliverybench measures fedsite's delivery fan-out against a fleet of fake inboxes on
// loopback (package inboxfleet), with RSA-2048 signatures, and reports deliveries per second
// beside the raw RSA signing rate measured in the same run, the Publish (enqueue) latency, and the
// peak RSS of the fan-out.
//
// Usage:
//
//	go run ./internal/deliverybench -followers 10000 -inboxes 10000 -store sqlite
//	go run ./internal/deliverybench -followers 100000 -inboxes 10000
//	go run ./internal/deliverybench -followers 1000000 -inboxes 10000 -store sqlite
//
// Each inbox is on its own host (h000042.fleet.test) unless -hosts is lower; every host name is
// connected to the fleet's loopback port. One delivery in -verify has its signature checked.
//
// The fleet runs in the benchmark's own process unless -fleet-process is set: then it runs in a
// child process (this binary re-executed) at nice 19, reporting its counters over its stdin and
// stdout. The child still shares the machine's cores; on two cores it was measured slower than
// the in-process fleet (its responses wait for the sender to go idle), so it is not the default.
package main
