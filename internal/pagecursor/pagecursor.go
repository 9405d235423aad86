package pagecursor

import (
	"encoding/base64"
	"strings"
)

// Pair encodes two strings that hold no NUL byte, such as an activity IRI and an inbox IRI, as
// one opaque URL-safe cursor.
func Pair(a, b string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(a + "\x00" + b))
}

// ParsePair decodes a cursor made by Pair; ok is false for anything else.
func ParsePair(c string) (a, b string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), "\x00")
}
