package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	alice = "https://a.example/users/alice"
	bob   = "https://b.example/users/bob"
)

// fill appends n entries an hour apart, alternating alice's received activities and bob's sent
// ones, one in seven with a document that is not UTF-8.
func fill(t testing.TB, rec store.Record, n int) {
	t.Helper()
	for i := range n {
		e := store.RecordEntry{Time: t0.Add(time.Duration(i) * time.Hour), Type: "Create",
			ActivityID: fmt.Sprintf("https://x.example/activities/%d", i)}
		if i%2 == 0 {
			e.Direction, e.Actor, e.Scheme, e.KeyID = store.RecordIn, alice, "rfc9421 ed25519", alice+"#key"
		} else {
			e.Direction, e.Actor, e.User = store.RecordOut, bob, "editor-1"
		}
		e.Document = fmt.Appendf(nil, `{"id":%q,"content":"<p>caf\u00e9 %d</p>"}`, e.ActivityID, i)
		if i%7 == 3 {
			e.Document = append(e.Document, 0xff, 0xfe)
		}
		if _, err := rec.AppendRecord(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func export(t *testing.T, rec store.Record, f record.Filter) []string {
	t.Helper()
	var b bytes.Buffer
	if _, err := record.Export(t.Context(), rec, &b, f, t0); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func verify(lines []string) (record.Report, error) {
	return record.Verify(strings.NewReader(strings.Join(lines, "\n") + "\n"))
}

// TestVerifyDetectsTampering edits a valid export in each way the chain must catch.
func TestVerifyDetectsTampering(t *testing.T) {
	st := memstore.New()
	fill(t, st, 20)
	lines := export(t, st, record.Filter{})
	if rep, err := verify(lines); err != nil || rep.Entries != 20 || rep.FirstSeq != 1 || rep.LastSeq != 20 {
		t.Fatalf("Verify of an intact export = %+v, %v; want 20 entries, seq 1 to 20", rep, err)
	}
	without := func(i int) []string {
		return append(append([]string{}, lines[:i]...), lines[i+1:]...)
	}
	with := func(i int, l string) []string {
		return append(append(append([]string{}, lines[:i]...), l), lines[i:]...)
	}
	replaced := func(i int, old, new string) []string {
		out := append([]string{}, lines...)
		out[i] = strings.Replace(out[i], old, new, 1)
		return out
	}
	tests := []struct {
		name  string
		lines []string
		want  string // part of the error
	}{
		{"deleted entry", without(5), "missing"},
		{"deleted first entry", without(1), "missing"},
		{"deleted last entry", without(20), "end line says"},
		{"deleted end line", without(21), "cut short"},
		{"deleted header", without(0), "no header"},
		{"inserted copy", with(6, lines[4]), "inserted"},
		{"inserted entry", with(6, strings.Replace(lines[5], `"seq":5`, `"seq":6`, 1)), "altered"},
		{"altered document", replaced(3, "caf", "cof"), "altered"},
		{"altered actor", replaced(4, bob, alice), "altered"},
		{"altered base64 document", replaced(4, `documentBase64":"ey`, `documentBase64":"ez`), "altered"},
		{"altered user", replaced(2, "editor-1", "editor-2"), "altered"},
		{"altered and rehashed", rehashed(t, lines, 7), "prev"},
		{"swapped", append(append(append([]string{}, lines[:3]...), lines[4], lines[3]), lines[5:]...), "reordered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(tt.lines)
			if !errors.Is(err, record.ErrBroken) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want ErrBroken saying %q", err, tt.want)
			}
		})
	}
}

// rehashed alters line i's user and gives it the hash of its new contents, as a forger would:
// the next line's prev no longer matches.
func rehashed(t *testing.T, lines []string, i int) []string {
	t.Helper()
	st := memstore.New()
	fill(t, st, 20)
	es, err := st.RecordRange(t.Context(), int64(i-1), 1)
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	oldHash := fmt.Sprintf("%x", e.Hash())
	e.Actor = "https://forger.example/users/x"
	out := append([]string{}, lines...)
	out[i] = strings.Replace(strings.Replace(out[i], oldHash, fmt.Sprintf("%x", e.Hash()), 1), alice, e.Actor, 1)
	out[i] = strings.Replace(out[i], bob, e.Actor, 1)
	return out
}

// TestFilteredExportsVerify checks that exports by date range and by actor verify, hold only
// what they pick in full, and still catch a deleted line.
func TestFilteredExportsVerify(t *testing.T) {
	st := memstore.New()
	fill(t, st, 30)
	tests := []struct {
		name              string
		f                 record.Filter
		entries, elided   int
		firstSeq, lastSeq int64
	}{
		{"everything", record.Filter{}, 30, 0, 1, 30},
		{"since", record.Filter{Since: t0.Add(10 * time.Hour)}, 20, 0, 11, 30},
		{"since and until", record.Filter{Since: t0.Add(10 * time.Hour), Until: t0.Add(20 * time.Hour)}, 10, 0, 11, 20},
		{"actor", record.Filter{Actor: bob}, 15, 14, 2, 30},
		{"actor and range", record.Filter{Actor: alice, Since: t0.Add(3 * time.Hour), Until: t0.Add(9 * time.Hour)}, 3, 2, 5, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := export(t, st, tt.f)
			rep, err := verify(lines)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.Entries != tt.entries || rep.Elided != tt.elided || rep.FirstSeq != tt.firstSeq || rep.LastSeq != tt.lastSeq {
				t.Errorf("report %+v, want %d entries, %d elided, seq %d to %d", rep, tt.entries, tt.elided, tt.firstSeq, tt.lastSeq)
			}
			for _, l := range lines {
				if tt.f.Actor != "" && strings.Contains(l, `"kind":"entry"`) && !strings.Contains(l, tt.f.Actor) {
					t.Errorf("an entry of another actor in full: %s", l)
				}
			}
			if len(lines) > 4 {
				cut := append(append([]string{}, lines[:2]...), lines[3:]...)
				if _, err := verify(cut); !errors.Is(err, record.ErrBroken) {
					t.Errorf("Verify without line 3 = %v, want ErrBroken", err)
				}
			}
		})
	}
}

// TestPruneKeepsHoldsAndChain prunes with a hold on one actor and one on a date range: the held
// entries stay, the rest before the cut-off go, and exports, full and filtered, still verify.
func TestPruneKeepsHoldsAndChain(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	fill(t, st, 40)
	if _, err := st.PutLegalHold(ctx, store.LegalHold{Actor: bob, Until: t0.Add(10 * time.Hour), Reason: "matter 7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutLegalHold(ctx, store.LegalHold{Since: t0.Add(20 * time.Hour), Until: t0.Add(22 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n, err := record.Prune(ctx, st, t0.Add(30*time.Hour), t0.Add(100*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Of seq 1-30: bob's 2, 4, 6, 8, 10 are held (before hour 10), and 21, 22 (hours 20, 21).
	if n != 30-5-2 {
		t.Errorf("Prune removed %d entries, want 23", n)
	}
	var seqs []int64
	for after := int64(0); ; {
		p, err := st.RecordRange(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			break
		}
		for _, e := range p {
			seqs = append(seqs, e.Seq)
		}
		after = p[len(p)-1].Seq
	}
	if fmt.Sprint(seqs[:9]) != "[2 4 6 8 10 21 22 31 32]" || len(seqs) != 18 {
		t.Errorf("kept %v, want 2 4 6 8 10 21 22, 31 to 40 and the checkpoint", seqs)
	}
	for _, f := range []record.Filter{{}, {Actor: alice}, {Since: t0.Add(15 * time.Hour)}} {
		lines := export(t, st, f)
		if _, err := verify(lines); err != nil {
			t.Errorf("filter %+v: Verify after prune: %v", f, err)
		}
	}
	// A second prune after a hold is lifted removes what it held and still verifies.
	holds, err := st.LegalHolds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range holds {
		if err := st.RemoveLegalHold(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := record.Prune(ctx, st, t0.Add(30*time.Hour), t0.Add(101*time.Hour)); err != nil || n != 7 {
		t.Errorf("second Prune = %d, %v; want 7", n, err)
	}
	lines := export(t, st, record.Filter{})
	if _, err := verify(lines); err != nil {
		t.Errorf("Verify after the second prune: %v", err)
	}
	// Deleting an entry outside what the checkpoints declare is caught.
	if err := st.DeleteRecords(ctx, 35); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(export(t, st, record.Filter{})); !errors.Is(err, record.ErrBroken) {
		t.Errorf("Verify after an undeclared delete = %v, want ErrBroken", err)
	}
}
