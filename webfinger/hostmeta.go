package webfinger

import "encoding/xml"

// xrdNamespace is the XML namespace of XRD 1.0 documents (RFC 6415 §2).
const xrdNamespace = "http://docs.oasis-open.org/ns/xri/xrd-1.0"

// xrdOut is the host-meta document the Handler writes.
type xrdOut struct {
	XMLName xml.Name  `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
	Links   []xrdLink `xml:"Link"`
}

// xrdLink is one Link element of an XRD document.
type xrdLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr,omitempty"`
	Template string `xml:"template,attr,omitempty"`
}
