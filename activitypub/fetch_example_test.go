package activitypub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store/memstore"
)

// Fetch shows what a remote server serves the site: here a server on loopback that, as one in
// authorized-fetch mode does, answers only signed requests.
func ExampleFederation_Fetch() {
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Signature"), `keyId="http://news.example/ap/actor`) {
			http.Error(w, "sign your fetches", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"id": "http://%s/users/alice", "type": "Person", "preferredUsername": "alice"}`, r.Host)
	}))
	defer remote.Close()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "http://news.example",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(context.Context, string) (*activitypub.Actor, error) {
			return nil, activitypub.ErrNotFound
		}),
		// Only for the example's server on loopback: never on the public network.
		Insecure: activitypub.Insecure{AllowHTTP: true, AllowAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	doc, err := fed.Fetch(context.Background(), remote.URL+"/users/alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Replace(string(doc), remote.URL, "http://remote.example", 1))
	// Output: {"id": "http://remote.example/users/alice", "type": "Person", "preferredUsername": "alice"}
}
