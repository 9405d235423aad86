package record_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// An export of the record, then its verification.
func ExampleExport() {
	ctx := context.Background()
	st := memstore.New()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, actor := range []string{"https://a.example/users/alice", "https://b.example/users/bob"} {
		_, err := st.AppendRecord(ctx, store.RecordEntry{Time: at.Add(time.Duration(i) * time.Minute),
			Direction: store.RecordIn, Type: "Follow", Actor: actor, Scheme: "draft-cavage rsa-sha256",
			KeyID: actor + "#main-key", Document: []byte(`{"type":"Follow"}`)})
		if err != nil {
			log.Fatal(err)
		}
	}
	var file bytes.Buffer
	sum, err := record.Export(ctx, st, &file, record.Filter{Actor: "https://b.example/users/bob"}, at)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("exported %d in full, %d elided\n", sum.Entries, sum.Elided)
	rep, err := record.Verify(&file)
	fmt.Printf("verified seq %d to %d: %v\n", rep.FirstSeq, rep.LastSeq, err)
	// Output:
	// exported 1 in full, 0 elided
	// verified seq 2 to 2: <nil>
}
