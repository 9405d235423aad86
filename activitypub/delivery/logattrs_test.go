package delivery

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestDeferredAttrs checks that a logger over deferredAttrs writes what one over its handler
// writes, attributes and groups in the same places.
func TestDeferredAttrs(t *testing.T) {
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	tests := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"no attributes", func(l *slog.Logger) { l.Info("m") }},
		{"with", func(l *slog.Logger) { l.With("inbox", "https://a.test/inbox").Info("m", "n", 1) }},
		{"with twice", func(l *slog.Logger) { l.With("a", 1).With("b", 2).Warn("m") }},
		{"group after with", func(l *slog.Logger) { l.With("a", 1).WithGroup("g").With("b", 2).Info("m", "c", 3) }},
		{"group first", func(l *slog.Logger) { l.WithGroup("g").With("a", 1).Info("m") }},
		{"siblings share no attributes", func(l *slog.Logger) {
			base := l.With("a", 1)
			base.With("b", 2).Info("one")
			base.With("c", 3).Info("two")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got bytes.Buffer
			tt.log(slog.New(slog.NewTextHandler(&want, noTime)))
			tt.log(slog.New(deferredAttrs{h: slog.NewTextHandler(&got, noTime)}))
			if got.String() != want.String() {
				t.Errorf("got\n%swant\n%s", got.String(), want.String())
			}
		})
	}
}

// BenchmarkDeliveryLogger is the logger each delivery makes, over a text handler that logs
// nothing at Info: Engine.logFor against Logger.With.
func BenchmarkDeliveryLogger(b *testing.B) {
	e := &Engine{log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var sink *slog.Logger
	b.Run("logFor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = e.logFor(slog.String("activity", "https://a.test/activities/1"), slog.String("inbox", "https://b.test/inbox"), slog.String("host", "b.test"))
		}
	})
	b.Run("With", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = e.log.With(slog.String("activity", "https://a.test/activities/1"), slog.String("inbox", "https://b.test/inbox"), slog.String("host", "b.test"))
		}
	})
	_ = sink
}
