package jsonld

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Context URLs that [Processor.Compact] compacts against.
const (
	// ActivityStreams is the ActivityStreams 2.0 context.
	ActivityStreams = "https://www.w3.org/ns/activitystreams"
	// Security is the security vocabulary context, which defines publicKey and publicKeyPem.
	Security = "https://w3id.org/security/v1"
)

// asNamespace is the ActivityStreams namespace, which the context's "as" prefix stands for.
const asNamespace = "https://www.w3.org/ns/activitystreams#"

//go:embed contexts/*.json
var contextFiles embed.FS

// embedded maps each context URL the loader answers to its file in contexts/.
var embedded = map[string]string{
	ActivityStreams:                               "www.w3.org_ns_activitystreams.json",
	"http://www.w3.org/ns/activitystreams":        "www.w3.org_ns_activitystreams.json",
	Security:                                      "w3id.org_security_v1.json",
	"http://w3id.org/security/v1":                 "w3id.org_security_v1.json",
	"https://w3id.org/security/data-integrity/v1": "w3id.org_security_data-integrity_v1.json",
	"https://w3id.org/security/data-integrity/v2": "w3id.org_security_data-integrity_v2.json",
	"https://w3id.org/security/multikey/v1":       "w3id.org_security_multikey_v1.json",
	"https://w3id.org/identity/v1":                "w3id.org_identity_v1.json",
	"https://www.w3.org/ns/did/v1":                "www.w3.org_ns_did_v1.json",
	"https://gotosocial.org/ns":                   "gotosocial.org_ns.json",
	"https://w3id.org/fep/7aa9":                   "w3id.org_fep_7aa9.json",
	"https://w3id.org/fep/ef61":                   "w3id.org_fep_ef61.json",
}

// UnknownContextError is returned (wrapped) when a document names a context URL that is not
// embedded in this package. The URL is never fetched.
type UnknownContextError struct {
	URL string
}

func (e *UnknownContextError) Error() string {
	return "jsonld: context " + strconv.Quote(e.URL) + " is not embedded and is never fetched"
}

// ErrNotOneObject is returned (wrapped) by [Processor.Compact] when the input is not a JSON
// object or array, or when it describes several top-level nodes rather than one object.
var ErrNotOneObject = errors.New("jsonld: document is not one object")

// ErrUndefinedTerm is returned (wrapped) by [Processor.Normalize] when a member or type of the
// document is defined by none of its contexts.
var ErrUndefinedTerm = errors.New("jsonld: term defined by no context")

// ErrPanicked is returned (wrapped) by [Processor.Compact] and [Processor.Normalize] when json-gold panicked on the
// document, as it does on some malformed input (an "@type" that is neither a string nor an array
// of strings, beside a keyword-like key); the panic is recovered.
var ErrPanicked = errors.New("jsonld: json-gold panicked on the document")

// Loader is a read-only json-gold document loader over the embedded contexts. It implements
// ld.DocumentLoader, never touches the network or the file system, and is safe for concurrent use:
// each call decodes a fresh copy, so json-gold may change what it gets.
type Loader struct {
	docs map[string][]byte
}

// NewLoader returns a loader over the embedded contexts.
func NewLoader() (*Loader, error) {
	l := &Loader{docs: make(map[string][]byte, len(embedded))}
	for u, name := range embedded {
		b, err := contextFiles.ReadFile("contexts/" + name)
		if err != nil {
			return nil, fmt.Errorf("jsonld: embedded context %s: %w", u, err)
		}
		l.docs[u] = b
	}
	return l, nil
}

// LoadDocument returns the embedded context for u, or an [*UnknownContextError].
func (l *Loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	b, ok := l.docs[u]
	if !ok {
		return nil, &UnknownContextError{URL: u}
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("jsonld: embedded context %s: %w", u, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// Processor compacts documents against the ActivityStreams context and recognises inline
// contexts that change the meaning of ActivityStreams terms. It is safe for concurrent use.
type Processor struct {
	loader *Loader
	// terms maps each term of the ActivityStreams context to the IRI or keyword it stands for;
	// names is the reverse.
	terms map[string]string
	names map[string]string
}

// New returns a Processor over the embedded contexts.
func New() (*Processor, error) {
	l, err := NewLoader()
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]json.RawMessage `json:"@context"`
	}
	if err := json.Unmarshal(l.docs[ActivityStreams], &doc); err != nil {
		return nil, fmt.Errorf("jsonld: ActivityStreams context: %w", err)
	}
	p := &Processor{loader: l, terms: make(map[string]string), names: make(map[string]string)}
	for term, def := range doc.Context {
		if strings.HasPrefix(term, "@") {
			continue
		}
		var d any
		if err := json.Unmarshal(def, &d); err != nil {
			return nil, fmt.Errorf("jsonld: ActivityStreams context term %s: %w", term, err)
		}
		iri := target(d)
		p.terms[term] = iri
		if _, dup := p.names[iri]; !dup {
			p.names[iri] = term
		}
	}
	return p, nil
}

// target is the IRI or keyword a term definition d stands for, with the "as" prefix expanded;
// "" when d names none (null, or an object without @id).
func target(d any) string {
	var s string
	switch d := d.(type) {
	case string:
		s = d
	case map[string]any:
		s, _ = d["@id"].(string)
	}
	if rest, ok := strings.CutPrefix(s, "as:"); ok {
		return asNamespace + rest
	}
	return s
}

// Compact expands the JSON-LD document doc and compacts it against the ActivityStreams and
// security contexts, returning the compacted JSON object. Contexts the document names are taken
// only from the embedded ones (an unknown one gives an error matching *[UnknownContextError]).
// Numbers pass through float64, so integers beyond 2^53 lose precision. A panic in json-gold
// is recovered and reported as an error matching [ErrPanicked].
func (p *Processor) Compact(doc []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("jsonld: compact: %w: %v", ErrPanicked, r)
		}
	}()
	var in any
	if err := json.Unmarshal(doc, &in); err != nil {
		return nil, fmt.Errorf("jsonld: compact: %w", err)
	}
	switch in.(type) {
	case map[string]any, []any:
	default:
		// A string would be taken as a URL to load.
		return nil, fmt.Errorf("jsonld: compact: %w", ErrNotOneObject)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = p.loader
	compacted, err := ld.NewJsonLdProcessor().Compact(in, []any{ActivityStreams, Security}, opts)
	if err != nil {
		return nil, fmt.Errorf("jsonld: compact: %w", err)
	}
	if _, ok := compacted["@graph"]; ok {
		return nil, fmt.Errorf("jsonld: compact: %w", ErrNotOneObject)
	}
	b, err := json.Marshal(compacted)
	if err != nil {
		return nil, fmt.Errorf("jsonld: compact: %w", err)
	}
	return b, nil
}

// Normalize canonicalizes the JSON-LD document doc with URDNA2015 (RDF Dataset Normalization) and
// returns its N-Quads, as Linked Data Signatures (RsaSignature2017) hash them. A member or type
// that no context defines is an error matching [ErrUndefinedTerm] rather than left out of the
// N-Quads (the ActivityStreams context maps such terms to blank nodes, which the N-Quads drop or
// relabel): a signature over them would not cover it, so whoever relays the document could add or
// change it. Contexts the document names are taken only from the embedded ones (an unknown one
// gives an error matching *[UnknownContextError]). doc is decoded JSON (numbers as float64),
// which json-gold does not change. A panic in json-gold is recovered and reported as an error
// matching [ErrPanicked].
func (p *Processor) Normalize(doc map[string]any) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("jsonld: normalize: %w: %v", ErrPanicked, r)
		}
	}()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = p.loader
	opts.SafeMode = true
	proc := ld.NewJsonLdProcessor()
	expanded, err := proc.Expand(doc, opts)
	if err != nil {
		return nil, fmt.Errorf("jsonld: normalize: %w", err)
	}
	if term := undefinedTerm(expanded); term != "" {
		return nil, fmt.Errorf("jsonld: normalize: %w: %q", ErrUndefinedTerm, strings.TrimPrefix(term, "_:"))
	}
	// The expanded document goes to RDF as it is: the processor's Normalize would expand it again.
	// The options are those json-gold's Normalize gives its own conversion.
	toRDF := ld.NewJsonLdOptions(opts.Base)
	toRDF.ProcessingMode, toRDF.DocumentLoader = opts.ProcessingMode, opts.DocumentLoader
	api := ld.NewJsonLdApi()
	dataset, err := api.ToRDF(expanded, toRDF)
	if err != nil {
		return nil, fmt.Errorf("jsonld: normalize: %w", err)
	}
	opts.Format = "application/n-quads"
	opts.Algorithm = ld.AlgorithmURDNA2015
	nq, err := api.Normalize(dataset, opts)
	if err != nil {
		return nil, fmt.Errorf("jsonld: normalize: %w", err)
	}
	s, ok := nq.(string)
	if !ok {
		return nil, fmt.Errorf("jsonld: normalize: json-gold returned %T, not N-Quads", nq)
	}
	return []byte(s), nil
}

// undefinedTerm returns the first property or type of the expanded JSON-LD v that expanded to a
// blank node ("_:quoteUrl"), which is what a term no context defines becomes under the
// ActivityStreams context's "@vocab": "_:"; "" when there is none.
func undefinedTerm(v any) string {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if t := undefinedTerm(e); t != "" {
				return t
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.HasPrefix(k, "_:") {
				return k
			}
			if k == "@type" {
				if t := blankType(e); t != "" {
					return t
				}
				continue
			}
			if k == "@value" {
				continue // a literal, whatever it looks like
			}
			if t := undefinedTerm(e); t != "" {
				return t
			}
		}
	}
	return ""
}

// blankType returns the first of the expanded @type values v that is a blank node, or "".
func blankType(v any) string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for _, t := range list {
		if s, _ := t.(string); strings.HasPrefix(s, "_:") {
			return s
		}
	}
	return ""
}

// Redefines reports whether the value of an @context member, raw, has an inline context that gives
// an ActivityStreams term another meaning ("actor": "http://example.com/other"), gives an
// ActivityStreams IRI, the ActivityStreams namespace or the @id and @type keywords another name
// ("acteur": "as:actor", "activity": "https://www.w3.org/ns/activitystreams#", "identifier": "@id"),
// or rebinds the "as" prefix. A document whose context does any of these
// cannot be read by its ActivityStreams term names and must be compacted first. Context URLs and
// inline terms that add new names (Mastodon's "toot", Misskey's "_misskey_content") do not count.
// Malformed JSON counts, so that the caller takes the careful path.
func (p *Processor) Redefines(raw json.RawMessage) bool {
	if bytes.IndexByte(raw, '{') < 0 {
		return false // only URLs: no inline definitions
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return true
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for _, c := range list {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		for term, def := range m {
			if p.redefines(term, def) {
				return true
			}
		}
	}
	return false
}

// redefines reports whether the inline definition of term, def, changes what an ActivityStreams
// term or IRI is called or means.
func (p *Processor) redefines(term string, def any) bool {
	if strings.HasPrefix(term, "@") {
		return false // @vocab, @language, @version: terms the AS context defines keep their meaning
	}
	if term == "as" {
		s, _ := def.(string)
		return s != asNamespace
	}
	iri := target(def)
	if want, ok := p.terms[term]; ok {
		return iri != want
	}
	if _, ok := p.names[iri]; ok {
		return true
	}
	local, ok := strings.CutPrefix(iri, asNamespace)
	return ok && local != term
}
