package vocab

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/fedsite/fedsite/internal/jsonstr"
)

// MarshalJSON encodes the object: "@context", "id" and "type" first, then every other set field in
// a fixed order, then the Extra members sorted by name. A field at its zero value is left out, and
// an Extra entry named like a field is written only when that field is unset. It fails only when
// Context cannot be marshalled or an Extra entry is not valid JSON.
//
// MarshalJSON leaves <, > and & unescaped in strings, keeping HTML content readable; json.Marshal
// escapes them when it embeds the result, which changes bytes but not the document. It has a value
// receiver so that json.Marshal encodes Object values as well as pointers.
func (o Object) MarshalJSON() ([]byte, error) {
	return appendObject(make([]byte, 0, 1024), &o)
}

// MarshalJSON encodes the endpoints object.
func (e Endpoints) MarshalJSON() ([]byte, error) {
	w := writer{b: []byte{'{'}, extra: e.Extra}
	w.iri("sharedInbox", e.SharedInbox)
	w.rest(isEndpointsKey)
	return w.close()
}

// MarshalJSON encodes the key object.
func (k PublicKey) MarshalJSON() ([]byte, error) {
	w := writer{b: []byte{'{'}, extra: k.Extra}
	k.write(&w)
	return w.close()
}

func (k *PublicKey) write(w *writer) {
	saved := w.extra
	w.extra = k.Extra
	w.iri("id", k.ID)
	w.iri("owner", k.Owner)
	w.str("publicKeyPem", k.PublicKeyPem)
	w.rest(isPublicKeyKey)
	w.extra = saved
}

func isEndpointsKey(k string) bool { return k == "sharedInbox" }

func isPublicKeyKey(k string) bool { return k == "id" || k == "owner" || k == "publicKeyPem" }

func appendObject(b []byte, o *Object) ([]byte, error) {
	w := writer{b: append(b, '{'), extra: o.Extra}
	if o.Context != nil {
		w.key("@context")
		if raw, ok := o.Context.(json.RawMessage); ok {
			w.raw(raw)
		} else if c, err := json.Marshal(o.Context); err != nil {
			w.fail(fmt.Errorf("@context: %w", err))
		} else {
			w.b = append(w.b, c...)
		}
	} else {
		w.fromExtra("@context")
	}
	w.str("id", o.ID)
	if o.Type != nil {
		w.key("type")
		w.b = appendTypes(w.b, o.Type)
	} else {
		w.fromExtra("type")
	}
	w.ref("actor", o.Actor)
	w.ref("object", o.Object)
	w.ref("target", o.Target)
	w.ref("origin", o.Origin)
	w.ref("inReplyTo", o.InReplyTo)
	w.refs("attributedTo", o.AttributedTo)
	w.refs("to", o.To)
	w.refs("cc", o.Cc)
	w.refs("bto", o.Bto)
	w.refs("bcc", o.Bcc)
	w.refs("audience", o.Audience)
	w.str("name", o.Name)
	w.langMap("nameMap", o.NameMap)
	w.str("summary", o.Summary)
	w.langMap("summaryMap", o.SummaryMap)
	w.str("content", o.Content)
	w.langMap("contentMap", o.ContentMap)
	w.str("mediaType", o.MediaType)
	w.refs("url", o.URL)
	w.str("href", o.Href)
	w.refs("icon", o.Icon)
	w.refs("image", o.Image)
	w.refs("tag", o.Tag)
	w.refs("attachment", o.Attachment)
	w.time("published", o.Published)
	w.time("updated", o.Updated)
	w.boolean("sensitive", o.Sensitive)
	w.str("preferredUsername", o.PreferredUsername)
	w.iri("inbox", o.Inbox)
	w.iri("outbox", o.Outbox)
	w.iri("followers", o.Followers)
	w.iri("following", o.Following)
	w.iri("featured", o.Featured)
	if o.Endpoints != nil {
		w.key("endpoints")
		e, err := o.Endpoints.MarshalJSON()
		if err != nil {
			w.fail(fmt.Errorf("endpoints: %w", err))
		}
		w.b = append(w.b, e...)
	} else {
		w.fromExtra("endpoints")
	}
	w.iri("sharedInbox", o.SharedInbox)
	w.publicKeys(o.PublicKey)
	w.boolean("manuallyApprovesFollowers", o.ManuallyApprovesFollowers)
	w.boolPtr("discoverable", o.Discoverable)
	w.boolPtr("indexable", o.Indexable)
	if o.TotalItems != nil {
		w.key("totalItems")
		w.b = strconv.AppendInt(w.b, int64(*o.TotalItems), 10)
	} else {
		w.fromExtra("totalItems")
	}
	w.ref("first", o.First)
	w.ref("last", o.Last)
	w.ref("next", o.Next)
	w.ref("prev", o.Prev)
	w.ref("partOf", o.PartOf)
	w.refs("items", o.Items)
	w.refs("orderedItems", o.OrderedItems)
	w.iri("owner", o.Owner)
	w.str("publicKeyPem", o.PublicKeyPem)
	w.rest(isObjectKey)
	return w.close()
}

// isObjectKey reports whether k names a field of Object; it must list exactly the keys set handles.
func isObjectKey(k string) bool {
	var o Object
	known, _ := o.set(k, []byte("null"))
	return known
}

// writer appends one JSON object's members. The first error sticks and is returned by close.
type writer struct {
	b     []byte
	n     int
	extra map[string]json.RawMessage
	err   error
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = jsonstr.Append(w.b, k, jsonstr.Script)
	w.b = append(w.b, ':')
}

func (w *writer) raw(v json.RawMessage) {
	if !json.Valid(v) {
		w.fail(fmt.Errorf("vocab: encode: invalid raw JSON %.40q", v))
		w.b = append(w.b, "null"...)
		return
	}
	w.b = compact(w.b, v)
}

// fromExtra writes the Extra entry named k, used when the field of that name is unset.
func (w *writer) fromExtra(k string) {
	if v, ok := w.extra[k]; ok {
		w.key(k)
		w.raw(v)
	}
}

// rest writes the Extra entries that known does not claim, sorted by name.
func (w *writer) rest(known func(string) bool) {
	keys := make([]string, 0, len(w.extra))
	for k := range w.extra {
		if !known(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.key(k)
		w.raw(w.extra[k])
	}
}

func (w *writer) close() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return append(w.b, '}'), nil
}

func (w *writer) str(k, v string) {
	if v == "" {
		w.fromExtra(k)
		return
	}
	w.key(k)
	w.b = jsonstr.Append(w.b, v, jsonstr.Script)
}

// iri writes an IRI-valued property; it is a string on the wire whatever shape it was decoded from.
func (w *writer) iri(k, v string) { w.str(k, v) }

func (w *writer) boolean(k string, v bool) {
	if !v {
		w.fromExtra(k)
		return
	}
	w.key(k)
	w.b = append(w.b, "true"...)
}

func (w *writer) boolPtr(k string, v *bool) {
	if v == nil {
		w.fromExtra(k)
		return
	}
	w.key(k)
	w.b = strconv.AppendBool(w.b, *v)
}

func (w *writer) time(k string, t time.Time) {
	if t.IsZero() {
		w.fromExtra(k)
		return
	}
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

func (w *writer) ref(k string, r Ref) {
	if r.IsZero() {
		w.fromExtra(k)
		return
	}
	w.key(k)
	b, err := appendRef(w.b, r)
	if err != nil {
		w.fail(err)
		return
	}
	w.b = b
}

func (w *writer) refs(k string, r Refs) {
	if r == nil {
		w.fromExtra(k)
		return
	}
	w.key(k)
	b, err := appendRefs(w.b, r)
	if err != nil {
		w.fail(err)
		return
	}
	w.b = b
}

func (w *writer) langMap(k string, m map[string]string) {
	if m == nil {
		w.fromExtra(k)
		return
	}
	w.key(k)
	keys := make([]string, 0, len(m))
	for lang := range m {
		keys = append(keys, lang)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, lang := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = jsonstr.Append(w.b, lang, jsonstr.Script)
		w.b = append(w.b, ':')
		w.b = jsonstr.Append(w.b, m[lang], jsonstr.Script)
	}
	w.b = append(w.b, '}')
}

// publicKeys writes one key as an object, which every server reads, and several as an array.
func (w *writer) publicKeys(keys []PublicKey) {
	if keys == nil {
		w.fromExtra("publicKey")
		return
	}
	w.key("publicKey")
	if len(keys) == 1 {
		w.publicKey(&keys[0])
		return
	}
	w.b = append(w.b, '[')
	for i := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.publicKey(&keys[i])
	}
	w.b = append(w.b, ']')
}

func (w *writer) publicKey(k *PublicKey) {
	sub := writer{b: append(w.b, '{'), extra: k.Extra}
	k.write(&sub)
	if sub.err != nil {
		w.fail(sub.err)
	}
	w.b = append(sub.b, '}')
}
