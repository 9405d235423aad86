package signing

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCanonicalizeRFC8785 runs the RFC 8785 test data (testdata/jcs, from
// cyberphone/json-canonicalization, the RFC's reference implementation).
func TestCanonicalizeRFC8785(t *testing.T) {
	for _, name := range []string{"arrays", "french", "structures", "unicode", "values", "weird"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "jcs", "input", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "jcs", "output", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Canonicalize(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("Canonicalize:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestJCSNumbers checks the number serialization of RFC 8785 Appendix B: the
// IEEE-754 bit pattern and the ECMAScript string.
func TestJCSNumbers(t *testing.T) {
	tests := []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"},
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	}
	for _, tt := range tests {
		raw, err := hex.DecodeString(tt.bits)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(raw))
		if got := string(appendJCSNumber(nil, f)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.bits, got, tt.want)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"duplicate member", `{"a":1,"a":2}`, "duplicate member"},
		{"invalid utf-8", "{\"a\":\"\xff\"}", "invalid UTF-8"},
		{"number out of range", `[1e400]`, "number"},
		{"trailing data", `{} {}`, "data after"},
		{"truncated", `{"a":`, "signing: json"},
		{"too deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Canonicalize(%q) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		a, b string
		less bool
	}{
		{"a", "b", true},
		{"a", "ab", true},
		{"\U0001F602", "\uFB33", true}, // surrogate pair D83D… sorts before FB33
		{"\uFB33", "\U0001F602", false},
		{"\u00f6", "\u20ac", true},
		{"\U0001F602", "\U0001F603", true},
	}
	for _, tt := range tests {
		if got := compareUTF16(tt.a, tt.b) < 0; got != tt.less {
			t.Errorf("compareUTF16(%q, %q) < 0 = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
}
