package gofed_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/gofed"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// unknownTypes are the types in the corpus that go-fed's vocabulary lacks; an object whose types
// are all here fails ToType with ErrUnknownType, and no other object does.
var unknownTypes = map[string]string{
	"ChatMessage":                    "Pleroma's chat message",
	"CryptographicKey":               "a FEP-521a / security vocabulary key document (Fedify)",
	"Lock":                           "Lemmy's lock of a post or comment",
	"Resolve":                        "Lemmy's resolution of a report",
	"Warn":                           "Lemmy's moderator warning",
	"http://example.org/Foo":         "an extension type named by full IRI (AS2 spec example 62)",
	"definitely an account muy lord": "a bogus type from GoToSocial's resolver tests",
	"object":                         "the JSON Schema keyword in the NodeInfo schemas, not an AS2 type",
}

// change is one difference between the Object before the round trip and the one after, found by
// comparing their encodings: at path, kind is "dropped", "added" or "changed", from before to after
// (nil when absent).
type change struct {
	path, kind    string
	before, after any
	// parent is the JSON object holding the member before the round trip.
	parent map[string]any
}

// member returns the last member name of the change's path, without array indexes.
func (c change) member() string {
	m := c.path[strings.LastIndexByte(c.path, '.')+1:]
	if i := strings.IndexByte(m, '['); i >= 0 {
		m = m[:i]
	}
	return m
}

// losses is the table of what a round trip through go-fed is documented to lose or rewrite (see the
// package documentation). Every change the corpus round trip finds must match one entry, and every
// entry must match at least one change, so the table neither hides nor overstates a loss.
var losses = []struct {
	name string
	// match reports whether the entry explains c.
	match func(c change) bool
}{
	{"@context rebuilt by streams.Serialize", func(c change) bool {
		return c.path == "$.@context" || strings.HasPrefix(c.path, "$.@context.") || strings.HasPrefix(c.path, "$.@context[")
	}},
	{"@context of an embedded object removed", func(c change) bool {
		return c.kind == "dropped" && c.member() == "@context" && c.path != "$.@context"
	}},
	{"language map dropped beside its plain property", func(c change) bool {
		plain, ok := strings.CutSuffix(c.member(), "Map")
		_, hasPlain := c.parent[plain]
		return c.kind == "dropped" && ok && hasPlain && slices.Contains([]string{"content", "name", "summary"}, plain)
	}},
	{"date written without fractional seconds", func(c change) bool {
		b, bok := c.before.(string)
		a, aok := c.after.(string)
		if c.kind != "changed" || !bok || !aok {
			return false
		}
		tb, err1 := time.Parse(time.RFC3339Nano, b)
		ta, err2 := time.Parse(time.RFC3339, a)
		return err1 == nil && err2 == nil && tb.Nanosecond() != 0 && ta.Equal(tb.Truncate(time.Second))
	}},
	{"one-element array of an extension property written as its element", func(c change) bool {
		b, ok := c.before.([]any)
		return c.kind == "changed" && ok && len(b) == 1 && reflect.DeepEqual(b[0], c.after)
	}},
	{"float written in its shortest form", func(c change) bool {
		b, bok := c.before.(json.Number)
		a, aok := c.after.(json.Number)
		if c.kind != "changed" || !bok || !aok {
			return false
		}
		fb, err1 := b.Float64()
		fa, err2 := a.Float64()
		return err1 == nil && err2 == nil && fa == fb && a.String() != b.String()
	}},
	{"string that parses as an IRI rewritten by net/url (scheme lowercased, characters escaped)", func(c change) bool {
		b, bok := c.before.(string)
		a, aok := c.after.(string)
		if c.kind != "changed" || !bok || !aok {
			return false
		}
		u, err := url.Parse(b)
		return err == nil && u.Scheme != "" && u.String() == a
	}},
}

// TestCorpusRoundTrip converts every JSON payload of the corpus to a go-fed type and back. Each one
// either fails in the way the tables above say it must, or comes back as the same Object up to the
// documented losses.
func TestCorpusRoundTrip(t *testing.T) {
	used := make([]int, len(losses))
	var identical, contextOnly, lossy, noType, unknown, multi int
	for _, f := range corpus.JSON(t, ".") {
		t.Run(f.Name, func(t *testing.T) {
			before, err := vocab.Decode(f.Data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			typ, err := gofed.ToType(t.Context(), before)
			switch {
			case len(before.Type) == 0:
				if !errors.Is(err, gofed.ErrNoType) {
					t.Fatalf("ToType of an object without type: %v, want ErrNoType", err)
				}
				noType++
				return
			case allUnknown(before.Type):
				if !errors.Is(err, gofed.ErrUnknownType) {
					t.Fatalf("ToType of %v: %v, want ErrUnknownType", before.Type, err)
				}
				unknown++
				return
			case err != nil:
				t.Fatalf("ToType: %v", err)
			}
			after, err := gofed.FromType(typ)
			if len(before.Type) > 1 {
				if !errors.Is(err, gofed.ErrSerialize) {
					t.Fatalf("FromType of %v: %v, want ErrSerialize", before.Type, err)
				}
				multi++
				return
			}
			if err != nil {
				t.Fatalf("FromType: %v", err)
			}
			// The Objects are compared as the JSON documents they encode to: go-fed writes the
			// members of an extension object in its own order, which changes Extra's raw bytes but
			// not the document.
			changes := diff(t, before, after)
			if len(changes) == 0 {
				identical++
				return
			}
			onlyContext := true
			for _, c := range changes {
				i := slices.IndexFunc(losses, func(l struct {
					name  string
					match func(change) bool
				}) bool {
					return l.match(c)
				})
				if i < 0 {
					t.Errorf("undocumented change: %s %s: %.100v => %.100v", c.kind, c.path, c.before, c.after)
					continue
				}
				used[i]++
				onlyContext = onlyContext && i == 0
			}
			if onlyContext {
				contextOnly++
			} else {
				lossy++
			}
		})
	}
	for i, l := range losses {
		if used[i] == 0 {
			t.Errorf("loss %q never happens in the corpus", l.name)
		}
		t.Logf("%5d changes: %s", used[i], l.name)
	}
	t.Logf("identical %d, only @context rebuilt %d, other documented losses %d, no type %d, unknown type %d, several types %d",
		identical, contextOnly, lossy, noType, unknown, multi)
	// Guard against a walk that silently checks nothing.
	if identical+contextOnly < 400 || lossy == 0 || noType == 0 || unknown == 0 || multi == 0 {
		t.Errorf("corpus coverage too small")
	}
}

func allUnknown(types vocab.Types) bool {
	for _, ty := range types {
		if _, ok := unknownTypes[ty]; !ok {
			return false
		}
	}
	return true
}

// diff compares the encodings of before and after, with exact numbers, and returns every change.
func diff(t *testing.T, before, after *vocab.Object) []change {
	t.Helper()
	var out []change
	walk("$", nil, generic(t, before), generic(t, after), &out)
	return out
}

func generic(t *testing.T, o *vocab.Object) any {
	t.Helper()
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("generic decode: %v", err)
	}
	return v
}

func walk(path string, parent map[string]any, a, b any, out *[]change) {
	if x, ok := a.(map[string]any); ok {
		if y, ok := b.(map[string]any); ok {
			for k, v := range x {
				if w, ok := y[k]; ok {
					walk(path+"."+k, x, v, w, out)
				} else {
					*out = append(*out, change{path + "." + k, "dropped", v, nil, x})
				}
			}
			for k, w := range y {
				if _, ok := x[k]; !ok {
					*out = append(*out, change{path + "." + k, "added", nil, w, x})
				}
			}
			return
		}
	}
	if x, ok := a.([]any); ok {
		if y, ok := b.([]any); ok && len(x) == len(y) {
			for i := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), parent, x[i], y[i], out)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, change{path, "changed", a, b, parent})
	}
}
