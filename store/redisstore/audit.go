package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Audit = (*Store)(nil)

// AppendAudit adds e to the audit stream, setting a zero Time to the current time.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	const op = "append audit"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	args := &redis.XAddArgs{
		Stream: s.kAudit(),
		Values: []any{"t", fmtTime(e.Time), "a", e.Actor, "u", e.User, "n", e.Action, "o", e.Object, "d", e.Detail},
	}
	if s.maxLen > 0 {
		args.MaxLen, args.Approx = s.maxLen, true
	}
	if err := s.c.XAdd(ctx, args).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// isStreamID reports whether s has the form of a Redis stream entry id, the audit cursor:
// milliseconds, a dash, a sequence number.
func isStreamID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	return ok && isDigits(ms) && isDigits(seq)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// AuditPage lists audit entries, newest first. The cursor is the stream id of the last entry of
// the previous page.
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	const op = "audit page"
	var p store.Page[store.AuditEntry]
	if err := beginPage(ctx, op, limit); err != nil {
		return p, err
	}
	end := "+"
	if cursor != "" {
		if !isStreamID(cursor) {
			return p, fmt.Errorf("redisstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		end = "(" + cursor
	}
	msgs, err := s.c.XRevRangeN(ctx, s.kAudit(), end, "-", int64(limit)+1).Result()
	if err != nil {
		return p, wrap(op, err)
	}
	if len(msgs) > limit {
		msgs = msgs[:limit]
		p.Next = msgs[limit-1].ID
	}
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		t, err := parseTime(str("t"))
		if err != nil {
			return store.Page[store.AuditEntry]{}, wrap(op, err)
		}
		p.Items = append(p.Items, store.AuditEntry{Time: t, Actor: str("a"), User: str("u"), Action: str("n"), Object: str("o"), Detail: str("d")})
	}
	return p, nil
}
