package vocab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Decode parses one AS2 document. It is the entry point for untrusted input: it refuses input
// nested deeper than [MaxDepth] ([ErrTooDeep]), input whose top level is not an object
// ([ErrNotObject]) and malformed JSON (wrapping a *json.SyntaxError), and otherwise decodes as
// tolerantly as the package documentation describes. Every error means the input is unusable.
// The returned Object shares no memory with data.
func Decode(data []byte) (*Object, error) {
	o := new(Object)
	if err := o.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return o, nil
}

// UnmarshalJSON replaces o with the object in data, applying the same limits and tolerance as
// [Decode].
func (o *Object) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if err := check(data); err != nil {
		return wrapDecode(err)
	}
	if data[0] != '{' {
		return wrapDecode(ErrNotObject)
	}
	*o = Object{}
	o.fill(data)
	return nil
}

func wrapDecode(err error) error { return fmt.Errorf("vocab: decode: %w", err) }

// unmarshal is the UnmarshalJSON of a property type: it checks data as [Decode] does, then sets
// *dst to what dec reads from it.
func unmarshal[T any](data []byte, dst *T, dec func([]byte) (T, error)) error {
	data = bytes.TrimSpace(data)
	if err := check(data); err != nil {
		return wrapDecode(err)
	}
	v, err := dec(data)
	if err != nil {
		return wrapDecode(err)
	}
	*dst = v
	return nil
}

// decObject decodes the valid JSON object v.
func decObject(v []byte) *Object {
	o := new(Object)
	o.fill(v)
	return o
}

// fill sets o's fields from the members of the valid JSON object d. A member that is unknown, or
// whose value has a shape its field cannot hold, goes to Extra; it never fails.
func (o *Object) fill(d []byte) {
	_ = eachMember(d, func(k, v []byte) error {
		key := unquote(k)
		known, err := o.set(key, v)
		switch {
		case !known || err != nil:
			if err != nil {
				// Reset the field a duplicate member may have set earlier, so only Extra holds it.
				_, _ = o.set(key, []byte("null"))
			}
			o.Extra = putExtra(o.Extra, key, v)
		case o.Extra != nil:
			// A later duplicate member that fits replaces an earlier one that did not.
			delete(o.Extra, key)
		}
		return nil
	})
}

func putExtra(m map[string]json.RawMessage, key string, v []byte) map[string]json.RawMessage {
	if m == nil {
		m = make(map[string]json.RawMessage)
	}
	m[key] = compact(make([]byte, 0, len(v)), v)
	return m
}

// set decodes v into the field for key. known is false when no field has that name.
func (o *Object) set(key string, v []byte) (known bool, err error) {
	switch key {
	case "@context":
		o.Context = nil
		if v[0] != 'n' {
			o.Context = json.RawMessage(compact(make([]byte, 0, len(v)), v))
		}
	case "id":
		o.ID, err = decString(v)
	case "type":
		o.Type, err = decTypes(v)
	case "actor":
		o.Actor, err = decRef(v)
	case "object":
		o.Object, err = decRef(v)
	case "target":
		o.Target, err = decRef(v)
	case "origin":
		o.Origin, err = decRef(v)
	case "inReplyTo":
		o.InReplyTo, err = decRef(v)
	case "attributedTo":
		o.AttributedTo, err = decRefs(v)
	case "to":
		o.To, err = decRefs(v)
	case "cc":
		o.Cc, err = decRefs(v)
	case "bto":
		o.Bto, err = decRefs(v)
	case "bcc":
		o.Bcc, err = decRefs(v)
	case "audience":
		o.Audience, err = decRefs(v)
	case "name":
		o.Name, err = decString(v)
	case "summary":
		o.Summary, err = decString(v)
	case "content":
		o.Content, err = decString(v)
	case "nameMap":
		o.NameMap, err = decLangMap(v)
	case "summaryMap":
		o.SummaryMap, err = decLangMap(v)
	case "contentMap":
		o.ContentMap, err = decLangMap(v)
	case "mediaType":
		o.MediaType, err = decString(v)
	case "url":
		o.URL, err = decRefs(v)
	case "href":
		o.Href, err = decString(v)
	case "icon":
		o.Icon, err = decRefs(v)
	case "image":
		o.Image, err = decRefs(v)
	case "tag":
		o.Tag, err = decRefs(v)
	case "attachment":
		o.Attachment, err = decRefs(v)
	case "published":
		o.Published, err = decTime(v)
	case "updated":
		o.Updated, err = decTime(v)
	case "sensitive":
		o.Sensitive, err = decBool(v)
	case "preferredUsername":
		o.PreferredUsername, err = decString(v)
	case "inbox":
		o.Inbox, err = decIRI(v)
	case "outbox":
		o.Outbox, err = decIRI(v)
	case "followers":
		o.Followers, err = decIRI(v)
	case "following":
		o.Following, err = decIRI(v)
	case "featured":
		o.Featured, err = decIRI(v)
	case "endpoints":
		o.Endpoints, err = decEndpoints(v)
	case "sharedInbox":
		o.SharedInbox, err = decIRI(v)
	case "publicKey":
		o.PublicKey, err = decPublicKeys(v)
	case "manuallyApprovesFollowers":
		o.ManuallyApprovesFollowers, err = decBool(v)
	case "discoverable":
		o.Discoverable, err = decBoolPtr(v)
	case "indexable":
		o.Indexable, err = decBoolPtr(v)
	case "totalItems":
		o.TotalItems, err = decInt(v)
	case "first":
		o.First, err = decRef(v)
	case "last":
		o.Last, err = decRef(v)
	case "next":
		o.Next, err = decRef(v)
	case "prev":
		o.Prev, err = decRef(v)
	case "partOf":
		o.PartOf, err = decRef(v)
	case "items":
		o.Items, err = decRefs(v)
	case "orderedItems":
		o.OrderedItems, err = decRefs(v)
	case "owner":
		o.Owner, err = decIRI(v)
	case "publicKeyPem":
		o.PublicKeyPem, err = decString(v)
	default:
		return false, nil
	}
	return true, err
}

func decString(v []byte) (string, error) {
	switch v[0] {
	case 'n':
		return "", nil
	case '"':
		return unquote(v), nil
	}
	return "", errShape
}

// decIRI reads an IRI-valued property that servers also send as an object with an id or as an
// array, as Mastodon's JSON-LD helper accepts them.
func decIRI(v []byte) (string, error) {
	switch v[0] {
	case 'n':
		return "", nil
	case '"':
		return unquote(v), nil
	case '[':
		f := firstElement(v)
		if f == nil {
			return "", nil
		}
		if f[0] == '[' {
			return "", errShape
		}
		return decIRI(f)
	case '{':
		var id []byte
		_ = eachMember(v, func(k, val []byte) error {
			if unquote(k) == "id" {
				id = val
			}
			return nil
		})
		if id == nil || id[0] != '"' {
			return "", errShape
		}
		return unquote(id), nil
	}
	return "", errShape
}

func decBool(v []byte) (bool, error) {
	switch v[0] {
	case 'n', 'f':
		return false, nil
	case 't':
		return true, nil
	}
	return false, errShape
}

func decBoolPtr(v []byte) (*bool, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case 't', 'f':
		b := v[0] == 't'
		return &b, nil
	}
	return nil, errShape
}

// decInt reads a count sent as 5, 5.0, 5e0 or "5".
func decInt(v []byte) (*int, error) {
	s := string(v)
	switch v[0] {
	case 'n':
		return nil, nil
	case '"':
		s = unquote(v)
	case '{', '[', 't', 'f':
		return nil, errShape
	}
	if n, err := strconv.Atoi(s); err == nil {
		return &n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// 2^63 itself is not representable as int, hence the strict upper bound.
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return nil, errShape
	}
	n := int(f)
	return &n, nil
}

func decTime(v []byte) (time.Time, error) {
	switch v[0] {
	case 'n':
		return time.Time{}, nil
	case '"':
		t, ok := parseTime(unquote(v))
		if !ok {
			return time.Time{}, errShape
		}
		return t, nil
	}
	return time.Time{}, errShape
}

// parseTime parses s with the first layout that fits. Servers send RFC 3339 with or without
// fractional seconds and with Z or an offset (Lemmy and lotide write "+00:00"), and occasionally no
// offset at all, read as UTC. A zero offset becomes UTC, so the value is the same whether a server
// wrote Z or +00:00.
func parseTime(s string) (time.Time, bool) {
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			if _, off := t.Zone(); off == 0 {
				t = t.UTC()
			}
			return t, true
		}
	}
	return time.Time{}, false
}

func decLangMap(v []byte) (map[string]string, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case '{':
		m := make(map[string]string)
		err := eachMember(v, func(k, val []byte) error {
			if val[0] != '"' {
				return errShape
			}
			m[unquote(k)] = unquote(val)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, errShape
}

func decEndpoints(v []byte) (*Endpoints, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case '{':
		e := new(Endpoints)
		fillStrings(v, &e.Extra, func(key string) (*string, func([]byte) (string, error)) {
			if key == "sharedInbox" {
				return &e.SharedInbox, decIRI
			}
			return nil, nil
		})
		return e, nil
	}
	return nil, errShape
}

func decPublicKeys(v []byte) ([]PublicKey, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case '{':
		return []PublicKey{decPublicKey(v)}, nil
	case '[':
		keys := []PublicKey{}
		err := eachElement(v, func(e []byte) error {
			if e[0] != '{' {
				return errShape
			}
			keys = append(keys, decPublicKey(e))
			return nil
		})
		if err != nil {
			return nil, err
		}
		return keys, nil
	}
	return nil, errShape
}

func decPublicKey(v []byte) PublicKey {
	var k PublicKey
	fillStrings(v, &k.Extra, func(key string) (*string, func([]byte) (string, error)) {
		switch key {
		case "id":
			return &k.ID, decString
		case "owner":
			return &k.Owner, decIRI
		case "publicKeyPem":
			return &k.PublicKeyPem, decString
		}
		return nil, nil
	})
	return k
}

// fillStrings sets the string fields of a small object from the members of the valid JSON
// object v, by the rule of [Object.fill]: field names the field of a member and its decoder, or
// nil; a member with no field, or whose value its field cannot hold, goes to *extra, and the
// field a duplicate member may have set earlier is reset, so that only *extra holds it.
func fillStrings(v []byte, extra *map[string]json.RawMessage, field func(key string) (*string, func([]byte) (string, error))) {
	_ = eachMember(v, func(k, val []byte) error {
		key := unquote(k)
		if dst, dec := field(key); dst != nil {
			s, err := dec(val)
			if err == nil {
				*dst = s
				delete(*extra, key)
				return nil
			}
			*dst = ""
		}
		*extra = putExtra(*extra, key, val)
		return nil
	})
}
