package redisstore

import "testing"

func FuzzJoinPair(f *testing.F) {
	f.Add("https://news.example/actors/desk", "main-key")
	f.Add("3:abc", "")
	f.Add("", "1:x")
	f.Fuzz(func(t *testing.T, a, b string) {
		ga, gb, ok := splitPair(joinPair(a, b))
		if !ok || ga != a || gb != b {
			t.Errorf("splitPair(joinPair(%q, %q)) = %q, %q, %v", a, b, ga, gb, ok)
		}
	})
}

func TestCursorParsing(t *testing.T) {
	tests := []struct {
		cursor string
		seqOK  bool
		stream bool
	}{
		{"1", true, false},
		{"18446744073709551615", false, false},
		{"0", false, false},
		{"-5", false, false},
		{"1700000000000-0", false, true},
		{"1700000000000-", false, false},
		{"%%not a cursor%%", false, false},
	}
	for _, tt := range tests {
		_, err := seqCursor("test", tt.cursor)
		if (err == nil) != tt.seqOK {
			t.Errorf("seqCursor(%q) error = %v, want ok %v", tt.cursor, err, tt.seqOK)
		}
		if got := isStreamID(tt.cursor); got != tt.stream {
			t.Errorf("isStreamID(%q) = %v, want %v", tt.cursor, got, tt.stream)
		}
	}
}
