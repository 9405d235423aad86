package record

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fedsite/fedsite/store"
)

// Format names the export format in the header line.
const Format = "fedsite-record/1"

// pageSize is how many entries Export and Prune read per store call.
const pageSize = 1000

// Filter picks the entries of an export. Its zero value picks every entry.
type Filter struct {
	// Since and Until bound the entries' Time: Since ≤ Time < Until, each when set. The record
	// is in Seq order, and Time follows Seq; the export's range runs from the first entry at or
	// after Since to the last before Until.
	Since, Until time.Time
	// Actor, when set, is the only actor whose entries are exported in full; the others in the
	// range are elided (see the package documentation).
	Actor string
}

// line is one line of an export.
type line struct {
	Kind string `json:"kind"`

	// header
	Format   string     `json:"format,omitempty"`
	Since    *time.Time `json:"since,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	Exported *time.Time `json:"exported,omitempty"`

	// entry, elided, checkpoint
	Seq            int64      `json:"seq,omitempty"`
	Time           *time.Time `json:"time,omitempty"`
	Direction      string     `json:"direction,omitempty"`
	Activity       string     `json:"activity,omitempty"`
	Type           string     `json:"type,omitempty"`
	Actor          string     `json:"actor,omitempty"`
	User           string     `json:"user,omitempty"`
	Scheme         string     `json:"scheme,omitempty"`
	KeyID          string     `json:"keyId,omitempty"`
	Document       *string    `json:"document,omitempty"`
	DocumentBase64 []byte     `json:"documentBase64,omitempty"`
	Prev           string     `json:"prev,omitempty"`
	Hash           string     `json:"hash,omitempty"`

	// end
	Entries  int    `json:"entries,omitempty"`
	Elided   int    `json:"elided,omitempty"`
	LastSeq  int64  `json:"lastSeq,omitempty"`
	LastHash string `json:"lastHash,omitempty"`
	HeadSeq  int64  `json:"headSeq,omitempty"`
	HeadHash string `json:"headHash,omitempty"`
}

const (
	kindHeader     = "header"
	kindEntry      = "entry"
	kindElided     = "elided"
	kindCheckpoint = "checkpoint"
	kindEnd        = "end"
)

func entryLine(kind string, e store.RecordEntry) line {
	t := e.Time.UTC()
	l := line{Kind: kind, Seq: e.Seq, Time: &t, Direction: e.Direction, Activity: e.ActivityID, Type: e.Type,
		Actor: e.Actor, User: e.User, Scheme: e.Scheme, KeyID: e.KeyID, Prev: hex.EncodeToString(e.Prev),
		Hash: hex.EncodeToString(e.Hash())}
	if utf8.Valid(e.Document) {
		d := string(e.Document)
		l.Document = &d
	} else {
		l.DocumentBase64 = e.Document
	}
	return l
}

// entry returns the entry an entry or checkpoint line carries.
func (l line) entry() (store.RecordEntry, error) {
	prev, err := hex.DecodeString(l.Prev)
	if err != nil {
		return store.RecordEntry{}, fmt.Errorf("prev: %w", err)
	}
	if len(prev) == 0 {
		prev = nil
	}
	e := store.RecordEntry{Seq: l.Seq, Direction: l.Direction, ActivityID: l.Activity, Type: l.Type, Actor: l.Actor,
		User: l.User, Scheme: l.Scheme, KeyID: l.KeyID, Prev: prev}
	if l.Time != nil {
		e.Time = *l.Time
	}
	switch {
	case l.Document != nil:
		e.Document = []byte(*l.Document)
	default:
		e.Document = l.DocumentBase64
	}
	return e, nil
}

// Summary counts what Export wrote.
type Summary struct {
	// Entries is how many entries it wrote in full, Elided how many it elided, Checkpoints how
	// many checkpoints it added after the range.
	Entries, Elided, Checkpoints int
}

// Export writes the entries of rec that f picks to w as JSON Lines (see the package
// documentation), reading the record a page at a time; now stamps the header.
func Export(ctx context.Context, rec store.Record, w io.Writer, f Filter, now time.Time) (Summary, error) {
	var sum Summary
	headSeq, headHash, err := rec.RecordHead(ctx)
	if err != nil {
		return sum, fmt.Errorf("record: export: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := line{Kind: kindHeader, Format: Format, Actor: f.Actor, Exported: &now}
	if !f.Since.IsZero() {
		h.Since = &f.Since
	}
	if !f.Until.IsZero() {
		h.Until = &f.Until
	}
	if err := enc.Encode(h); err != nil {
		return sum, fmt.Errorf("record: export: %w", err)
	}
	// pending holds the elided lines after the last full one: they are written only if a full
	// line follows in the range, so the range ends at its last picked entry.
	var pending []line
	var last line
	var firstSeq int64
	var gapsIn []gap // gaps inside the written range, for the checkpoints that declare them
	prevSeq := int64(0)
	done := false
	for after := int64(0); !done; {
		page, err := rec.RecordRange(ctx, after, pageSize)
		if err != nil {
			return sum, fmt.Errorf("record: export: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			after = e.Seq
			if e.Seq > headSeq {
				done = true // appended after the export began
				break
			}
			if !f.Until.IsZero() && !e.Time.Before(f.Until) {
				done = true
				break
			}
			if !f.Since.IsZero() && e.Time.Before(f.Since) {
				continue
			}
			if firstSeq != 0 && e.Seq != prevSeq+1 {
				gapsIn = append(gapsIn, gap{from: prevSeq + 1, to: e.Seq - 1})
			}
			prevSeq = e.Seq
			full := f.Actor == "" || e.Actor == f.Actor || e.Direction == store.RecordCheckpoint
			if firstSeq == 0 {
				if !full {
					prevSeq = 0 // the range starts at the first picked entry
					continue
				}
				firstSeq = e.Seq
			}
			if !full {
				pending = append(pending, line{Kind: kindElided, Seq: e.Seq, Prev: hex.EncodeToString(e.Prev),
					Hash: hex.EncodeToString(e.Hash())})
				continue
			}
			for _, p := range pending {
				if err := enc.Encode(p); err != nil {
					return sum, fmt.Errorf("record: export: %w", err)
				}
			}
			sum.Elided += len(pending)
			pending = pending[:0]
			last = entryLine(kindEntry, e)
			if err := enc.Encode(last); err != nil {
				return sum, fmt.Errorf("record: export: %w", err)
			}
			sum.Entries++
		}
	}
	// Gaps after the last written line are not in the range.
	gapsIn = slices.DeleteFunc(gapsIn, func(g gap) bool { return g.from > last.Seq })
	if len(gapsIn) > 0 {
		n, err := exportCheckpoints(ctx, rec, enc, last.Seq, headSeq, gapsIn)
		if err != nil {
			return sum, err
		}
		sum.Checkpoints = n
	}
	end := line{Kind: kindEnd, Entries: sum.Entries, Elided: sum.Elided, LastSeq: last.Seq, LastHash: last.Hash,
		HeadSeq: headSeq, HeadHash: hex.EncodeToString(headHash)}
	if err := enc.Encode(end); err != nil {
		return sum, fmt.Errorf("record: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("record: export: %w", err)
	}
	return sum, nil
}

// exportCheckpoints writes the checkpoints after Seq from, up to the head, that declare any of
// gaps, and returns how many.
func exportCheckpoints(ctx context.Context, rec store.Record, enc *json.Encoder, from, headSeq int64, gaps []gap) (int, error) {
	n := 0
	for after := from; after < headSeq; {
		page, err := rec.RecordRange(ctx, after, pageSize)
		if err != nil {
			return n, fmt.Errorf("record: export: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			after = e.Seq
			if e.Seq > headSeq || e.Direction != store.RecordCheckpoint {
				continue
			}
			cp, err := parseCheckpoint(e.Document)
			if err != nil {
				return n, fmt.Errorf("record: export: checkpoint %d: %w", e.Seq, err)
			}
			if !slices.ContainsFunc(cp.Pruned, func(r prunedRun) bool {
				return slices.ContainsFunc(gaps, func(g gap) bool { return r.From <= g.to && g.from <= r.To })
			}) {
				continue
			}
			if err := enc.Encode(entryLine(kindCheckpoint, e)); err != nil {
				return n, fmt.Errorf("record: export: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// gap is a run of Seqs absent from an export's range: from through to.
type gap struct{ from, to int64 }

// checkpoint is the Document of a checkpoint entry.
type checkpoint struct {
	// Before is the retention cut-off of the prune that wrote it.
	Before time.Time `json:"before"`
	// Pruned lists the runs of entries the prune removed.
	Pruned []prunedRun `json:"pruned"`
}

// prunedRun is a run of pruned entries, From through To, and the hash of the last, which the
// entry after it carries as prev.
type prunedRun struct {
	From     int64  `json:"from"`
	To       int64  `json:"to"`
	LastHash string `json:"lastHash"`
}

func parseCheckpoint(doc []byte) (checkpoint, error) {
	var cp checkpoint
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil {
		return cp, err
	}
	for _, r := range cp.Pruned {
		if r.From < 1 || r.To < r.From {
			return cp, fmt.Errorf("pruned run %d-%d", r.From, r.To)
		}
	}
	return cp, nil
}

// ErrBroken is what Verify's error matches when the file is not an intact export: its
// *BrokenError says where.
var ErrBroken = errors.New("record: the chain is broken")

// BrokenError says where and why an export fails verification.
type BrokenError struct {
	// Line is the 1-based line number, 0 for the file as a whole.
	Line int
	// Seq is the entry's Seq, when the line has one.
	Seq int64
	// Reason says what is wrong.
	Reason string
}

func (e *BrokenError) Error() string {
	if e.Line == 0 {
		return "record: the chain is broken: " + e.Reason
	}
	return fmt.Sprintf("record: the chain is broken at line %d (seq %d): %s", e.Line, e.Seq, e.Reason)
}

// Is makes a *BrokenError match ErrBroken.
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// Report is what Verify checked.
type Report struct {
	// Entries and Elided count the lines of each kind; Checkpoints the checkpoint lines after
	// the range.
	Entries, Elided, Checkpoints int
	// FirstSeq and LastSeq bound the range; LastHash is the last line's hash.
	FirstSeq, LastSeq int64
	LastHash          string
	// HeadSeq and HeadHash are the chain's head when the export was made, as its end line
	// says: compare them with a head recorded elsewhere to detect a file rewritten whole.
	HeadSeq  int64
	HeadHash string
}

// maxLine is the longest line Verify reads: a document of the largest inbox body, escaped.
const maxLine = 64 << 20

// Verify reads an export from r and checks it (see the package documentation). It returns a
// report of what it checked, and an error matching ErrBroken, a *BrokenError, when the chain is
// broken, or another error when r cannot be read.
func Verify(r io.Reader) (Report, error) {
	var rep Report
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	n := 0
	broken := func(seq int64, format string, args ...any) error {
		return &BrokenError{Line: n, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	var header, end *line
	filtered := false
	var prevSeq int64
	var prevHash string
	var gaps []gapAt // gaps in the range, checked against the checkpoints at the end
	var runs []prunedRun
	for sc.Scan() {
		n++
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return rep, broken(0, "not a JSON line: %v", err)
		}
		if end != nil {
			return rep, broken(l.Seq, "a line after the end line")
		}
		switch l.Kind {
		case kindHeader:
			if n != 1 {
				return rep, broken(0, "a header line that is not the first")
			}
			if l.Format != Format {
				return rep, broken(0, "format %q, want %q", l.Format, Format)
			}
			header = &l
			filtered = l.Since != nil || l.Actor != ""
			continue
		case kindEnd:
			end = &l
			continue
		case kindEntry, kindElided, kindCheckpoint:
		default:
			return rep, broken(l.Seq, "unknown kind %q", l.Kind)
		}
		if header == nil {
			return rep, broken(l.Seq, "no header line first")
		}
		if l.Kind != kindElided {
			e, err := l.entry()
			if err != nil {
				return rep, broken(l.Seq, "%v", err)
			}
			if got := hex.EncodeToString(e.Hash()); got != l.Hash {
				return rep, broken(l.Seq, "the entry's contents hash to %s, not to its hash %s: altered", got, l.Hash)
			}
			if e.Direction == store.RecordCheckpoint {
				cp, err := parseCheckpoint(e.Document)
				if err != nil {
					return rep, broken(l.Seq, "checkpoint: %v", err)
				}
				runs = append(runs, cp.Pruned...)
			}
		}
		if l.Kind == kindCheckpoint {
			if l.Seq <= prevSeq {
				return rep, broken(l.Seq, "a checkpoint after the range that is not after it")
			}
			rep.Checkpoints++
			continue
		}
		if rep.Checkpoints > 0 {
			return rep, broken(l.Seq, "an entry after the checkpoints that follow the range")
		}
		switch {
		case prevSeq == 0 && rep.FirstSeq == 0:
			rep.FirstSeq = l.Seq
			if l.Seq < 1 {
				return rep, broken(l.Seq, "seq below 1")
			}
			if l.Seq == 1 && l.Prev != "" {
				return rep, broken(l.Seq, "the chain's first entry has a prev")
			}
			if l.Seq > 1 && !filtered {
				// A full export starts at the chain's start: what is before was pruned.
				gaps = append(gaps, gapAt{gap: gap{from: 1, to: l.Seq - 1}, prev: l.Prev, line: n, seq: l.Seq})
			}
		case l.Seq <= prevSeq:
			return rep, broken(l.Seq, "seq %d after seq %d: inserted or reordered", l.Seq, prevSeq)
		case l.Seq == prevSeq+1:
			if l.Prev != prevHash {
				return rep, broken(l.Seq, "prev %s is not the hash %s of seq %d: inserted or altered", l.Prev, prevHash, prevSeq)
			}
		default:
			gaps = append(gaps, gapAt{gap: gap{from: prevSeq + 1, to: l.Seq - 1}, prev: l.Prev, line: n, seq: l.Seq})
		}
		if l.Kind == kindEntry {
			rep.Entries++
		} else {
			rep.Elided++
		}
		prevSeq, prevHash = l.Seq, l.Hash
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("record: verify: %w", err)
	}
	if header == nil {
		return rep, &BrokenError{Reason: "no header line"}
	}
	if end == nil {
		return rep, &BrokenError{Reason: "no end line: the file is cut short"}
	}
	for _, g := range gaps {
		if !declared(runs, g) {
			return rep, &BrokenError{Line: g.line, Seq: g.seq, Reason: fmt.Sprintf(
				"entries %d to %d are missing and no checkpoint declares them pruned: deleted", g.from, g.to)}
		}
	}
	rep.LastSeq, rep.LastHash = prevSeq, prevHash
	rep.HeadSeq, rep.HeadHash = end.HeadSeq, end.HeadHash
	if end.Entries != rep.Entries || end.Elided != rep.Elided || end.LastSeq != prevSeq || end.LastHash != prevHash {
		return rep, &BrokenError{Line: n, Reason: fmt.Sprintf(
			"the end line says %d entries and %d elided up to seq %d (%s), the file has %d and %d up to seq %d (%s)",
			end.Entries, end.Elided, end.LastSeq, end.LastHash, rep.Entries, rep.Elided, prevSeq, prevHash)}
	}
	return rep, nil
}

// gapAt is a gap before the line (number and Seq) whose prev is prev.
type gapAt struct {
	gap
	prev string
	line int
	seq  int64
}

// declared reports whether the runs cover every Seq of g and one of them ends just before it with
// the hash the entry after the gap carries as prev.
func declared(runs []prunedRun, g gapAt) bool {
	linked := slices.ContainsFunc(runs, func(r prunedRun) bool { return r.To == g.to && r.LastHash == g.prev })
	if !linked {
		return false
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b prunedRun) int { return cmp.Compare(a.From, b.From) })
	next := g.from
	for _, r := range sorted {
		if r.From > next {
			break
		}
		if r.To >= next {
			next = r.To + 1
		}
		if next > g.to {
			return true
		}
	}
	return false
}
