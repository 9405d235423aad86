package activitypub

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
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
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
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
			case "application/activity+json":
				as2 = max(as2, q)
			case "application/ld+json":
				if p, ok := params["profile"]; !ok || hasProfile(p) {
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

// hasProfile reports whether an ld+json profile parameter (a space-separated IRI list) names
// ActivityStreams.
func hasProfile(p string) bool {
	for _, iri := range strings.Fields(p) {
		if iri == "https://www.w3.org/ns/activitystreams" {
			return true
		}
	}
	return false
}
