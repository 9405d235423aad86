// Package inboxfleet runs a fleet of fake ActivityPub inboxes for delivery load and crash tests:
// one HTTP server on a loopback port answers for any number of hosts (told apart by the Host
// header, such as h000042.fleet.test), counts what each inbox receives, and verifies the HTTP
// signature of a sample of the deliveries so a benchmark cannot pass by sending garbage.
//
// [Client] returns an *http.Client that connects every host name to the fleet's address, so the
// code under test sees thousands of distinct hosts, each with its own connections. With
// Config.Hosts the fleet also listens on a loopback address per host ([HostInbox]), so that any
// client meets each host as a distinct server. [StartProcess] runs the fleet in a process of its
// own, so that it shares neither the scheduler nor the CPU accounting of the sender it measures.
package inboxfleet
