package vocab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The helpers in this file walk JSON that has already been validated by check, so they can find
// value boundaries by looking at single bytes and never fail. Working on sub-slices of the input
// avoids decoding every member into a map of copies first, which is most of the cost of a
// generic decode.

// check validates data as one JSON value nested at most MaxDepth levels. The depth scan runs first
// so deeply nested hostile input is rejected before any other work.
func check(data []byte) error {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = endString(data, i) - 1
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("%w: more than %d levels at offset %d", ErrTooDeep, MaxDepth, i)
			}
		case '}', ']':
			depth--
		}
	}
	if !json.Valid(data) {
		// Decode again only to obtain a *json.SyntaxError that says where the input broke.
		var v json.RawMessage
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		return errors.New("invalid JSON")
	}
	return nil
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(d []byte, i int) int {
	for i < len(d) && isWS(d[i]) {
		i++
	}
	return i
}

// endString returns the index just past the string starting at d[i] == '"'. It jumps from quote
// to quote with bytes.IndexByte and counts the backslashes before each, which is much faster than
// looking at every byte of long HTML content.
func endString(d []byte, i int) int {
	for j := i + 1; ; {
		q := bytes.IndexByte(d[j:], '"')
		if q < 0 {
			return len(d)
		}
		q += j
		backslashes := 0
		for k := q - 1; k > i && d[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// endValue returns the index just past the value starting at d[i].
func endValue(d []byte, i int) int {
	switch d[i] {
	case '"':
		return endString(d, i)
	case '{', '[':
		depth := 0
		for ; i < len(d); i++ {
			switch d[i] {
			case '"':
				i = endString(d, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(d)
	default:
		for ; i < len(d); i++ {
			switch d[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return len(d)
	}
}

// eachMember calls fn with the raw key (quotes included) and raw value of every member of the
// valid JSON object d, stopping at the first error.
func eachMember(d []byte, fn func(key, val []byte) error) error {
	i := skipWS(d, 0) + 1 // past '{'
	for {
		i = skipWS(d, i)
		if i >= len(d) || d[i] == '}' {
			return nil
		}
		if d[i] == ',' {
			i = skipWS(d, i+1)
		}
		ke := endString(d, i)
		key := d[i:ke]
		i = skipWS(d, ke) + 1 // past ':'
		i = skipWS(d, i)
		ve := endValue(d, i)
		if err := fn(key, d[i:ve]); err != nil {
			return err
		}
		i = ve
	}
}

// eachElement calls fn with every element of the valid JSON array d, stopping at the first error.
func eachElement(d []byte, fn func(val []byte) error) error {
	i := skipWS(d, 0) + 1 // past '['
	for {
		i = skipWS(d, i)
		if i >= len(d) || d[i] == ']' {
			return nil
		}
		if d[i] == ',' {
			i = skipWS(d, i+1)
		}
		ve := endValue(d, i)
		if err := fn(d[i:ve]); err != nil {
			return err
		}
		i = ve
	}
}

// firstElement returns the first element of the valid JSON array d, or nil if it is empty.
func firstElement(d []byte) []byte {
	i := skipWS(d, skipWS(d, 0)+1)
	if i >= len(d) || d[i] == ']' {
		return nil
	}
	return d[i:endValue(d, i)]
}

// unquote decodes the valid JSON string literal raw. Strings without escapes are sliced directly;
// the rest, and invalid UTF-8 (which encoding/json replaces with U+FFFD), go through encoding/json.
func unquote(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid string literal, so this cannot fail
	return s
}

// compact appends the valid JSON value v to dst without insignificant whitespace.
func compact(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			e := endString(v, i)
			dst = append(dst, v[i:e]...)
			i = e - 1
		case !isWS(c):
			dst = append(dst, c)
		}
	}
	return dst
}
