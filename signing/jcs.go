package signing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/fedsite/fedsite/internal/jsonstr"
)

// maxJSONDepth bounds the nesting of the documents [Canonicalize] and the
// proof functions read, well above what any ActivityPub document needs.
const maxJSONDepth = 64

// Canonicalize returns the JSON Canonicalization Scheme (RFC 8785) form of
// the JSON text data: no whitespace, object members sorted by the UTF-16 code
// units of their names, strings with only the escapes JCS requires, numbers
// as ECMAScript prints an IEEE-754 double. Invalid UTF-8, duplicate member
// names, numbers beyond the double range and nesting deeper than 64 are
// errors, as are several values or trailing data.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return appendCanonical(make([]byte, 0, len(data)), v)
}

// parseJSON decodes one JSON value into maps, slices, strings, json.Number,
// bools and nil, refusing what [Canonicalize] refuses.
func parseJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("signing: json: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("signing: json: data after the value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("signing: json: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, errors.New("signing: json: nested too deeply")
	}
	switch d {
	case '{':
		obj := make(map[string]any)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("signing: json: %w", err)
			}
			name := tok.(string) // the decoder yields only strings as member names
			if _, dup := obj[name]; dup {
				return nil, fmt.Errorf("signing: json: duplicate member %q", name)
			}
			if obj[name], err = parseValue(dec, depth+1); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("signing: json: %w", err)
		}
		return obj, nil
	default: // '['; the decoder never yields a closing delimiter here
		arr := []any{}
		for dec.More() {
			v, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("signing: json: %w", err)
		}
		return arr, nil
	}
}

// appendCanonical appends the JCS form of v, a value of parseJSON or a tree of
// map[string]any, []any, string, json.Number, bool and nil built by this
// package.
func appendCanonical(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return jsonstr.Append(b, v, jsonstr.Canonical), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("signing: json: number %s: %w", v, err)
		}
		return appendJCSNumber(b, f), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		slices.SortFunc(names, compareUTF16)
		b = append(b, '{')
		for i, k := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, k, jsonstr.Canonical)
			b = append(b, ':')
			var err error
			if b, err = appendCanonical(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	default:
		return nil, fmt.Errorf("signing: json: cannot canonicalize %T", v)
	}
}

// appendJCSNumber appends f as ECMAScript's Number.prototype.toString does
// (RFC 8785 §3.2.2.3): the shortest digits that round-trip, plain notation
// from 1e-6 up to 1e21, exponent notation outside, and 0 for -0. f must be
// finite; strconv.ParseFloat never yields anything else without an error.
func appendJCSNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Go writes at least two exponent digits (1e-07); ECMAScript writes 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// compareUTF16 orders two strings by their UTF-16 code units, as RFC 8785
// §3.2.3 sorts member names. UTF-8 byte order is code point order, which
// differs only where a character above U+FFFF (a surrogate pair, starting
// with 0xD800–0xDBFF) meets one from U+E000 to U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Key(ra) - utf16Key(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// utf16Key returns a sort key for r that orders runes as their UTF-16 forms
// do: a rune of the basic plane is its code unit, a rune above it the lead
// surrogate of its pair, both shifted left by ten bits, the latter with the
// rest of the rune in the low bits.
func utf16Key(r rune) int {
	if r < 0x10000 {
		return int(r) << 10
	}
	r -= 0x10000
	return int(0xD800+r>>10)<<10 | int(r&0x3ff)
}
