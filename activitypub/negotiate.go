package activitypub

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/fedsite/fedsite/internal/mediatype"
)

type offer int

const (
	offerNone offer = iota
	offerAS2
	offerHTML
)

// negotiate picks between the AS2 document and the site's HTML page for an Accept header.
// AS2 is chosen when application/activity+json or application/ld+json (with or without the
// ActivityStreams profile) is acceptable with a quality at least that of text/html: Mastodon's
// URL search sends "application/ld+json; profile=…, application/activity+json, text/html;q=0.1"
// and must get JSON (INTEROP §1.4). Wildcards count for HTML only, so a browser's "*/*" keeps the
// page. Without an Accept header the answer is offerNone.
func negotiate(h http.Header) offer {
	var as2, html float64 = -1, -1
	for _, field := range h.Values("Accept") {
		for _, part := range strings.Split(field, ",") {
			part = strings.TrimSpace(part)
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v <= 1 {
					q = v
				}
			}
			switch mt {
			case mediatype.Activity:
				as2 = max(as2, q)
			case mediatype.JSONLD:
				// An Accept without a profile asks for any JSON-LD, AS2 included; one with a
				// profile must name ActivityStreams, as a Content-Type must.
				if _, ok := params["profile"]; !ok || mediatype.IsActivityStreams(part) {
					as2 = max(as2, q)
				}
			case "text/html", "application/xhtml+xml", "text/*", "*/*":
				html = max(html, q)
			}
		}
	}
	switch {
	case as2 > 0 && as2 >= html:
		return offerAS2
	case html > 0:
		return offerHTML
	}
	return offerNone
}
