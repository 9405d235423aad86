package fedifypeer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
)

// corpusDocuments returns the JSON documents of the corpus's fedify folder, the payloads Fedify's
// own tests use.
func corpusDocuments(tb testing.TB) [][]byte {
	tb.Helper()
	var docs [][]byte
	for _, f := range corpus.JSON(tb, "fedify") {
		docs = append(docs, f.Data)
	}
	return docs
}

// inboxRecord wraps doc the way the peer's /_control/inbox lists it.
func inboxRecord(doc []byte, verified bool) []byte {
	var head struct {
		Type  any `json:"type"`
		ID    any `json:"id"`
		Actor any `json:"actor"`
	}
	json.Unmarshal(doc, &head)
	str := func(v any) string { s, _ := v.(string); return s }
	rec := map[string]any{
		"type":       str(head.Type),
		"id":         str(head.ID),
		"actor":      str(head.Actor),
		"verified":   verified,
		"receivedAt": "2026-01-02T03:04:05.678Z",
		"document":   json.RawMessage(doc),
	}
	if !verified {
		rec["reason"] = "invalidSignature"
	}
	b, _ := json.Marshal([]any{rec})
	return b
}

func TestDecodeActivitiesCorpus(t *testing.T) {
	for i, doc := range corpusDocuments(t) {
		if !json.Valid(doc) {
			continue
		}
		got, err := decodeActivities(inboxRecord(doc, i%2 == 0))
		if err != nil {
			t.Errorf("document %d: %v", i, err)
			continue
		}
		if len(got) != 1 || got[0].Verified != (i%2 == 0) || got[0].ReceivedAt.IsZero() {
			t.Errorf("document %d: decoded %+v", i, got)
			continue
		}
		var want, have any
		json.Unmarshal(doc, &want)
		if err := json.Unmarshal(got[0].Document, &have); err != nil || !reflect.DeepEqual(want, have) {
			t.Errorf("document %d: Document does not round-trip (%v)", i, err)
		}
	}
}

// FuzzDecodeActivities checks that decoding never panics and that what
// decodes survives an encode/decode round trip unchanged.
func FuzzDecodeActivities(f *testing.F) {
	for i, doc := range corpusDocuments(f) {
		f.Add(inboxRecord(doc, i%2 == 0))
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"type":"Follow","document":null}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeActivities(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("re-encode %q: %v", data, err)
		}
		back, err := decodeActivities(again)
		if err != nil {
			t.Fatalf("decode re-encoded %q: %v", again, err)
		}
		if len(back) != len(got) {
			t.Fatalf("round trip changed length %d -> %d", len(got), len(back))
		}
		for i := range got {
			a, b := got[i], back[i]
			if a.Type != b.Type || a.ID != b.ID || a.Actor != b.Actor || a.Verified != b.Verified ||
				a.Reason != b.Reason || !a.ReceivedAt.Equal(b.ReceivedAt) {
				t.Fatalf("round trip changed record %d: %+v -> %+v", i, a, b)
			}
			var ca, cb bytes.Buffer
			if len(a.Document) > 0 {
				json.Compact(&ca, a.Document)
				json.Compact(&cb, b.Document)
				if !bytes.Equal(ca.Bytes(), cb.Bytes()) {
					t.Fatalf("round trip changed document %d: %s -> %s", i, ca.Bytes(), cb.Bytes())
				}
			}
		}
	})
}

// FuzzParseReady checks that a line parseReady accepts always names a
// loopback http origin.
func FuzzParseReady(f *testing.F) {
	f.Add([]byte(`{"ready":true,"url":"http://127.0.0.1:41234"}`))
	f.Add([]byte(`{"ready":true,"url":"http://127.0.0.1:1/"}`))
	f.Add([]byte(`{"ready":true,"url":"http://[::1]:80"}`))
	f.Add([]byte(`{"ready":"yes"}`))
	for _, doc := range corpusDocuments(f)[:3] {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parseReady(line)
		if err != nil {
			return
		}
		if !r.Ready {
			t.Fatalf("accepted %q with ready=false", line)
		}
		if _, err := parseReady([]byte(`{"ready":true,"url":` + string(mustJSON(t, r.URL)) + `}`)); err != nil {
			t.Fatalf("accepted url %q once, rejected it re-encoded: %v", r.URL, err)
		}
	})
}

// FuzzParseNodeVersion checks that parseNodeVersion never panics and never
// returns a negative version.
func FuzzParseNodeVersion(f *testing.F) {
	for _, s := range []string{"v22.23.3\n", "v20.20.2", "v1", "", "v", "v99999999999999999999.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if major, err := parseNodeVersion(s); err == nil && major < 0 {
			t.Fatalf("parseNodeVersion(%q) = %d", s, major)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
