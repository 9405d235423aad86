package gofed_test

import (
	"errors"
	"net/url"
	"testing"

	"code.superseriousbusiness.org/activity/streams"
	streamsvocab "code.superseriousbusiness.org/activity/streams/vocab"

	"github.com/fedsite/fedsite/activitypub/gofed"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

func decode(t *testing.T, s string) *vocab.Object {
	t.Helper()
	o, err := vocab.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestToTypeErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    *vocab.Object
		want  error
		alsoA error
	}{
		{"nil", nil, gofed.ErrNoType, nil},
		{"no type", decode(t, `{"id":"https://a.example/1","content":"hi"}`), gofed.ErrNoType, nil},
		{"unknown type", decode(t, `{"type":"Lock","actor":"https://a.example/u","object":"https://a.example/1"}`),
			gofed.ErrUnknownType, streams.ErrUnhandledType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gofed.ToType(t.Context(), tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ToType = %v, %v; want %v", got, err, tt.want)
			}
			if tt.alsoA != nil && !errors.Is(err, tt.alsoA) {
				t.Errorf("error %v does not match go-fed's %v", err, tt.alsoA)
			}
			if got != nil {
				t.Errorf("ToType returned %v with an error", got)
			}
		})
	}
}

func TestFromTypeErrors(t *testing.T) {
	toType := func(s string) streamsvocab.Type {
		typ, err := gofed.ToType(t.Context(), decode(t, s))
		if err != nil {
			t.Fatalf("ToType(%s): %v", s, err)
		}
		return typ
	}
	for _, tt := range []struct {
		name string
		in   streamsvocab.Type
	}{
		{"nil", nil},
		{"several types", toType(`{"type":["Person","vcard:individual"],"id":"https://a.example/u"}`)},
		{"numeric embedded type", toType(`{"type":"Collection","first":{"type":7}}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if o, err := gofed.FromType(tt.in); !errors.Is(err, gofed.ErrSerialize) || o != nil {
				t.Fatalf("FromType = %v, %v; want ErrSerialize", o, err)
			}
		})
	}
}

// TestRoundTrip checks single properties in both directions, including the documented losses the
// corpus does not show.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"note", `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Note","content":"<p>hi</p>","to":["https://www.w3.org/ns/activitystreams#Public"]}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Note","to":["https://www.w3.org/ns/activitystreams#Public"],"content":"<p>hi</p>"}`},
		{"no context", `{"type":"Like","actor":"https://a.example/u","object":"https://b.example/1"}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","actor":"https://a.example/u","object":"https://b.example/1"}`},
		{"extension member kept", `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","x:rating":{"b":1,"a":[true,null]}}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","x:rating":{"a":[true,null],"b":1}}`},
		{"number beyond 2^53", `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","n":9007199254740993}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","n":9007199254740992}`},
		{"value outside go-fed's range kept", `{"@context":"https://www.w3.org/ns/activitystreams","type":"Collection","totalItems":-1}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","type":"Collection","totalItems":-1}`},
		{"fractional seconds", `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","published":"2024-01-02T03:04:05.678Z"}`,
			`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","published":"2024-01-02T03:04:05Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, err := gofed.ToType(t.Context(), decode(t, tt.in))
			if err != nil {
				t.Fatalf("ToType: %v", err)
			}
			o, err := gofed.FromType(typ)
			if err != nil {
				t.Fatalf("FromType: %v", err)
			}
			got, err := o.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if want := decode(t, tt.want); !sameJSON(t, o, want) {
				t.Errorf("round trip gave\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestFromBuiltType converts a value a host built with go-fed's constructors.
func TestFromBuiltType(t *testing.T) {
	note := streams.NewActivityStreamsNote()
	id := streams.NewJSONLDIdProperty()
	u, _ := url.Parse("https://a.example/notes/1")
	id.Set(u)
	note.SetJSONLDId(id)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString("<p>hello</p>")
	note.SetActivityStreamsContent(content)
	to := streams.NewActivityStreamsToProperty()
	pub, _ := url.Parse(vocab.PublicIRI)
	to.AppendIRI(pub)
	note.SetActivityStreamsTo(to)

	o, err := gofed.FromType(note)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "https://a.example/notes/1" || !o.Type.Has("Note") || o.Content != "<p>hello</p>" || !o.To.HasPublic() {
		t.Errorf("FromType = %+v", o)
	}
}

func sameJSON(t *testing.T, a, b *vocab.Object) bool {
	t.Helper()
	return len(diff(t, a, b)) == 0
}
