// Package crashtest holds the delivery engine's crash tests: a delivery process (the test binary
// re-executed as a helper) runs a fan-out against a fleet of fake inboxes (package inboxfleet) and
// is killed with SIGKILL at random points, then restarted on the same store. The tests check that
// every inbox received the activity and that duplicates stay within what was in flight when each
// process died, and that the work went on soon enough: a single process on a SQLite file, restarted
// at once, reaches every inbox within 10 s of its last restart; of two instances sharing Redis or
// PostgreSQL, the survivor reaches them all within 30 s of the other's death.
package crashtest
