// Command deliverybench measures fedsite's delivery fan-out against a fleet of fake inboxes on
// loopback (package inboxfleet, run in a process of its own), with RSA-2048 signatures, and
// reports deliveries per second beside the raw RSA signing rate measured in the same run, the CPU
// time of this process per delivery beside that of one raw signature with the same key, the
// Publish (enqueue) latency, and the peak RSS of the fan-out.
//
// Usage:
//
//	go run ./internal/testbed/deliverybench -followers 10000 -inboxes 10000 -store sqlite
//	go run ./internal/testbed/deliverybench -followers 100000 -inboxes 10000
//	go run ./internal/testbed/deliverybench -followers 1000000 -inboxes 10000 -store sqlite
//	go run ./internal/testbed/deliverybench -followers 10000 -inboxes 10000 -rounds 3 -conns per-host
//
// Each inbox is on its own host unless -hosts is lower. With -conns shared (the default) a host is
// a name (h000042.fleet.test) sent to the fleet's one address over connections the hosts share;
// with -conns per-host it is a distinct server at a loopback address of its own
// (127.100.0.42), reached through the HTTP client a site gets by default, whose connections are
// pooled per host. One delivery in -verify has its signature checked.
package main
