package vocab

import "github.com/fedsite/fedsite/internal/jsonstr"

// Ref is a property whose value may be an IRI or an embedded object: an activity's actor and
// object, a Note's inReplyTo, a collection's first page. An embedded Link counts as an object whose
// href is its IRI.
//
// Decoding a string sets IRI. Decoding an object sets Object and sets IRI to the object's id, or to
// its href when it is a Link without an id. null leaves the Ref zero. An array keeps only its first
// element (the ActivityPub properties read through Ref are functional in practice; the others
// are [Refs]). When encoded, a non-nil Object is written in full and IRI is ignored; otherwise IRI
// is written as a string.
type Ref struct {
	// IRI is the id of the referenced object; with Object set it mirrors Object.ID (or Object.Href).
	IRI string
	// Object is the embedded object, or nil when the property was a bare IRI.
	Object *Object
}

// ID returns IRI, or the embedded object's id when IRI is empty.
func (r Ref) ID() string {
	if r.IRI != "" || r.Object == nil {
		return r.IRI
	}
	return r.Object.ID
}

// IsZero reports whether the Ref holds neither an IRI nor an object.
func (r Ref) IsZero() bool { return r.IRI == "" && r.Object == nil }

// MarshalJSON writes the embedded object if there is one, else the IRI as a string (null for a
// zero Ref).
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.IsZero() {
		return []byte("null"), nil
	}
	return appendRef(nil, r)
}

// UnmarshalJSON accepts null, an IRI string, an object or an array (of which the first element is
// kept). Nesting is limited to [MaxDepth].
func (r *Ref) UnmarshalJSON(data []byte) error { return unmarshal(data, r, decRef) }

// Refs is a property that may hold several values, each an IRI or an embedded object: to, cc,
// attributedTo, tag, attachment, icon, url, items. A single value decodes to a one-element Refs.
//
// A nil Refs is absent and is not written; a non-nil Refs is always written as an array, even with
// one element, because some servers read to and cc only as arrays.
type Refs []Ref

// IDs returns the id of every element that has one, in order.
func (r Refs) IDs() []string {
	ids := make([]string, 0, len(r))
	for _, x := range r {
		if id := x.ID(); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Has reports whether an element's id equals iri. When iri names the public collection (see
// [IsPublic]), every spelling of it matches.
func (r Refs) Has(iri string) bool {
	public := IsPublic(iri)
	for _, x := range r {
		id := x.ID()
		if id == iri || (public && IsPublic(id)) {
			return true
		}
	}
	return false
}

// HasPublic reports whether the public collection is among the elements, however it is spelt.
func (r Refs) HasPublic() bool { return r.Has(PublicIRI) }

// MarshalJSON writes an array (null for a nil Refs).
func (r Refs) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	return appendRefs(nil, r)
}

// UnmarshalJSON accepts null, a string, an object or an array of strings and objects.
// Nesting is limited to [MaxDepth].
func (r *Refs) UnmarshalJSON(data []byte) error { return unmarshal(data, r, decRefs) }

func decRef(v []byte) (Ref, error) {
	switch v[0] {
	case 'n':
		return Ref{}, nil
	case '"':
		return Ref{IRI: unquote(v)}, nil
	case '{':
		return refTo(decObject(v)), nil
	case '[':
		f := firstElement(v)
		if f == nil || f[0] == 'n' {
			return Ref{}, nil
		}
		if f[0] != '"' && f[0] != '{' {
			return Ref{}, errShape
		}
		return decRef(f)
	}
	return Ref{}, errShape
}

func refTo(o *Object) Ref {
	iri := o.ID
	if iri == "" {
		iri = o.Href
	}
	return Ref{IRI: iri, Object: o}
}

func decRefs(v []byte) (Refs, error) {
	switch v[0] {
	case 'n':
		return nil, nil
	case '"', '{':
		r, err := decRef(v)
		return Refs{r}, err
	case '[':
		r := Refs{}
		err := eachElement(v, func(e []byte) error {
			if e[0] != '"' && e[0] != '{' {
				return errShape
			}
			x, err := decRef(e)
			r = append(r, x)
			return err
		})
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, errShape
}

func appendRef(b []byte, r Ref) ([]byte, error) {
	if r.Object != nil {
		return appendObject(b, r.Object)
	}
	return jsonstr.Append(b, r.IRI, jsonstr.Script), nil
}

func appendRefs(b []byte, r Refs) ([]byte, error) {
	b = append(b, '[')
	for i, x := range r {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendRef(b, x); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}
