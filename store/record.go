package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"
	"time"
)

// The directions of a [RecordEntry].
const (
	// RecordIn is an activity a remote server POSTed to one of the site's inboxes and the inbox
	// accepted.
	RecordIn = "in"
	// RecordOut is an activity one of the site's actors sent.
	RecordOut = "out"
	// RecordCheckpoint is an entry the record writes itself when it prunes: its Document names the
	// entries pruned and the hash of the last of each run of them, so that the chain still
	// verifies across the gap.
	RecordCheckpoint = "checkpoint"
)

// HashSize is the size of a record entry's hash, SHA-256's.
const HashSize = sha256.Size

// RecordEntry is one entry of the record of activities (see [Record]). Entries form a hash
// chain: each carries in Prev the [RecordEntry.Hash] of the entry before it, so an entry removed,
// inserted or altered breaks the chain at that place.
type RecordEntry struct {
	// Seq is the entry's place in the chain, from 1 up without gaps; the store sets it.
	Seq int64
	// Time is when the entry was recorded, to the nanosecond; the caller sets it.
	Time time.Time
	// Direction is RecordIn, RecordOut or RecordCheckpoint.
	Direction string
	// ActivityID is the activity's id; Type its first type.
	ActivityID, Type string
	// Actor is the IRI of the activity's actor: the remote sender of one received, the site
	// actor of one sent.
	Actor string
	// User is the site's own id for the person whose action sent the activity, "" for one
	// received and for one the site sent by itself (an Accept, say).
	User string
	// Scheme names how the inbox verified a received activity: "draft-cavage" or "rfc9421"
	// and the algorithm, such as "rfc9421 ed25519"; "ld-signature RsaSignature2017" for one
	// forwarded under its actor's LD signature; "fep-8b32 eddsa-jcs-2022" for one forwarded or
	// relayed under its actor's FEP-8b32 proof; "gone" for a deleted actor's Delete of itself
	// whose key and document answered 410 Gone; "" for the other directions.
	Scheme string
	// KeyID is the id of the key that verified a received activity.
	KeyID string
	// Document is the activity's JSON, byte for byte as received or as sent.
	Document []byte
	// Prev is the Hash of the entry before, HashSize bytes; empty for the chain's first entry.
	// The store sets it.
	Prev []byte
}

// recordDomain starts every canonical encoding, so that a record hash is never the hash of
// anything else.
const recordDomain = "fedsite record v1\n"

// Canonical returns the bytes e's hash is computed over: a fixed prefix and then each field
// in the order RecordEntry declares them, each as its length (an unsigned varint) and its bytes,
// Seq and Time (Unix nanoseconds, UTC) in decimal. Two entries have the same canonical encoding
// only when every field is equal.
func (e RecordEntry) Canonical() []byte {
	fields := [][]byte{
		strconv.AppendInt(nil, e.Seq, 10),
		strconv.AppendInt(nil, e.Time.UnixNano(), 10),
		[]byte(e.Direction), []byte(e.ActivityID), []byte(e.Type), []byte(e.Actor), []byte(e.User),
		[]byte(e.Scheme), []byte(e.KeyID), e.Document, e.Prev,
	}
	n := len(recordDomain)
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, recordDomain...)
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// Hash returns the SHA-256 of e's canonical encoding: what the next entry carries as Prev.
func (e RecordEntry) Hash() []byte {
	h := sha256.Sum256(e.Canonical())
	return h[:]
}

// Chain sets e's Seq and Prev to follow the entry whose Seq and Hash are headSeq and headHash
// (0 and nil for an empty chain): what an adapter does under its lock before it stores e.
func (e RecordEntry) Chain(headSeq int64, headHash []byte) RecordEntry {
	e.Seq = headSeq + 1
	e.Prev = headHash
	return e
}

// A LegalHold keeps entries of the record from being pruned: those whose Actor is the hold's
// Actor (when set) and whose Time is within [Since, Until) (each bound when set). A hold with
// neither holds every entry.
type LegalHold struct {
	// ID names the hold; the store sets it when it is empty.
	ID string
	// Actor is the IRI of the actor whose entries it holds, "" for every actor.
	Actor string
	// Since and Until bound the entries' Time; zero for no bound.
	Since, Until time.Time
	// Reason says why, such as the matter it is for; CreatedBy who placed it.
	Reason, CreatedBy string
	// CreatedAt is when it was placed.
	CreatedAt time.Time
}

// Holds reports whether h keeps e from being pruned.
func (h LegalHold) Holds(e RecordEntry) bool {
	if h.Actor != "" && e.Actor != h.Actor {
		return false
	}
	if !h.Since.IsZero() && e.Time.Before(h.Since) {
		return false
	}
	return h.Until.IsZero() || e.Time.Before(h.Until)
}

// ErrNoRecord is what the record helpers return for a store that keeps no [Record].
var ErrNoRecord = errors.New("store: the store keeps no record of activities")

// Record is the append-only, hash-chained record of every activity the site sent and received,
// with its legal holds. It is an optional capability of a [Site] store; fedsite keeps no record
// without it, and says so (activitypub.Federation.Recording).
//
// Appends are serialised per store: of concurrent appends, from one process or from several
// sharing the store, each sees the one before it as the chain's head, so the chain never forks.
type Record interface {
	// AppendRecord chains e after the current head (see [RecordEntry.Chain]) and stores it, in
	// one atomic step against other appends and prunes, and returns it as stored.
	AppendRecord(ctx context.Context, e RecordEntry) (RecordEntry, error)
	// RecordHead returns the last entry's Seq and Hash; 0 and nil when nothing was recorded.
	// A prune does not move it back.
	RecordHead(ctx context.Context) (seq int64, hash []byte, err error)
	// RecordRange lists at most limit entries with Seq > after, in Seq order. Pruned entries are
	// absent: Seq may then skip.
	RecordRange(ctx context.Context, after int64, limit int) ([]RecordEntry, error)
	// DeleteRecords removes the entries with those Seqs; Seqs not stored are skipped. Only the
	// record's pruning calls it, after it appended the checkpoint that declares them.
	DeleteRecords(ctx context.Context, seqs ...int64) error
	// PutLegalHold stores h, setting its ID when empty, and returns it; a hold with the ID of
	// one stored replaces it.
	PutLegalHold(ctx context.Context, h LegalHold) (LegalHold, error)
	// RemoveLegalHold removes the hold with that ID, or returns ErrNotFound.
	RemoveLegalHold(ctx context.Context, id string) error
	// LegalHolds lists every hold, by ID.
	LegalHolds(ctx context.Context) ([]LegalHold, error)
}

// RecordOf returns s's [Record], or ErrNoRecord when s keeps none.
func RecordOf(s Site) (Record, error) {
	if r, ok := s.(Record); ok {
		return r, nil
	}
	return nil, ErrNoRecord
}
