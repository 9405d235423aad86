package operator_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkRender renders each page through the handler, without the network, over the test
// site's memstore.
func BenchmarkRender(b *testing.B) {
	fx := newFixture(b)
	pages := []struct{ name, page string }{
		{"overview", ""}, {"article", "article?url=" + url.QueryEscape(articleURL)},
		{"requests", "requests?actor=desk"}, {"moderation", "moderation"}, {"mentions", "mentions"},
	}
	for _, p := range pages {
		page := p.page
		b.Run(p.name, func(b *testing.B) {
			h := fx.srv.Config.Handler
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/admin/fediverse/"+page, nil)
				r.AddCookie(&http.Cookie{Name: "user", Value: "editor"})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
