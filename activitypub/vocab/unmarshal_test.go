package vocab_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
)

// TestPropertyUnmarshalJSON: the property types decode on their own as inside an object, refuse
// what no shape of theirs fits and keep the value they had when they refuse.
func TestPropertyUnmarshalJSON(t *testing.T) {
	deep := strings.Repeat("[", vocab.MaxDepth+1) + strings.Repeat("]", vocab.MaxDepth+1)
	tests := []struct {
		name string
		in   string
		dst  interface{ UnmarshalJSON([]byte) error }
		want any // the value dst points to after decoding; nil when it must fail
	}{
		{"ref iri", ` "https://a.example/1" `, &vocab.Ref{}, &vocab.Ref{IRI: "https://a.example/1"}},
		{"ref null", `null`, &vocab.Ref{IRI: "https://a.example/old"}, &vocab.Ref{}},
		{"ref array", `["https://a.example/1","https://a.example/2"]`, &vocab.Ref{}, &vocab.Ref{IRI: "https://a.example/1"}},
		{"ref object", `{"id":"https://a.example/1","type":"Note"}`, &vocab.Ref{},
			&vocab.Ref{IRI: "https://a.example/1", Object: &vocab.Object{ID: "https://a.example/1", Type: vocab.Types{"Note"}}}},
		{"ref number", `5`, &vocab.Ref{IRI: "before"}, nil},
		{"ref too deep", deep, &vocab.Ref{}, nil},
		{"ref invalid", `"https://a.example/1`, &vocab.Ref{}, nil},
		{"refs one", `"https://a.example/1"`, &vocab.Refs{}, &vocab.Refs{{IRI: "https://a.example/1"}}},
		{"refs mixed", `["https://a.example/1",{"id":"https://a.example/2"}]`, &vocab.Refs{},
			&vocab.Refs{{IRI: "https://a.example/1"}, {IRI: "https://a.example/2", Object: &vocab.Object{ID: "https://a.example/2"}}}},
		{"refs null", `null`, &vocab.Refs{{IRI: "x"}}, new(vocab.Refs)},
		{"refs bool", `true`, &vocab.Refs{}, nil},
		{"types one", `"Note"`, &vocab.Types{}, &vocab.Types{"Note"}},
		{"types several", `["Person","vcard:individual"]`, &vocab.Types{}, &vocab.Types{"Person", "vcard:individual"}},
		{"types number", `5`, &vocab.Types{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reflect.ValueOf(tt.dst).Elem().Interface()
			err := tt.dst.UnmarshalJSON([]byte(tt.in))
			if tt.want == nil {
				if err == nil || !strings.HasPrefix(err.Error(), "vocab: decode: ") {
					t.Fatalf("UnmarshalJSON(%.20s) = %v, want a vocab: decode error", tt.in, err)
				}
				if got := reflect.ValueOf(tt.dst).Elem().Interface(); !reflect.DeepEqual(got, before) {
					t.Errorf("a failed UnmarshalJSON changed the value to %#v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", tt.in, err)
			}
			if !reflect.DeepEqual(tt.dst, tt.want) {
				t.Errorf("UnmarshalJSON(%s) = %#v, want %#v", tt.in, tt.dst, tt.want)
			}
		})
	}
}
