package vocab_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// TestCorpusRoundTrip decodes every corpus file, encodes it and decodes the result again. The two
// Objects must be equal, and the encoded JSON must equal the input once both pass through
// normalise, which spells out the normalisations the package documentation promises.
func TestCorpusRoundTrip(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(f.Name, func(t *testing.T) {
			o1, err := vocab.Decode(f.Data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := o1.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			o2, err := vocab.Decode(out)
			if err != nil {
				t.Fatalf("Decode(encoded): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(o1, o2) {
				again, _ := o2.MarshalJSON()
				t.Fatalf("object changed by a round trip:\nfirst  %s\nsecond %s", out, again)
			}
			want := normalise(generic(t, f.Data))
			if p := firstDiff("$", want, normalise(generic(t, out))); p != "" {
				t.Fatalf("encoded JSON differs from input beyond the documented normalisations: %s\n%s", p, out)
			}
			// json.Marshal of the value (not a pointer) must use the same encoding; it escapes
			// HTML characters again, which changes bytes but not the document.
			viaJSON, err := json.Marshal(*o1)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if p := firstDiff("$", want, normalise(generic(t, viaJSON))); p != "" {
				t.Fatalf("json.Marshal output differs: %s\n%s", p, viaJSON)
			}
		})
	}
}

// TestRoundTripDetectsLoss makes sure the comparison above is not vacuous: dropping an unknown
// member or changing a known one must be reported.
func TestRoundTripDetectsLoss(t *testing.T) {
	data := corpus.ReadFile(t, "mastodon/activities_create_note.json")
	want := normalise(generic(t, data))
	for _, tc := range []struct {
		name   string
		change func(o *vocab.Object)
	}{
		{"drop unknown member", func(o *vocab.Object) { delete(o.Object.Object.Extra, "conversation") }},
		{"change content", func(o *vocab.Object) { o.Object.Object.Content += "!" }},
		{"drop cc entry", func(o *vocab.Object) { o.Cc = o.Cc[:1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := vocab.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(o)
			out, err := o.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if firstDiff("$", want, normalise(generic(t, out))) == "" {
				t.Fatal("change not detected")
			}
		})
	}
}

func TestEncodeDeterministic(t *testing.T) {
	data := corpus.ReadFile(t, "mastodon/akkoma_mastodon-post-activity-contentmap.json")
	o, err := vocab.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	first, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(first) {
			t.Fatalf("encoding not deterministic:\n%s\n%s", first, again)
		}
	}
}

// normalise applies to a generic document what decoding and encoding do to it.
func normalise(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v // top-level non-objects never reach here: Decode refuses them
	}
	return normObject(m)
}

var (
	textKeys = []string{"id", "name", "summary", "content", "mediaType", "href", "preferredUsername", "publicKeyPem"}
	iriKeys  = []string{"inbox", "outbox", "followers", "following", "featured", "sharedInbox", "owner"}
	refKeys  = []string{"actor", "object", "target", "origin", "inReplyTo", "first", "last", "next", "prev", "partOf"}
	refsKeys = []string{"attributedTo", "to", "cc", "bto", "bcc", "audience", "url", "icon", "image", "tag", "attachment", "items", "orderedItems"}
	mapKeys  = []string{"nameMap", "summaryMap", "contentMap"}
)

func normObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if nv, keep := normMember(k, v); keep {
			out[k] = nv
		}
	}
	return out
}

func normMember(k string, v any) (any, bool) {
	if v == nil {
		return nil, false // null known properties are dropped; unknown ones are kept
	}
	switch {
	case k == "@context":
		return v, true
	case slices.Contains(textKeys, k):
		return v, v != ""
	case slices.Contains(iriKeys, k):
		if s, ok := normIRI(v); ok {
			return s, s != ""
		}
		return v, true
	case k == "type":
		if a, ok := v.([]any); ok && len(a) == 1 {
			if s, ok := a[0].(string); ok {
				return s, true
			}
		}
		return v, true
	case slices.Contains(refKeys, k):
		if a, ok := v.([]any); ok {
			if len(a) == 0 || a[0] == nil {
				return nil, false
			}
			v = a[0]
		}
		switch x := v.(type) {
		case string:
			return x, x != ""
		case map[string]any:
			return normObject(x), true
		}
		return v, true // a number or bool stays verbatim in Extra
	case slices.Contains(refsKeys, k):
		a, ok := v.([]any)
		if !ok {
			a = []any{v}
		}
		out := make([]any, len(a))
		for i, e := range a {
			switch x := e.(type) {
			case string:
				out[i] = x
			case map[string]any:
				out[i] = normObject(x)
			default:
				return v, true // an unusable element keeps the whole value verbatim in Extra
			}
		}
		return out, true
	case slices.Contains(mapKeys, k):
		return v, true
	case k == "published" || k == "updated":
		if s, ok := v.(string); ok {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
				if tm, err := time.Parse(layout, s); err == nil {
					return tm.UTC().Format(time.RFC3339Nano), true
				}
			}
		}
		return v, true
	case k == "sensitive" || k == "manuallyApprovesFollowers":
		return v, v != false
	case k == "totalItems":
		var s string
		switch x := v.(type) {
		case json.Number:
			s = string(x)
		case string:
			s = x
		default:
			return v, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
			return json.Number(strconv.FormatInt(int64(f), 10)), true
		}
		return v, true
	case k == "endpoints":
		ep, ok := v.(map[string]any)
		if !ok {
			return v, true
		}
		out := make(map[string]any, len(ep))
		for ek, ev := range ep {
			if ek == "sharedInbox" {
				if s, ok := normIRI(ev); ok {
					if s != "" {
						out[ek] = s
					}
					continue
				}
			}
			out[ek] = ev
		}
		return out, true
	case k == "publicKey":
		switch x := v.(type) {
		case map[string]any:
			return normKey(x), true
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				km, ok := e.(map[string]any)
				if !ok {
					return v, true
				}
				out[i] = normKey(km)
			}
			if len(out) == 1 {
				return out[0], true
			}
			return out, true
		}
	}
	return v, true
}

// normIRI resolves an IRI-valued property the way decoding does; ok is false for a shape that is
// kept verbatim.
func normIRI(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case []any:
		if len(x) == 0 {
			return "", true
		}
		if _, nested := x[0].([]any); nested {
			return "", false
		}
		return normIRI(x[0])
	case map[string]any:
		id, ok := x["id"].(string)
		return id, ok
	}
	return "", false
}

func normKey(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "id", "publicKeyPem":
			if v == nil || v == "" {
				continue
			}
		case "owner":
			if s, ok := normIRI(v); ok {
				if s != "" {
					out[k] = s
				}
				continue
			}
		}
		out[k] = v
	}
	return out
}

// firstDiff returns the path of the first difference between two generic values, or "".
func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %T vs %T", path, a, b)
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, aok := x[k]
			bv, bok := y[k]
			if aok != bok {
				return fmt.Sprintf("%s.%s: present in input %v, in output %v (%.80v | %.80v)", path, k, aok, bok, av, bv)
			}
			if d := firstDiff(path+"."+k, av, bv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %.80v vs %.80v", path, a, b)
		}
		for i := range x {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %.80v vs %.80v", path, a, b)
	}
	return ""
}
