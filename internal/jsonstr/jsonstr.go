package jsonstr

import "unicode/utf8"

// Form chooses how [Append] writes the characters JSON lets a string escape or not.
type Form uint8

const (
	// Canonical is RFC 8785 §3.2.2.2: only '"', '\\' and the control characters below U+0020
	// escaped, the latter with the short forms \b \t \n \f \r and as lower-case \u00xx
	// otherwise; every other byte is written as it is.
	Canonical Form = iota
	// Script is what encoding/json wrote before Go 1.22 with HTML escaping off: '"', '\\' and
	// the control characters escaped, only \t \n \r in short form and the rest as lower-case
	// \u00xx; invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped, since they end a JavaScript
	// string literal. HTML characters are left alone: json.Marshal escapes them when it embeds
	// the output of a MarshalJSON method.
	Script
)

// Append appends s quoted as a JSON string in the given form.
func Append(b []byte, s string, form Form) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf:
			i++
		case c < utf8.RuneSelf:
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && form == Canonical:
				b = append(b, '\\', 'b')
			case c == '\f' && form == Canonical:
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
		case form == Canonical:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			var esc string
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			}
			if esc != "" {
				b = append(b, s[start:i]...)
				b = append(b, esc...)
				start = i + size
			}
			i += size
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
