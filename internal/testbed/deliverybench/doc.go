// Command deliverybench measures fedsite's delivery fan-out against a fleet of fake inboxes on
// loopback (package inboxfleet), with RSA-2048 signatures, and reports deliveries per second
// beside the raw RSA signing rate measured in the same run, the Publish (enqueue) latency, and the
// peak RSS of the fan-out.
//
// Usage:
//
//	go run ./internal/testbed/deliverybench -followers 10000 -inboxes 10000 -store sqlite
//	go run ./internal/testbed/deliverybench -followers 100000 -inboxes 10000
//	go run ./internal/testbed/deliverybench -followers 1000000 -inboxes 10000 -store sqlite
//
// Each inbox is on its own host (h000042.fleet.test) unless -hosts is lower; every host name is
// connected to the fleet's loopback port. One delivery in -verify has its signature checked.
package main
