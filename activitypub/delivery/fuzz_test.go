package delivery

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store"
)

var inboxRE = regexp.MustCompile(`"(?:inbox|sharedInbox|endpoints\.sharedInbox)"\s*:\s*"([^"]+)"`)

// corpusInboxes returns the inbox URLs of the actor documents in the corpus.
func corpusInboxes(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, f := range corpus.JSON(tb, ".") {
		for _, m := range inboxRE.FindAllSubmatch(f.Data, -1) {
			out = append(out, strings.ReplaceAll(string(m[1]), `\/`, "/"))
		}
	}
	if len(out) == 0 {
		tb.Fatal("no inbox found in the corpus")
	}
	return out
}

// FuzzJob builds deliver jobs from inbox URLs (seeded with every inbox of the corpus actors) and
// decodes them back: a job the engine enqueued always decodes to the same inbox and host.
func FuzzJob(f *testing.F) {
	for _, in := range corpusInboxes(f) {
		f.Add(in, "[2] status 500")
	}
	f.Add("http://127.0.0.1:8080/inbox", "")
	f.Fuzz(func(t *testing.T, inbox, lastErr string) {
		j, err := deliverJob(payload{Activity: "a", Object: "o", Actor: "u", Inbox: inbox})
		if err != nil {
			return
		}
		l := store.Lease{Job: j}
		l.LastError = lastErr
		tk, err := decode(l)
		if err != nil {
			t.Fatalf("decode of an enqueued job: %v", err)
		}
		if tk.p.Inbox != inbox || tk.host == "" || !strings.HasSuffix(j.OrderingKey, " "+tk.host) {
			t.Fatalf("round trip: %+v from %q (key %q)", tk, inbox, j.OrderingKey)
		}
		if failures(tk) < 0 {
			t.Fatal("negative failure count")
		}
	})
}

// TestCorpusInboxesParse: every real inbox of the corpus makes a deliver job; only the templates
// of the corpus's fixtures ("https://{{domain}}/inbox") are refused.
func TestCorpusInboxesParse(t *testing.T) {
	ok := 0
	for _, in := range corpusInboxes(t) {
		_, err := inboxHost(in)
		switch {
		case err == nil:
			ok++
		case !strings.Contains(in, "{{"):
			t.Errorf("corpus inbox refused: %v", err)
		}
	}
	if ok < 10 {
		t.Errorf("only %d corpus inboxes accepted", ok)
	}
}
