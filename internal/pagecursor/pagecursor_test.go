package pagecursor

import "testing"

func TestPair(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"https://example.com/ap/activities/1", "https://social.example/inbox"},
		{"", ""},
		{"a?b=c&d", "ünïcode/ path"},
	} {
		a, b, ok := ParsePair(Pair(tt.a, tt.b))
		if !ok || a != tt.a || b != tt.b {
			t.Errorf("ParsePair(Pair(%q, %q)) = %q, %q, %v", tt.a, tt.b, a, b, ok)
		}
	}
	for _, bad := range []string{"%%%", "bm9udWw"} { // not base64; base64 of "nonul"
		if _, _, ok := ParsePair(bad); ok {
			t.Errorf("ParsePair(%q) ok, want refused", bad)
		}
	}
}
