package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fedsite/fedsite/internal/corpus"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		in, canonical, script string
	}{
		{"", `""`, `""`},
		{"plain ascii", `"plain ascii"`, `"plain ascii"`},
		{`quote " and \ backslash`, `"quote \" and \\ backslash"`, `"quote \" and \\ backslash"`},
		{"\t\n\r", `"\t\n\r"`, `"\t\n\r"`},
		{"\b\f", `"\b\f"`, `"\u0008\u000c"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`, `"\u0000\u0001\u001f"`},
		{"\x7f", "\"\x7f\"", "\"\x7f\""},
		{"<a href='x'>&amp;</a>", `"<a href='x'>&amp;</a>"`, `"<a href='x'>&amp;</a>"`},
		{"café €😀", `"café €😀"`, `"café €😀"`},
		{"line\u2028para\u2029end", "\"line\u2028para\u2029end\"", `"line\u2028para\u2029end"`},
		{"bad \xff byte", "\"bad \xff byte\"", `"bad \ufffd byte"`},
		{"cut \xe2\x80", "\"cut \xe2\x80\"", `"cut \ufffd\ufffd"`},
		{"surrogate \xed\xa0\x80", "\"surrogate \xed\xa0\x80\"", `"surrogate \ufffd\ufffd\ufffd"`},
		{"prefix ", `"prefix "`, `"prefix "`},
		{"a\"b", `"a\"b"`, `"a\"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(Append(nil, tt.in, Canonical)); got != tt.canonical {
				t.Errorf("Canonical: %s, want %s", got, tt.canonical)
			}
			if got := string(Append(nil, tt.in, Script)); got != tt.script {
				t.Errorf("Script: %s, want %s", got, tt.script)
			}
			if got := string(Append([]byte("x"), tt.in, Script)); got != "x"+tt.script {
				t.Errorf("Script after x: %s, want x%s", got, tt.script)
			}
		})
	}
}

// FuzzAppend checks both forms against encoding/json, which since Go 1.22 writes \b and \f in
// short form and, with HTML escaping off, differs from Canonical only in escaping U+2028 and
// U+2029 and replacing invalid UTF-8 with U+FFFD. Valid input must decode back to itself.
func FuzzAppend(f *testing.F) {
	corpus.Seed(f, ".")
	f.Add([]byte("\b\f\u2028\u2029\xff\\b"))
	// Each replacer consumes an escaped backslash first, so that `\\b` is not read as `\b`.
	toScript := strings.NewReplacer(`\\`, `\\`, `\b`, `\u0008`, `\f`, `\u000c`)
	toCanonical := strings.NewReplacer(`\\`, `\\`, `\u2028`, "\u2028", `\u2029`, "\u2029")
	f.Fuzz(func(t *testing.T, data []byte) {
		s := string(data)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		std := strings.TrimSuffix(buf.String(), "\n")
		if got, want := string(Append(nil, s, Script)), toScript.Replace(std); got != want {
			t.Fatalf("Script(%q) = %s, want %s", s, got, want)
		}
		if !utf8.ValidString(s) {
			return
		}
		canonical := Append(nil, s, Canonical)
		if got, want := string(canonical), toCanonical.Replace(std); got != want {
			t.Fatalf("Canonical(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(canonical, &back); err != nil || back != s {
			t.Fatalf("Canonical(%q) = %s decodes to %q, %v", s, canonical, back, err)
		}
	})
}
