// Package crashtest holds the delivery engine's crash tests: a delivery process (the test binary
// re-executed as a helper) runs a fan-out against a fleet of fake inboxes (package inboxfleet) and
// is killed with SIGKILL at random points, then restarted on the same store. The tests check that
// every inbox received the activity and that duplicates stay within what was in flight when each
// process died. One runs on a SQLite file; one runs two instances sharing Redis and kills one.
package crashtest
