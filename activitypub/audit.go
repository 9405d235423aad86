package activitypub

import (
	"context"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/store"
)

// auditLog appends the entries of what the site and remote servers did to the site store, when
// it keeps an audit log (see store.AppendAudit).
type auditLog struct {
	store store.Site
	now   func() time.Time
	log   *slog.Logger
}

// record appends an entry stamped now unless it has a time, under the site user in ctx (see
// WithUser) unless it names one; a failure to audit is logged and does not undo what happened.
func (a auditLog) record(ctx context.Context, e store.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = a.now()
	}
	if e.User == "" {
		e.User = userFrom(ctx)
	}
	if err := store.AppendAudit(ctx, a.store, e); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: audit", slog.Any("err", err))
	}
}
