package main

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestNodeInfoNamesTheSite checks that every NodeInfo document the newsroom links gives the
// paper's name and tagline, which GoToSocial, Misskey and Akkoma show for the site, not its host.
func TestNodeInfoNamesTheSite(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	var links struct{ Links []struct{ Rel, Href string } }
	getJSON(t, a.base+"/.well-known/nodeinfo", &links)
	if len(links.Links) == 0 {
		t.Fatal("no NodeInfo links")
	}
	for _, l := range links.Links {
		var doc struct {
			Software struct{ Name string }
			Metadata struct{ NodeName, NodeDescription string }
		}
		getJSON(t, l.Href, &doc)
		if doc.Software.Name != "fedsite" || doc.Metadata.NodeName != "The Riverside Courier" ||
			doc.Metadata.NodeDescription != "News from the city by the river, since 1921." {
			t.Errorf("%s: software %q, nodeName %q, nodeDescription %q; want fedsite and the paper's name and tagline",
				l.Rel, doc.Software.Name, doc.Metadata.NodeName, doc.Metadata.NodeDescription)
		}
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
