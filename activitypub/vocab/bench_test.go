package vocab_test

import (
	"encoding/json"
	"testing"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// benchFile is a Mastodon Create{Note} of 3.5 KB, the shape research/DEPS.md measured (encoding/json
// into structs: 40 µs, 171 allocs; go-fed streams: 181 µs).
const benchFile = "mastodon/akkoma_mastodon-post-activity.json"

func BenchmarkDecode(b *testing.B) {
	data := corpus.ReadFile(b, benchFile)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vocab.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	o, err := vocab.Decode(corpus.ReadFile(b, benchFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGenericBaseline decodes the same file into map[string]any with UseNumber-free
// json.Unmarshal, for comparison on the same machine.
func BenchmarkDecodeGenericBaseline(b *testing.B) {
	data := corpus.ReadFile(b, benchFile)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
