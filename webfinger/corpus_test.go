package webfinger

import (
	"encoding/json"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
)

// corpusJRDFiles are the corpus's WebFinger answers, by path relative to the corpus.
var corpusJRDFiles = []string{
	"discovery/mastodon-spec_activitypub-webfinger.json",
	"discovery/mastodon-spec_webfinger.json",
	"discovery/mastodon-spec_webfinger-hacker1.json",
	"discovery/mastodon-spec_webfinger-hacker2.json",
	"discovery/mastodon-spec_webfinger-hacker3.json",
	"mastodon-docs/webfinger_L27_webfinger.json",
	"mastodon-docs/webfinger_L91_webfinger.json",
	"mastodon/akkoma_tesla_mock_pekorino@pawoo.net_host_meta.json",
	"misc-akkoma-fixtures/akkoma_tesla_mock_webfinger_spoof.json",
	"misc-akkoma-fixtures/akkoma_tesla_mock_winterdienst_webfinger.json",
	"misc-akkoma-fixtures/akkoma_webfinger_imposter-webfinger.json",
}

// readCorpusJRD decodes one corpus WebFinger answer.
func readCorpusJRD(tb testing.TB, name string) *JRD {
	tb.Helper()
	var j JRD
	if err := json.Unmarshal(corpus.ReadFile(tb, name), &j); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return &j
}

// corpusResourceStrings collects resource-like strings from the corpus: subjects, aliases and
// link targets of the WebFinger answers, and the id of every top-level JSON object.
func corpusResourceStrings(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, name := range corpusJRDFiles {
		j := readCorpusJRD(tb, name)
		out = append(out, j.Subject)
		out = append(out, j.Aliases...)
		for _, l := range j.Links {
			out = append(out, l.Href, l.Template)
		}
	}
	for _, f := range corpus.JSON(tb, ".") {
		var obj struct {
			ID                string `json:"id"`
			PreferredUsername string `json:"preferredUsername"`
			Webfinger         string `json:"webfinger"`
		}
		if json.Unmarshal(f.Data, &obj) != nil {
			continue // arrays and non-objects carry no id
		}
		for _, s := range []string{obj.ID, obj.Webfinger} {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
