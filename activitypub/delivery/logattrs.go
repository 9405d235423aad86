package delivery

import (
	"context"
	"log/slog"
	"slices"
)

// logFor returns the engine's logger with attrs added to every record it logs. The engine names
// the activity, inbox and host of every delivery in a logger of its own, and most deliveries log
// nothing: Logger.With would box each attribute and have a text or JSON handler format them all,
// once per delivery, for nothing. logFor keeps them as they are until a record is logged.
func (e *Engine) logFor(attrs ...slog.Attr) *slog.Logger {
	return slog.New(deferredAttrs{h: e.log.Handler(), attrs: attrs})
}

// deferredAttrs is a slog.Handler that keeps attributes and hands them to its handler only when
// a record is logged.
type deferredAttrs struct {
	h     slog.Handler
	attrs []slog.Attr
}

func (d deferredAttrs) Enabled(ctx context.Context, l slog.Level) bool { return d.h.Enabled(ctx, l) }

func (d deferredAttrs) Handle(ctx context.Context, r slog.Record) error {
	return d.resolved().Handle(ctx, r)
}

func (d deferredAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return deferredAttrs{h: d.h, attrs: append(slices.Clip(d.attrs), attrs...)}
}

// WithGroup hands the attributes kept so far to the handler first: they stay outside the group.
func (d deferredAttrs) WithGroup(name string) slog.Handler {
	return deferredAttrs{h: d.resolved().WithGroup(name)}
}

// resolved is the handler with the kept attributes.
func (d deferredAttrs) resolved() slog.Handler {
	if len(d.attrs) == 0 {
		return d.h
	}
	return d.h.WithAttrs(d.attrs)
}
