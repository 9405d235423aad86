package webfinger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// findCorpus returns the shared corpus, which lives beside the repository, and whether it is
// there. A missing corpus fails the test under CI=true.
func findCorpus(tb testing.TB) (string, bool) {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus folder %s missing (CI=true): %v", dir, err)
		}
		return "", false
	}
	return dir, true
}

// corpusDir returns the shared corpus, skipping the test if it is missing outside CI.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir, ok := findCorpus(tb)
	if !ok {
		tb.Skipf("corpus folder missing; clone the shared folder beside the repository to run this test")
	}
	return dir
}

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
	b, err := os.ReadFile(filepath.Join(corpusDir(tb), filepath.FromSlash(name)))
	if err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	var j JRD
	if err := json.Unmarshal(b, &j); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return &j
}

// corpusResourceStrings collects resource-like strings from the corpus: subjects, aliases and
// link targets of the WebFinger answers, and the id of every top-level JSON object. Without the
// corpus (outside CI) it returns nothing.
func corpusResourceStrings(tb testing.TB) []string {
	tb.Helper()
	dir, ok := findCorpus(tb)
	if !ok {
		tb.Logf("corpus folder missing; fuzzing from the built-in seeds only")
		return nil
	}
	var out []string
	for _, name := range corpusJRDFiles {
		j := readCorpusJRD(tb, name)
		out = append(out, j.Subject)
		out = append(out, j.Aliases...)
		for _, l := range j.Links {
			out = append(out, l.Href, l.Template)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var obj struct {
			ID                string `json:"id"`
			PreferredUsername string `json:"preferredUsername"`
			Webfinger         string `json:"webfinger"`
		}
		if json.Unmarshal(b, &obj) != nil {
			return nil // arrays and non-objects carry no id
		}
		for _, s := range []string{obj.ID, obj.Webfinger} {
			if s != "" {
				out = append(out, s)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walk corpus: %v", err)
	}
	return out
}
