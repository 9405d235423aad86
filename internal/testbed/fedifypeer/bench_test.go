package fedifypeer

import (
	"testing"
)

func BenchmarkDecodeActivities(b *testing.B) {
	var data []byte
	for _, doc := range corpusDocuments(b) {
		if len(data) == 0 {
			data = inboxRecord(doc, true)
		} else {
			// Join records into one list: strip "]" and "[".
			rec := inboxRecord(doc, true)
			data = append(append(data[:len(data)-1], ','), rec[1:]...)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeActivities(data); err != nil {
			b.Fatal(err)
		}
	}
}
