package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var hostTests = []deliveryTest{
	{"UnknownIsZero", testHostUnknown},
	{"StatesInOrder", testHostStates},
	{"FailedCountsAndOpens", testHostFailed},
	{"FailedIsAtomic", testHostFailedConcurrent},
	{"CancelledIsReported", testHostsCancelled},
}

var deliveryTests = []deliveryTest{
	{"RecordAndPage", testDeliveriesPage},
	{"RecordReplaces", testDeliveryReplace},
	{"RecordNeverMovesBack", testDeliveryForwardOnly},
	{"RecordBatch", testDeliveryBatch},
	{"RecordBatchUnusualBytes", testDeliveryBatchBytes},
	{"BadCursor", testDeliveriesBadCursor},
	{"States", testDeliveryStates},
	{"StatesOfAFullPage", testDeliveryStatesPage},
	{"CancelledIsReported", testDeliveriesCancelled},
	{"CountByHostAndState", testCountDeliveries},
}

// hostsOf returns the store's host state.
func hostsOf(_ *testing.T, s store.Delivery) store.Hosts { return s }

// deliveriesOf returns the store's delivery records.
func deliveriesOf(_ *testing.T, s store.Delivery) store.Deliveries { return s }

func sameHost(got, want store.HostState) bool {
	return got.Host == want.Host && got.Failures == want.Failures &&
		sameTime(got.LastFailure, want.LastFailure) && sameTime(got.OpenUntil, want.OpenUntil)
}

// hostState reads one host's state through HostStates.
func hostState(c context.Context, h store.Hosts, host string) (store.HostState, error) {
	sts, err := h.HostStates(c, host)
	if err != nil {
		return store.HostState{}, err
	}
	if len(sts) != 1 {
		return store.HostState{}, fmt.Errorf("HostStates(%q) returned %d states, want 1", host, len(sts))
	}
	return sts[0], nil
}

func testHostStates(t *testing.T, s store.Delivery, _ *clock) {
	h := hostsOf(t, s)
	_, err := h.HostFailed(ctx(t), "down.example", base)
	must(t, "HostFailed", err)
	open := base.Add(time.Hour)
	must(t, "OpenHost", h.OpenHost(ctx(t), "open.example", open))
	tests := []struct {
		name  string
		hosts []string
		want  []store.HostState
	}{
		{"none", nil, nil},
		{"unknown", []string{"never.example"}, []store.HostState{{Host: "never.example"}}},
		{"mixed, in order, repeats kept", []string{"open.example", "never.example", "down.example", "open.example"},
			[]store.HostState{{Host: "open.example", OpenUntil: open}, {Host: "never.example"},
				{Host: "down.example", Failures: 1, LastFailure: base}, {Host: "open.example", OpenUntil: open}}},
	}
	for _, tt := range tests {
		got, err := h.HostStates(ctx(t), tt.hosts...)
		must(t, "HostStates "+tt.name, err)
		if len(got) != len(tt.want) {
			t.Errorf("HostStates %s: %d states, want %d", tt.name, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if !sameHost(got[i], tt.want[i]) {
				t.Errorf("HostStates %s [%d] = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func testHostUnknown(t *testing.T, s store.Delivery, _ *clock) {
	h := hostsOf(t, s)
	got, err := hostState(ctx(t), h, "never.example")
	must(t, "HostState", err)
	if want := (store.HostState{Host: "never.example"}); !sameHost(got, want) {
		t.Errorf("HostState(unknown) = %+v, want %+v", got, want)
	}
	must(t, "HostSucceeded(unknown)", h.HostSucceeded(ctx(t), "never.example"))
}

func testHostFailed(t *testing.T, s store.Delivery, _ *clock) {
	h := hostsOf(t, s)
	const host = "down.example"
	var st store.HostState
	var err error
	for i := 1; i <= 3; i++ {
		st, err = h.HostFailed(ctx(t), host, base.Add(time.Duration(i)*time.Second))
		must(t, "HostFailed", err)
		if want := (store.HostState{Host: host, Failures: i, LastFailure: base.Add(time.Duration(i) * time.Second)}); !sameHost(st, want) {
			t.Errorf("HostFailed #%d = %+v, want %+v", i, st, want)
		}
	}
	open := base.Add(time.Hour)
	must(t, "OpenHost", h.OpenHost(ctx(t), host, open))
	want := store.HostState{Host: host, Failures: 3, LastFailure: base.Add(3 * time.Second), OpenUntil: open}
	if got, err := hostState(ctx(t), h, host); err != nil || !sameHost(got, want) {
		t.Errorf("HostState after OpenHost = %+v, %v; want %+v", got, err, want)
	}
	st, err = h.HostFailed(ctx(t), host, base.Add(4*time.Second))
	must(t, "HostFailed(open)", err)
	want.Failures, want.LastFailure = 4, base.Add(4*time.Second)
	if !sameHost(st, want) {
		t.Errorf("HostFailed on an open host = %+v, want %+v (OpenUntil kept)", st, want)
	}
	if got, err := hostState(ctx(t), h, "other.example"); err != nil || got.Failures != 0 {
		t.Errorf("HostState(other host) = %+v, %v; want zero", got, err)
	}
	must(t, "OpenHost(new host)", h.OpenHost(ctx(t), "probe.example", open))
	if got, err := hostState(ctx(t), h, "probe.example"); err != nil || !sameHost(got, store.HostState{Host: "probe.example", OpenUntil: open}) {
		t.Errorf("HostState after OpenHost on a new host = %+v, %v", got, err)
	}
	must(t, "HostSucceeded", h.HostSucceeded(ctx(t), host))
	if got, err := hostState(ctx(t), h, host); err != nil || !sameHost(got, store.HostState{Host: host}) {
		t.Errorf("HostState after HostSucceeded = %+v, %v; want the zero state", got, err)
	}
}

func testHostFailedConcurrent(t *testing.T, s store.Delivery, _ *clock) {
	h := hostsOf(t, s)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := h.HostFailed(ctx(t), "busy.example", base.Add(msec(i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("HostFailed: %v", err)
	}
	if got, err := hostState(ctx(t), h, "busy.example"); err != nil || got.Failures != n {
		t.Errorf("HostState after %d concurrent failures = %+v, %v", n, got, err)
	}
}

func testHostsCancelled(t *testing.T, s store.Delivery, _ *clock) {
	h := hostsOf(t, s)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"HostStates", func() error { _, err := h.HostStates(c, "a.example"); return err }},
		{"HostFailed", func() error { _, err := h.HostFailed(c, "a.example", base); return err }},
		{"OpenHost", func() error { return h.OpenHost(c, "a.example", base) }},
		{"HostSucceeded", func() error { return h.HostSucceeded(c, "a.example") }},
	}
	for _, cl := range calls {
		if err := cl.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s under a cancelled context: error = %v, want one matching context.Canceled", cl.name, err)
		}
	}
	if got, err := hostState(ctx(t), h, "a.example"); err != nil || got.Failures != 0 || !got.OpenUntil.IsZero() {
		t.Errorf("HostState after cancelled writes = %+v, %v; want zero", got, err)
	}
}

func record(object, activity, inbox string, state store.DeliveryState, n int) store.DeliveryRecord {
	return store.DeliveryRecord{
		ObjectID: object, ActivityID: activity, Inbox: inbox, Host: "h.example",
		State: state, Attempts: n, LastError: "", UpdatedAt: base.Add(msec(n)),
	}
}

func sameRecord(a, b store.DeliveryRecord) bool {
	ua, ub := a.UpdatedAt, b.UpdatedAt
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	return a == b && sameTime(ua, ub)
}

func allDeliveries(t *testing.T, d store.Deliveries, object string, limit int) []store.DeliveryRecord {
	t.Helper()
	return walkPages(t, "DeliveriesPage", limit, 100, func(cursor string) (store.Page[store.DeliveryRecord], error) {
		return d.DeliveriesPage(ctx(t), object, cursor, limit)
	})
}

func testDeliveriesPage(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj, obj2 = "https://news.example/articles/1", "https://news.example/articles/2"
	const create, update = "https://news.example/activities/1-create", "https://news.example/activities/1-update"
	// In byte order upper case sorts before lower case and the create before the update ("c" <
	// "u"); the records are written out of order.
	want := []store.DeliveryRecord{
		record(obj, create, "https://B.example/inbox", store.DeliveryDelivered, 1),
		record(obj, create, "https://a.example/inbox", store.DeliveryRetrying, 2),
		record(obj, create, "https://a.example/users/x/inbox", store.DeliveryFailed, 3),
		record(obj, update, "https://B.example/inbox", store.DeliveryQueued, 4),
		record(obj, update, "https://c.example/inbox", store.DeliveryQueued, 5),
	}
	want[1].LastError = "503 Service Unavailable"
	for _, i := range []int{4, 2, 0, 3, 1} {
		must(t, "RecordDelivery", d.RecordDelivery(ctx(t), want[i]))
	}
	must(t, "RecordDelivery(other object)", d.RecordDelivery(ctx(t), record(obj2, "https://news.example/activities/2-create", "https://a.example/inbox", store.DeliveryQueued, 6)))
	for _, limit := range []int{1, 2, 5, 100} {
		got := allDeliveries(t, d, obj, limit)
		if len(got) != len(want) {
			t.Errorf("limit %d: %d records, want %d: %+v", limit, len(got), len(want), got)
			continue
		}
		for i := range want {
			if !sameRecord(got[i], want[i]) {
				t.Errorf("limit %d: record %d = %+v, want %+v", limit, i, got[i], want[i])
			}
		}
	}
	p, err := d.DeliveriesPage(ctx(t), "https://news.example/none", "", 10)
	must(t, "DeliveriesPage(unknown object)", err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Errorf("DeliveriesPage(unknown object) = %+v, want an empty last page", p)
	}
	if _, err := d.DeliveriesPage(ctx(t), obj, "", 0); err == nil {
		t.Error("DeliveriesPage(limit 0): want an error")
	}
}

func testDeliveryReplace(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj, act, inbox = "https://news.example/articles/1", "https://news.example/activities/1", "https://a.example/inbox"
	r := record(obj, act, inbox, store.DeliveryQueued, 0)
	must(t, "RecordDelivery", d.RecordDelivery(ctx(t), r))
	r.State, r.Attempts, r.LastError, r.UpdatedAt = store.DeliveryRetrying, 2, "timeout", base.Add(time.Minute)
	must(t, "RecordDelivery(replace)", d.RecordDelivery(ctx(t), r))
	got := allDeliveries(t, d, obj, 10)
	if len(got) != 1 || !sameRecord(got[0], r) {
		t.Errorf("after replacing: %+v, want [%+v]", got, r)
	}
	z := record(obj, act, "https://z.example/inbox", store.DeliveryDelivered, 0)
	z.UpdatedAt = time.Time{}
	must(t, "RecordDelivery(zero UpdatedAt)", d.RecordDelivery(ctx(t), z))
	got = allDeliveries(t, d, obj, 10)
	if len(got) != 2 || !recent(got[1].UpdatedAt) {
		t.Errorf("record with zero UpdatedAt: %+v, want UpdatedAt set to now", got)
	}
}

func testDeliveryBatch(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj, obj2 = "https://news.example/articles/1", "https://news.example/articles/2"
	const act = "https://news.example/activities/1"
	must(t, "RecordDelivery(none)", d.RecordDelivery(ctx(t)))
	moved := record(obj2, act, "https://m.example/inbox", store.DeliveryQueued, 0)
	must(t, "RecordDelivery(to be moved)", d.RecordDelivery(ctx(t), moved))
	var batch, want []store.DeliveryRecord
	for _, host := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		r := record(obj, act, "https://"+host+".example/inbox", store.DeliveryQueued, 0)
		batch = append(batch, r)
		want = append(want, r)
	}
	// The same pair twice in one call: the later wins.
	later := want[3]
	later.State, later.Attempts, later.LastError = store.DeliveryRetrying, 1, "503"
	want[3] = later
	batch = append(batch, later)
	// A record filed under another object moves to this one.
	moved.ObjectID, moved.State = obj, store.DeliveryDelivered
	batch = append(batch, moved)
	want = append(want, moved)
	must(t, "RecordDelivery(batch)", d.RecordDelivery(ctx(t), batch...))
	wantRecords(t, len(batch), allDeliveries(t, d, obj, 100), want)
	if got := allDeliveries(t, d, obj2, 100); len(got) != 0 {
		t.Errorf("records left under the old object: %+v", got)
	}

	c, cancel := context.WithCancel(ctx(t))
	cancel()
	const obj3 = "https://news.example/articles/3"
	if err := d.RecordDelivery(c, record(obj3, act+"x", "https://a.example/inbox", store.DeliveryQueued, 0),
		record(obj3, act+"x", "https://b.example/inbox", store.DeliveryQueued, 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordDelivery(batch) under a cancelled context: error = %v", err)
	}
	if got := allDeliveries(t, d, obj3, 10); len(got) != 0 {
		t.Errorf("records after a cancelled batch: %+v", got)
	}
}

// testDeliveryBatchBytes writes in one call records whose every text holds bytes that JSON and
// SQL quote, control characters and non-ASCII letters, one pair twice, and reads each field back
// as written: an adapter that sends a batch encoded must decode every field as it was.
func testDeliveryBatchBytes(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj = `https://news.example/articles/"1"\ü`
	// quoted is odd as JSON writes it inside a string, recorded as is, so a store that encodes or
	// decodes one wrongly writes the other.
	const odd, quoted = `https://q.example/in box?a="1";b=\2`, `https://q.example/in box?a=\"1\";b=\\2`
	const wide = "https://ü.example/ïnbox/✓/'x'&<y>\u2028\x01"
	var batch []store.DeliveryRecord
	for i, activity := range []string{odd, quoted, wide} {
		for j, inbox := range []string{wide, quoted, odd} {
			r := record(obj, activity, inbox, store.DeliveryRetrying, 3*i+j)
			r.Host = `h"\✓.example`
			r.LastError = "503 \"Service\"\n\tUnavailable\\ 'ü' \u2028"
			batch = append(batch, r)
		}
	}
	want := slices.Clone(batch)
	// The same pair twice in one call: the later wins.
	later := batch[4]
	later.State, later.Attempts, later.LastError, later.UpdatedAt = store.DeliveryFailed, 9, `"}]`, base.Add(time.Hour)
	batch = append(batch, later)
	want[4] = later
	slices.SortFunc(want, func(a, b store.DeliveryRecord) int {
		return cmp.Or(strings.Compare(a.ActivityID, b.ActivityID), strings.Compare(a.Inbox, b.Inbox))
	})
	must(t, "RecordDelivery", d.RecordDelivery(ctx(t), batch...))
	wantRecords(t, len(batch), allDeliveries(t, d, obj, 4), want)
}

// wantRecords checks the records read back after a RecordDelivery batch of n.
func wantRecords(t *testing.T, n int, got, want []store.DeliveryRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("after a batch of %d: %d records, want %d: %+v", n, len(got), len(want), got)
	}
	for i := range want {
		if !sameRecord(got[i], want[i]) {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testDeliveriesBadCursor(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	for _, c := range []string{"not a cursor!", "%%%", "\x00"} {
		_, err := d.DeliveriesPage(ctx(t), "https://news.example/articles/1", c, 10)
		wantErr(t, "DeliveriesPage(bad cursor "+c+")", err, store.ErrBadCursor)
	}
}

func testDeliveriesCancelled(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	r := record("https://news.example/o", "https://news.example/a", "https://a.example/inbox", store.DeliveryQueued, 1)
	if err := d.RecordDelivery(c, r); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordDelivery under a cancelled context: error = %v", err)
	}
	if _, err := d.DeliveriesPage(c, r.ObjectID, "", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("DeliveriesPage under a cancelled context: error = %v", err)
	}
	if _, err := d.DeliveryStates(c, r.ObjectID, r.ActivityID, r.Inbox); !errors.Is(err, context.Canceled) {
		t.Errorf("DeliveryStates under a cancelled context: error = %v", err)
	}
	if _, err := d.DeliveryStates(c, r.ObjectID, r.ActivityID); !errors.Is(err, context.Canceled) {
		t.Errorf("DeliveryStates(no inboxes) under a cancelled context: error = %v", err)
	}
	if got := allDeliveries(t, d, r.ObjectID, 10); len(got) != 0 {
		t.Errorf("records after a cancelled write: %+v", got)
	}
}

// wantStates fails the test unless DeliveryStates returns want.
func wantStates(t *testing.T, step string, d store.Deliveries, object, activity string, inboxes []string, want []store.DeliveryState) {
	t.Helper()
	got, err := d.DeliveryStates(ctx(t), object, activity, inboxes...)
	must(t, "DeliveryStates "+step, err)
	if !slices.Equal(got, want) {
		t.Errorf("DeliveryStates %s = %q, want %q", step, got, want)
	}
}

func testDeliveryStates(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj, obj2 = "https://news.example/articles/1", "https://news.example/articles/2"
	const act, act2 = "https://news.example/activities/1", "https://news.example/activities/2"
	const a, b, never = "https://a.example/inbox", "https://b.example/inbox", "https://never.example/inbox"
	// Inboxes with bytes that JSON and SQL quote; quoted is odd as JSON writes it inside a string,
	// recorded as is, so a store that encodes or decodes one wrongly finds the other.
	const odd, quoted, wide = `https://q.example/in box?a="1";b=\2`, `https://q.example/in box?a=\"1\";b=\\2`,
		"https://ü.example/ïnbox/✓/'x'&<y>"
	must(t, "RecordDelivery", d.RecordDelivery(ctx(t),
		record(obj, act, a, store.DeliveryDelivered, 1),
		record(obj, act, b, store.DeliveryRetrying, 2),
		record(obj, act2, a, store.DeliveryFailed, 3),
		record(obj, act, odd, store.DeliveryQueued, 4),
		record(obj, act, quoted, store.DeliveryFailed, 5),
		record(obj, act, wide, store.DeliveryDelivered, 6),
	))
	const none = store.DeliveryState("")
	tests := []struct {
		name             string
		object, activity string
		inboxes          []string
		want             []store.DeliveryState
	}{
		{"no inboxes", obj, act, nil, nil},
		{"in order, unknown inbox empty", obj, act, []string{b, never, a},
			[]store.DeliveryState{store.DeliveryRetrying, none, store.DeliveryDelivered}},
		{"repeats kept", obj, act, []string{a, a}, []store.DeliveryState{store.DeliveryDelivered, store.DeliveryDelivered}},
		{"another activity", obj, act2, []string{a, b}, []store.DeliveryState{store.DeliveryFailed, none}},
		{"unknown activity", obj, "https://news.example/activities/9", []string{a}, []store.DeliveryState{none}},
		{"under another object", obj2, act, []string{a, b}, []store.DeliveryState{none, none}},
		{"unusual bytes", obj, act, []string{wide, quoted, odd},
			[]store.DeliveryState{store.DeliveryDelivered, store.DeliveryFailed, store.DeliveryQueued}},
	}
	for _, tt := range tests {
		wantStates(t, tt.name, d, tt.object, tt.activity, tt.inboxes, tt.want)
	}

	// A record replaced reports its new state; one moved to another object is found under it only.
	replaced := record(obj, act, a, store.DeliveryFailed, 7)
	moved := record(obj2, act, b, store.DeliveryDelivered, 8)
	must(t, "RecordDelivery(replace)", d.RecordDelivery(ctx(t), replaced, moved))
	wantStates(t, "after replacing", d, obj, act, []string{a, b},
		[]store.DeliveryState{store.DeliveryFailed, none})
	wantStates(t, "of the moved record", d, obj2, act, []string{a, b},
		[]store.DeliveryState{none, store.DeliveryDelivered})
}

// testDeliveryForwardOnly writes every pair of states, one after the other and both in one call,
// and checks that a record moves only forward: queued, retrying, then delivered or failed.
func testDeliveryForwardOnly(t *testing.T, s store.Delivery, _ *clock) {
	d := store.Deliveries(s)
	const obj, obj2, act = "https://news.example/articles/1", "https://news.example/articles/2", "https://news.example/activities/1"
	states := []store.DeliveryState{store.DeliveryQueued, store.DeliveryRetrying, store.DeliveryDelivered, store.DeliveryFailed}
	var n int
	for _, first := range states {
		for _, then := range states {
			want := then
			if first.Rank() > then.Rank() {
				want = first
			}
			for _, together := range []bool{false, true} {
				n++
				name := fmt.Sprintf("%s then %s (one call: %v)", first, then, together)
				inbox := fmt.Sprintf("https://h.example/inbox/%d", n)
				r1, r2 := record(obj, act, inbox, first, 1), record(obj, act, inbox, then, 2)
				if together {
					must(t, "RecordDelivery("+name+")", d.RecordDelivery(ctx(t), r1, r2))
				} else {
					must(t, "RecordDelivery("+name+", first)", d.RecordDelivery(ctx(t), r1))
					must(t, "RecordDelivery("+name+", then)", d.RecordDelivery(ctx(t), r2))
				}
				wantStates(t, name, d, obj, act, []string{inbox}, []store.DeliveryState{want})
				got := allDeliveries(t, d, obj, 1000)
				i := slices.IndexFunc(got, func(r store.DeliveryRecord) bool { return r.Inbox == inbox })
				kept := r2
				if want != then {
					kept = r1
				}
				switch {
				case i < 0:
					t.Errorf("%s: no record listed", name)
				case !sameRecord(got[i], kept):
					t.Errorf("%s: record = %+v, want %+v, whole", name, got[i], kept)
				}
			}
		}
	}
	// A late "queued" record under another object neither hides nor moves a delivered one.
	done := record(obj, act, "https://h.example/inbox/moved", store.DeliveryDelivered, 3)
	must(t, "RecordDelivery(delivered)", d.RecordDelivery(ctx(t), done))
	late := record(obj2, act, done.Inbox, store.DeliveryQueued, 4)
	must(t, "RecordDelivery(late queued, other object)", d.RecordDelivery(ctx(t), late))
	wantStates(t, "late queued, other object", d, obj, act, []string{done.Inbox}, []store.DeliveryState{store.DeliveryDelivered})
	wantStates(t, "late queued, under the other object", d, obj2, act, []string{done.Inbox}, []store.DeliveryState{""})
}

// testDeliveryStatesPage asks for the states of a fan-out page of 500 inboxes in one call.
func testDeliveryStatesPage(t *testing.T, s store.Delivery, _ *clock) {
	d := deliveriesOf(t, s)
	const obj, act = "https://news.example/articles/page", "https://news.example/activities/page"
	const n = 500
	inboxes := make([]string, n)
	want := make([]store.DeliveryState, n)
	var recs []store.DeliveryRecord
	states := []store.DeliveryState{store.DeliveryQueued, store.DeliveryDelivered, store.DeliveryRetrying, store.DeliveryFailed}
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%03d.example/users/u%d/inbox", i, i)
		// Every third inbox has no record.
		if i%3 != 2 {
			want[i] = states[i%len(states)]
			recs = append(recs, record(obj, act, inboxes[i], want[i], i))
		}
	}
	must(t, "RecordDelivery", d.RecordDelivery(ctx(t), recs...))
	wantStates(t, "of 500 inboxes", d, obj, act, inboxes, want)
}
