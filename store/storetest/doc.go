// Package storetest checks that a storage adapter keeps every contract of package store.
//
// [Run] takes a factory of [store.Site] stores and runs one subtest per rule of each site-state
// contract, each on a fresh store, in the way testing/slogtest checks a slog.Handler; [RunDelivery]
// does the same for the [store.Delivery] contracts (queue, delivery records, host states), so a
// delivery backend is proven on its own, and its factory also takes the fake clock the store must
// tell the time with. Optional capabilities are checked where a store has them and skipped,
// naming the interface, where it has not. Every adapter in fedsite runs both suites, and so
// should an adapter written outside the project.
//
// # Running the suite
//
// In the adapter's test file:
//
//	func TestConformance(t *testing.T) {
//		open := func(t *testing.T, now func() time.Time) *myadapter.Store {
//			s, err := myadapter.New(myadapter.Config{
//				Now: now, // the store tells the time with now
//				// and a fresh, isolated namespace
//			})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		}
//		storetest.Run(t, func(t *testing.T) *myadapter.Store { return open(t, time.Now) }) // a store.Site
//		storetest.RunDelivery(t, open) // if it is a store.Delivery too
//	}
//
// The factory is called once per subtest and must return an empty store that no other subtest
// or test run shares: a new database schema, a new key prefix, or a new in-memory value. Register
// cleanup with t.Cleanup. Subtests are named after the contract and the rule they check
// (for example "Followers/AddIsIdempotent"), so go test -run selects them.
//
// # What it requires
//
// Beyond the sentences in package store, the suite fixes a few details every adapter must agree on:
//   - times survive a round trip to at least millisecond precision (compared with time.Time.Equal);
//   - documents and key material come back byte for byte;
//   - a page never holds more than limit items, and a walk over Next cursors ends;
//   - a cursor the adapter did not issue gives an error matching [store.ErrBadCursor];
//   - a cancelled context gives an error matching [context.Canceled] from every method;
//   - [store.Seen] entries expire: the suite marks with a 200 ms ttl and waits past it;
//   - queue leases expire, extended leases do not, and retries and NotBefore wait: the queue's
//     times come from the now func [RunDelivery] hands the factory, and the suite moves that
//     clock on rather than sleeping, so the adapter must take every queue time from it;
//   - a delivery record never moves back ([store.DeliveryState.Rank]);
//   - a job leased and acked by several goroutines at once is handed out exactly once;
//   - a block is stored normalized ([store.Block.Normalized]), covers what [store.BlockTargets]
//     says, and removes exactly the followers it covers, with every index that finds them.
//
// Some subtests run goroutines against the store (concurrent inserts while paging, concurrent
// MarkSeen, CreateKeyPair and AddInteraction), so run the suite with -race.
package storetest
