package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/store"
)

// TestAuditExportAndVerify records a few activities in the sidecar's SQLite store, exports them
// with fedsite audit export, whole and filtered, and checks the files with fedsite audit verify,
// which must refuse a file with a line deleted.
func TestAuditExportAndVerify(t *testing.T) {
	dir := t.TempDir()
	base := "http://127.0.0.1:1"
	c := testConfig(base, dir)
	st, err := openStore(t.Context(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.RecordOf(st.Store)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		actor := fmt.Sprintf("https://h%d.example/users/u", i%2)
		if _, err := rec.AppendRecord(context.Background(), store.RecordEntry{Time: at.Add(time.Duration(i) * 24 * time.Hour),
			Direction: store.RecordIn, Type: "Like", Actor: actor, Document: fmt.Appendf(nil, `{"n":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flags   []string
		entries int
	}{
		{"everything", nil, 10},
		{"a week", []string{"-since", "2026-06-02", "-until", "2026-06-09T00:00:00Z"}, 7},
		{"one actor", []string{"--actor", "https://h1.example/users/u"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "export.jsonl")
			args := append([]string{"audit", "export", "-base-url", base, "-data", dir, "-o", file}, tt.flags...)
			var stdout, stderr bytes.Buffer
			if err := run(t.Context(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, stderr.String())
			}
			stdout.Reset()
			if err := run(t.Context(), []string{"audit", "verify", file}, &stdout, &stderr); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if want := fmt.Sprintf("intact: %d entries in full", tt.entries); !strings.Contains(stdout.String(), want) {
				t.Errorf("verify said %q, want %q", stdout.String(), want)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(string(b), "\n")
			cut := strings.Join(append(append([]string{}, lines[:2]...), lines[3:]...), "")
			if err := os.WriteFile(file, []byte(cut), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := run(t.Context(), []string{"audit", "verify", file}, &stdout, &stderr); !errors.Is(err, record.ErrBroken) {
				t.Errorf("verify of the file without its third line = %v, want ErrBroken", err)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"audit"},
		{"audit", "shred"},
		{"audit", "verify"},
		{"audit", "verify", filepath.Join(dir, "absent.jsonl")},
		{"audit", "export", "-base-url", base, "-data", dir, "-since", "yesterday"},
		{"audit", "export", "-base-url", base, "-data", dir, "-since", "2026-06-09", "-until", "2026-06-02"},
	} {
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestRecordRetentionCheck: the retention of the record, and of operational data, may be zero (for
// ever) or positive, not negative.
func TestRecordRetentionCheck(t *testing.T) {
	for _, tt := range []struct {
		retention time.Duration
		ok        bool
	}{{0, true}, {7 * 8766 * time.Hour, true}, {-time.Hour, false}} {
		c := testConfig("http://127.0.0.1:1", t.TempDir())
		c.RecordRetention = duration(tt.retention)
		if err := c.check(); (err == nil) != tt.ok {
			t.Errorf("record_retention %v: check() = %v, want ok %v", tt.retention, err, tt.ok)
		}
		c = testConfig("http://127.0.0.1:1", t.TempDir())
		c.OperationalRetention = duration(tt.retention)
		if err := c.check(); (err == nil) != tt.ok {
			t.Errorf("operational_retention %v: check() = %v, want ok %v", tt.retention, err, tt.ok)
		}
	}
}
