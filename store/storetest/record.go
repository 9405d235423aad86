package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/fedsite/fedsite/store"
)

var recordTests = []test{
	{"AppendChains", testRecordChain},
	{"ConcurrentAppendsDoNotFork", testRecordConcurrent},
	{"DeleteKeepsHead", testRecordDelete},
	{"LegalHolds", testLegalHolds},
}

func recordEntry(i int) store.RecordEntry {
	e := store.RecordEntry{
		Time:       base.Add(msec(i)),
		Direction:  []string{store.RecordIn, store.RecordOut}[i%2],
		ActivityID: fmt.Sprintf("https://h.example/activities/%d", i),
		Type:       "Create",
		Actor:      fmt.Sprintf("https://h%d.example/users/u", i%3),
		Document:   fmt.Appendf(nil, `{"id":"https://h.example/activities/%d","n":"\u00e9 %d"}`, i, i),
	}
	if e.Direction == store.RecordIn {
		e.Scheme, e.KeyID = "rfc9421 ed25519", e.Actor+"#ed25519-key"
	} else {
		e.User = "editor-1"
	}
	return e
}

// readChain reads the whole record, in pages of limit.
func readChain(t *testing.T, r store.Record, limit int) []store.RecordEntry {
	t.Helper()
	var all []store.RecordEntry
	after := int64(0)
	for {
		p, err := r.RecordRange(ctx(t), after, limit)
		must(t, "RecordRange", err)
		if len(p) > limit {
			t.Fatalf("RecordRange(limit %d) = %d entries", limit, len(p))
		}
		if len(p) == 0 {
			return all
		}
		all = append(all, p...)
		after = p[len(p)-1].Seq
	}
}

// checkLinks fails the test unless each entry's Prev is the Hash of the one before it and the
// Seqs ascend by one.
func checkLinks(t *testing.T, es []store.RecordEntry) {
	t.Helper()
	var prev []byte
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has Seq %d, want %d", i, e.Seq, i+1)
		}
		if !bytes.Equal(e.Prev, prev) {
			t.Fatalf("entry %d: Prev %x, want the previous entry's hash %x", e.Seq, e.Prev, prev)
		}
		prev = e.Hash()
	}
}

func testRecordChain(t *testing.T, s store.Site) {
	r := capability[store.Record](t, s)
	if seq, h, err := r.RecordHead(ctx(t)); err != nil || seq != 0 || len(h) != 0 {
		t.Fatalf("RecordHead of an empty record = %d, %x, %v; want 0, nil", seq, h, err)
	}
	var want []store.RecordEntry
	for i := range 7 {
		got, err := r.AppendRecord(ctx(t), recordEntry(i))
		must(t, "AppendRecord", err)
		want = append(want, got)
	}
	checkLinks(t, want)
	for _, limit := range []int{1, 3, 7, 50} {
		got := readChain(t, r, limit)
		if !slices.EqualFunc(got, want, sameRecordEntry) {
			t.Errorf("limit %d: record = %+v\nwant %+v", limit, got, want)
		}
	}
	seq, h, err := r.RecordHead(ctx(t))
	if err != nil || seq != 7 || !bytes.Equal(h, want[6].Hash()) {
		t.Errorf("RecordHead = %d, %x, %v; want 7, %x", seq, h, err, want[6].Hash())
	}
}

func testRecordConcurrent(t *testing.T, s store.Site) {
	r := capability[store.Record](t, s)
	const workers, each = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := r.AppendRecord(ctx(t), recordEntry(w*each+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("AppendRecord: %v", err)
	}
	got := readChain(t, r, 100)
	if len(got) != workers*each {
		t.Fatalf("%d entries after %d concurrent appends", len(got), workers*each)
	}
	checkLinks(t, got)
}

func testRecordDelete(t *testing.T, s store.Site) {
	r := capability[store.Record](t, s)
	for i := range 5 {
		_, err := r.AppendRecord(ctx(t), recordEntry(i))
		must(t, "AppendRecord", err)
	}
	_, head, err := r.RecordHead(ctx(t))
	must(t, "RecordHead", err)
	must(t, "DeleteRecords", r.DeleteRecords(ctx(t), 1, 2, 4, 99))
	var seqs []int64
	for _, e := range readChain(t, r, 2) {
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []int64{3, 5}) {
		t.Errorf("Seqs after deleting 1, 2 and 4 = %v, want [3 5]", seqs)
	}
	seq, h, err := r.RecordHead(ctx(t))
	if err != nil || seq != 5 || !bytes.Equal(h, head) {
		t.Errorf("RecordHead after a delete = %d, %x, %v; want 5, %x", seq, h, err, head)
	}
	next, err := r.AppendRecord(ctx(t), recordEntry(5))
	must(t, "AppendRecord", err)
	if next.Seq != 6 || !bytes.Equal(next.Prev, head) {
		t.Errorf("append after a delete: Seq %d, Prev %x; want 6, %x", next.Seq, next.Prev, head)
	}
}

func testLegalHolds(t *testing.T, s store.Site) {
	r := capability[store.Record](t, s)
	a, err := r.PutLegalHold(ctx(t), store.LegalHold{Actor: actorA, Reason: "matter 1", CreatedBy: "counsel", CreatedAt: base})
	must(t, "PutLegalHold", err)
	if a.ID == "" {
		t.Fatal("PutLegalHold set no ID")
	}
	b, err := r.PutLegalHold(ctx(t), store.LegalHold{ID: "range", Since: base, Until: base.Add(msec(1000)), CreatedAt: base})
	must(t, "PutLegalHold", err)
	got, err := r.LegalHolds(ctx(t))
	must(t, "LegalHolds", err)
	want := []store.LegalHold{a, b}
	slices.SortFunc(want, func(x, y store.LegalHold) int { return bytes.Compare([]byte(x.ID), []byte(y.ID)) })
	if !slices.EqualFunc(got, want, sameHold) {
		t.Errorf("LegalHolds = %+v, want %+v", got, want)
	}
	b.Reason = "replaced"
	_, err = r.PutLegalHold(ctx(t), b)
	must(t, "PutLegalHold again", err)
	must(t, "RemoveLegalHold", r.RemoveLegalHold(ctx(t), a.ID))
	if err := r.RemoveLegalHold(ctx(t), a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveLegalHold of a removed hold: %v, want ErrNotFound", err)
	}
	got, err = r.LegalHolds(ctx(t))
	must(t, "LegalHolds", err)
	if len(got) != 1 || !sameHold(got[0], b) {
		t.Errorf("LegalHolds after replace and remove = %+v, want [%+v]", got, b)
	}
}

func sameRecordEntry(a, b store.RecordEntry) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Direction == b.Direction && a.ActivityID == b.ActivityID &&
		a.Type == b.Type && a.Actor == b.Actor && a.User == b.User && a.Scheme == b.Scheme && a.KeyID == b.KeyID &&
		bytes.Equal(a.Document, b.Document) && bytes.Equal(a.Prev, b.Prev)
}

func sameHold(a, b store.LegalHold) bool {
	return a.ID == b.ID && a.Actor == b.Actor && sameTime(a.Since, b.Since) && sameTime(a.Until, b.Until) &&
		a.Reason == b.Reason && a.CreatedBy == b.CreatedBy && sameTime(a.CreatedAt, b.CreatedAt)
}
