package activitypub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// recorder appends what the site receives and sends to the record of activities, when the site
// store keeps one (store.Record); rec is nil when it does not.
type recorder struct {
	rec store.Record
	now func() time.Time
}

// on reports whether the store keeps a record.
func (r recorder) on() bool { return r.rec != nil }

// received records an activity the inbox accepted: body as it came, and how v verified it.
func (r recorder) received(ctx context.Context, id, typ, actor string, body []byte, v *signing.Verified) error {
	if r.rec == nil {
		return nil
	}
	var scheme string
	switch {
	case v.Algorithm == signing.LDSignatureType:
		scheme = "ld-signature " + v.Algorithm // a forwarded activity (inbox_ldsig.go)
	case v.Algorithm == signing.ProofCryptosuite:
		scheme = "fep-8b32 " + v.Algorithm // forwarded or relayed under its actor's proof (inbox_proof.go)
	case v.Algorithm == "":
		scheme = "gone" // a deleted actor's Delete of itself, confirmed gone (inbox_gone.go)
	case v.Label != "":
		scheme = "rfc9421 " + v.Algorithm
	default:
		scheme = "draft-cavage " + v.Algorithm
	}
	_, err := r.rec.AppendRecord(ctx, store.RecordEntry{Time: r.now(), Direction: store.RecordIn, ActivityID: id,
		Type: typ, Actor: actor, Scheme: scheme, KeyID: v.KeyID, Document: body})
	if err != nil {
		return fmt.Errorf("activitypub: record %s: %w", id, err)
	}
	return nil
}

// sent records o, a stored activity a site actor sends, under the site user in ctx.
func (r recorder) sent(ctx context.Context, o store.Object) error {
	if r.rec == nil {
		return nil
	}
	_, err := r.rec.AppendRecord(ctx, store.RecordEntry{Time: r.now(), Direction: store.RecordOut, ActivityID: o.ID,
		Type: o.Type, Actor: o.ActorID, User: userFrom(ctx), Document: o.Document})
	if err != nil {
		return fmt.Errorf("activitypub: record %s: %w", o.ID, err)
	}
	return nil
}

// Recording reports whether the site keeps the record of every activity it sends and receives:
// it does when Config.Store implements store.Record (memstore, sqlstore and redisstore do), and
// New logs at Warn when it does not.
func (f *Federation) Recording() bool { return f.record.on() }

// ExportRecord writes the record's entries that filter picks to w as JSON Lines with their hash
// chain (see package record), and returns what it wrote. It asks Config.Authorize with
// ActionExportRecord, as the export holds every direct message. It returns an error matching
// store.ErrNoRecord when the site keeps no record.
func (f *Federation) ExportRecord(ctx context.Context, w io.Writer, filter record.Filter) (record.Summary, error) {
	if err := f.authorize(ctx, ActionExportRecord, "", filter.Actor); err != nil {
		return record.Summary{}, err
	}
	if !f.record.on() {
		return record.Summary{}, fmt.Errorf("activitypub: export record: %w", store.ErrNoRecord)
	}
	sum, err := record.Export(ctx, f.record.rec, w, filter, f.cfg.Now())
	if err != nil {
		return sum, fmt.Errorf("activitypub: %w", err)
	}
	f.audit.record(ctx, store.AuditEntry{Action: string(ActionExportRecord), Object: filter.Actor,
		Detail: fmt.Sprintf("%d entries, %d elided", sum.Entries, sum.Elided)})
	return sum, nil
}

// PutLegalHold places a legal hold: the record's entries it covers (those of h.Actor, when set,
// recorded within [h.Since, h.Until)) are kept past Config.Retention until it is removed. A hold
// with an ID already placed replaces it. CreatedBy is the site user in ctx, CreatedAt now. It
// asks Config.Authorize with ActionLegalHold, Object the hold's Actor, and audits the hold.
func (f *Federation) PutLegalHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	if err := f.authorize(ctx, ActionLegalHold, "", h.Actor); err != nil {
		return store.LegalHold{}, err
	}
	if !f.record.on() {
		return store.LegalHold{}, fmt.Errorf("activitypub: legal hold: %w", store.ErrNoRecord)
	}
	if !h.Since.IsZero() && !h.Until.IsZero() && !h.Since.Before(h.Until) {
		return store.LegalHold{}, invalid("LegalHold.Until", "%s is not after Since %s", h.Until, h.Since)
	}
	h.CreatedBy, h.CreatedAt = userFrom(ctx), f.cfg.Now()
	h, err := f.record.rec.PutLegalHold(ctx, h)
	if err != nil {
		return store.LegalHold{}, fmt.Errorf("activitypub: legal hold: %w", err)
	}
	f.audit.record(ctx, store.AuditEntry{Action: "legal hold", Object: h.ID,
		Detail: fmt.Sprintf("actor %q from %s until %s: %s", h.Actor, h.Since.Format(time.RFC3339), h.Until.Format(time.RFC3339), h.Reason)})
	return h, nil
}

// RemoveLegalHold lifts the legal hold with that ID; the next prune may remove what it held. It
// returns an error matching ErrNotFound when there is none, asks Config.Authorize with
// ActionLegalHold (Object the ID) and audits the removal.
func (f *Federation) RemoveLegalHold(ctx context.Context, id string) error {
	if err := f.authorize(ctx, ActionLegalHold, "", id); err != nil {
		return err
	}
	if !f.record.on() {
		return fmt.Errorf("activitypub: legal hold: %w", store.ErrNoRecord)
	}
	if err := f.record.rec.RemoveLegalHold(ctx, id); err != nil {
		return fmt.Errorf("activitypub: remove legal hold: %w", err)
	}
	f.audit.record(ctx, store.AuditEntry{Action: "remove legal hold", Object: id})
	return nil
}

// LegalHolds lists the legal holds in place, by ID; none when the site keeps no record.
func (f *Federation) LegalHolds(ctx context.Context) ([]store.LegalHold, error) {
	if !f.record.on() {
		return nil, nil
	}
	hs, err := f.record.rec.LegalHolds(ctx)
	if err != nil {
		return nil, fmt.Errorf("activitypub: legal holds: %w", err)
	}
	return hs, nil
}

// pruneRecord removes the record's entries older than Config.Retention.Record that no legal hold
// covers, every Retention.Every until ctx ends; Run starts it when both are set.
func (f *Federation) pruneRecord(ctx context.Context) {
	atOnceThenEvery(ctx, f.cfg.Retention.Every, func() {
		now := f.cfg.Now()
		n, err := record.Prune(ctx, f.record.rec, now.Add(-f.cfg.Retention.Record), now)
		switch {
		case err != nil && ctx.Err() == nil:
			f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: prune the record", slog.Any("err", err))
		case n > 0:
			f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: pruned the record", slog.Int("entries", n))
		}
	})
}
