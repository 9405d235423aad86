package vocab

import "github.com/fedsite/fedsite/internal/jsonstr"

// Types is the "type" property: one type name or several. JSON-LD allows an array, and some
// servers send one (Friendica and Mastodon's docs use ["Person", "vcard:individual"]); Misskey
// reads only the first entry.
//
// A nil Types is absent. When encoded, one entry is written as a string and any other number as an
// array.
type Types []string

// Has reports whether name is one of the types. A type written as the compact IRI "as:"+name or the
// full AS2 IRI also matches, so Has("Note") is true for "as:Note".
func (t Types) Has(name string) bool {
	for _, v := range t {
		if v == name || (len(v) == len(name)+3 && v[:3] == "as:" && v[3:] == name) ||
			(len(v) == len(asPrefix)+len(name) && v[:len(asPrefix)] == asPrefix && v[len(asPrefix):] == name) {
			return true
		}
	}
	return false
}

// First returns the first type, or "" if there is none.
func (t Types) First() string {
	if len(t) == 0 {
		return ""
	}
	return t[0]
}

// MarshalJSON writes a single type as a string and several (or none, when t is non-nil) as an array.
func (t Types) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	return appendTypes(nil, t), nil
}

// UnmarshalJSON accepts null, a string or an array of strings.
func (t *Types) UnmarshalJSON(data []byte) error { return unmarshal(data, t, decTypes) }

func decTypes(v []byte) (Types, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case '"':
		return Types{unquote(v)}, nil
	case '[':
		t := Types{}
		err := eachElement(v, func(e []byte) error {
			if e[0] != '"' {
				return errShape
			}
			t = append(t, unquote(e))
			return nil
		})
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, errShape
}

func appendTypes(b []byte, t Types) []byte {
	if len(t) == 1 {
		return jsonstr.Append(b, t[0], jsonstr.Script)
	}
	b = append(b, '[')
	for i, s := range t {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, s, jsonstr.Script)
	}
	return append(b, ']')
}
