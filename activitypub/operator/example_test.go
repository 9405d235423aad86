package operator_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/operator"
)

// The site mounts the operator pages under its own path, behind its own login, and tells them
// who is signed in.
func Example() {
	fed, rec, err := activitypubtest.NewFederation(siteActors{})
	if err != nil {
		panic(err)
	}
	defer rec.Close()
	op, err := operator.New(operator.Config{
		Federation: fed,
		Actors:     siteActors{},
		// The site's own session: here every request comes from the editor.
		User: func(*http.Request) (string, bool) { return "editor", true },
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/fediverse/", http.StripPrefix("/admin/fediverse", op))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/admin/fediverse/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	// Output: 200 text/html; charset=utf-8
}
