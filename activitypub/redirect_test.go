package activitypub_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestFetchRedirectLimit checks that fedsite's own fetches keep the guarded client's redirect
// policy, five redirects, rather than Go's default of ten: a key URL that redirects on and on is
// given up after the fifth hop and the request is refused.
func TestFetchRedirectLimit(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	var mu sync.Mutex
	var hops []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		hops = append(hops, n)
		mu.Unlock()
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n+1), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	actor := srv.URL + "/hop/0"
	body := mustJSONBytes(map[string]any{
		"@context": vocab.ContextActivityStreams, "id": srv.URL + "/follows/1", "type": "Follow",
		"actor": actor, "object": s.fed.ActorID("news"),
	})
	key := signing.Key{ID: actor + "#main-key", Signer: priv}
	if code := postSigned(t, s, s.fed.ActorID("news")+"/inbox", body, &key, time.Now(), nil); code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401: the key could not be fetched", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{0, 1, 2, 3, 4, 5}; fmt.Sprint(hops) != fmt.Sprint(want) {
		t.Errorf("the key server saw hops %v, want %v: five redirects followed, no more", hops, want)
	}
}
