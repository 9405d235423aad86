package signing

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"
)

// Algorithm names of RFC 9421 signatures (RFC 9421 §3.3 and the HTTP
// Signature Algorithms registry).
const (
	// AlgorithmRSAv15SHA256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 9421
	// §3.3.2), what Mastodon uses with RSA keys and what [SignRFC9421] makes
	// with them.
	AlgorithmRSAv15SHA256 = "rsa-v1_5-sha256"
	// AlgorithmRSAPSSSHA512 is RSASSA-PSS with SHA-512 (RFC 9421 §3.3.1). It
	// is verified only when a signature names it in alg.
	AlgorithmRSAPSSSHA512 = "rsa-pss-sha512"
	// AlgorithmEd25519 is EdDSA over Ed25519 (RFC 9421 §3.3.6), used with
	// FEP-521a Multikey keys.
	AlgorithmEd25519 = "ed25519"
)

// RFC9421Label is the label [SignRFC9421] gives its signature, as Mastodon and
// Fedify do.
const RFC9421Label = "sig1"

// maxSignatureInput caps the combined size of the Signature-Input and
// Signature fields read by the RFC 9421 verifier.
const maxSignatureInput = 16 << 10

// errSeveralSignatures is returned by parseRFC9421 when the fields carry more
// than one signature.
var errSeveralSignatures = errors.New("several signatures")

// errAlgKeyMismatch means the alg parameter names an algorithm for another
// key type.
var errAlgKeyMismatch = errors.New("alg does not match the key type")

// sigInput is one parsed RFC 9421 signature: its Signature-Input member and
// the matching Signature bytes.
type sigInput struct {
	label      string
	components []string // component identifiers, in order
	created    int64
	hasCreated bool
	expires    int64
	hasExpires bool
	keyID      string
	alg        string // "" when absent
	params     string // the serialized @signature-params value
	signature  []byte
}

// covers reports whether component c is covered.
func (s *sigInput) covers(c string) bool { return slices.Contains(s.components, c) }

// parseRFC9421 parses the Signature-Input and Signature fields (every field
// line of each, RFC 8941 dictionaries). Exactly one signature is accepted,
// as Mastodon does: a Signature-Input or Signature with several members
// yields errSeveralSignatures. Component identifiers must be lower-case
// strings without parameters (;sf, ;key, ;bs, ;req, ;name and ;tr are
// refused) and must not repeat (RFC 9421 §2.5). The created and expires
// parameters must be non-negative integers, keyid and alg strings; other
// parameters (nonce, tag, …) are ignored.
func parseRFC9421(inputs, sigs []string) (*sigInput, error) {
	n := 0
	for _, v := range inputs {
		n += len(v)
	}
	for _, v := range sigs {
		n += len(v)
	}
	if n > maxSignatureInput {
		return nil, errors.New("signature fields too long")
	}
	in, err := httpsfv.UnmarshalDictionary(inputs)
	if err != nil {
		return nil, fmt.Errorf("parse Signature-Input: %w", err)
	}
	names := in.Names()
	switch {
	case len(names) == 0:
		return nil, errors.New("empty Signature-Input")
	case len(names) > 1:
		return nil, errSeveralSignatures
	}
	si := &sigInput{label: names[0]}
	m, _ := in.Get(si.label)
	il, ok := m.(httpsfv.InnerList)
	if !ok {
		return nil, fmt.Errorf("member %s of Signature-Input: not an inner list", si.label)
	}
	for _, it := range il.Items {
		c, ok := it.Value.(string)
		if !ok {
			return nil, fmt.Errorf("member %s of Signature-Input: component identifier is not a string", si.label)
		}
		if it.Params != nil && len(it.Params.Names()) > 0 {
			return nil, fmt.Errorf("member %s of Signature-Input: component %q: parameters (;%s) are not supported", si.label, c, it.Params.Names()[0])
		}
		if c == "" || c != strings.ToLower(c) {
			return nil, fmt.Errorf("member %s of Signature-Input: component %q is not a lower-case name", si.label, c)
		}
		if slices.Contains(si.components, c) {
			return nil, fmt.Errorf("member %s of Signature-Input: component %q listed twice", si.label, c)
		}
		si.components = append(si.components, c)
	}
	if il.Params != nil {
		for _, name := range il.Params.Names() {
			v, _ := il.Params.Get(name)
			switch name {
			case "created", "expires":
				t, ok := v.(int64)
				if !ok || t < 0 {
					return nil, fmt.Errorf("member %s of Signature-Input: %s is not a non-negative integer", si.label, name)
				}
				if name == "created" {
					si.created, si.hasCreated = t, true
				} else {
					si.expires, si.hasExpires = t, true
				}
			case "keyid", "alg":
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("member %s of Signature-Input: %s is not a string", si.label, name)
				}
				if name == "keyid" {
					si.keyID = s
				} else {
					si.alg = s
				}
			}
		}
	}
	// The @signature-params value is the serialized inner list (RFC 9421
	// §2.3); httpsfv serializes a dictionary, so strip the "label=" prefix.
	d := httpsfv.NewDictionary()
	d.Add(si.label, il)
	ser, err := httpsfv.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("member %s of Signature-Input: %w", si.label, err)
	}
	si.params = strings.TrimPrefix(ser, si.label+"=")

	sd, err := httpsfv.UnmarshalDictionary(sigs)
	if err != nil {
		return nil, fmt.Errorf("parse Signature: %w", err)
	}
	if len(sd.Names()) > 1 {
		return nil, errSeveralSignatures
	}
	sm, ok := sd.Get(si.label)
	if !ok {
		return nil, fmt.Errorf("no Signature member %q", si.label)
	}
	item, ok := sm.(httpsfv.Item)
	if !ok {
		return nil, fmt.Errorf("member %s of Signature: not a byte sequence", si.label)
	}
	si.signature, ok = item.Value.([]byte)
	if !ok || len(si.signature) == 0 {
		return nil, fmt.Errorf("member %s of Signature: not a byte sequence", si.label)
	}
	return si, nil
}

// signatureBase builds the RFC 9421 §2.5 signature base of r for si, with
// scheme ("https" or "http") as the scheme of the target URI.
func signatureBase(r *http.Request, scheme string, si *sigInput) (string, error) {
	var b strings.Builder
	for _, c := range si.components {
		v, err := componentValue(r, scheme, c)
		if err != nil {
			return "", err
		}
		b.WriteByte('"')
		b.WriteString(c)
		b.WriteString(`": `)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(si.params)
	return b.String(), nil
}

// componentValue returns the value of one component (RFC 9421 §2.1, §2.2).
func componentValue(r *http.Request, scheme, c string) (string, error) {
	switch c {
	case "@method":
		return r.Method, nil
	case "@target-uri":
		return scheme + "://" + authority(r, scheme) + requestTarget(r.URL, true), nil
	case "@authority":
		return authority(r, scheme), nil
	case "@scheme":
		return scheme, nil
	case "@request-target":
		return requestTarget(r.URL, true), nil
	case "@path":
		return requestTarget(r.URL, false), nil
	case "@query":
		return "?" + r.URL.RawQuery, nil
	}
	if strings.HasPrefix(c, "@") {
		return "", fmt.Errorf("derived component %q is not supported", c)
	}
	for i := 0; i < len(c); i++ {
		if !isTchar(c[i]) {
			return "", fmt.Errorf("component %q is not a field name", c)
		}
	}
	v, ok := headerValue(r, c)
	if !ok {
		return "", fmt.Errorf("covered field %q missing", c)
	}
	if strings.ContainsAny(v, "\r\n") {
		return "", fmt.Errorf("covered field %q contains a line break", c)
	}
	return v, nil
}

// authority returns the lower-cased host of r (r.Host, else r.URL.Host)
// without the default port of scheme (RFC 9421 §2.2.3).
func authority(r *http.Request, scheme string) string {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	h = strings.ToLower(h)
	switch {
	case scheme == "https" && strings.HasSuffix(h, ":443"):
		h = strings.TrimSuffix(h, ":443")
	case scheme == "http" && strings.HasSuffix(h, ":80"):
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// verifyBase checks sig over base with key, using alg, or the algorithm the
// key implies when alg is empty: rsa-v1_5-sha256 for RSA keys, ed25519 for
// Ed25519 keys. A known alg for another key type yields errAlgKeyMismatch.
func verifyBase(key crypto.PublicKey, alg, base string, sig []byte) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "", AlgorithmRSAv15SHA256:
			sum := sha256.Sum256([]byte(base))
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig)
		case AlgorithmRSAPSSSHA512:
			sum := sha512.Sum512([]byte(base))
			return rsa.VerifyPSS(k, crypto.SHA512, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		return errAlgKeyMismatch
	case ed25519.PublicKey:
		if alg != "" && alg != AlgorithmEd25519 {
			return errAlgKeyMismatch
		}
		if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, []byte(base), sig) {
			return errors.New("ed25519: verification error")
		}
		return nil
	default:
		return fmt.Errorf("%T: %w", key, ErrUnsupportedKey)
	}
}

// knownAlg reports whether alg is empty or an algorithm verifyBase handles.
func knownAlg(alg string) bool {
	switch alg {
	case "", AlgorithmRSAv15SHA256, AlgorithmRSAPSSSHA512, AlgorithmEd25519:
		return true
	}
	return false
}

// keyAlgorithm returns the algorithm verifyBase uses for key and alg.
func keyAlgorithm(key crypto.PublicKey, alg string) string {
	if alg != "" {
		return alg
	}
	if _, ok := key.(ed25519.PublicKey); ok {
		return AlgorithmEd25519
	}
	return AlgorithmRSAv15SHA256
}

// checkContentDigest returns "" if the Content-Digest field values (RFC 9530
// §2, an RFC 8941 dictionary of byte sequences) hold at least one sha-256 or
// sha-512 entry and every such entry matches body; otherwise a reason. Other
// algorithms are ignored.
func checkContentDigest(values []string, body []byte) string {
	if len(values) == 0 {
		return "content-digest header missing"
	}
	d, err := httpsfv.UnmarshalDictionary(values)
	if err != nil {
		return "content-digest malformed"
	}
	found := false
	for _, name := range d.Names() {
		var sum []byte
		switch name {
		case "sha-256":
			s := sha256.Sum256(body)
			sum = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			sum = s[:]
		default:
			continue
		}
		m, _ := d.Get(name)
		it, ok := m.(httpsfv.Item)
		if !ok {
			return "content-digest malformed"
		}
		got, ok := it.Value.([]byte)
		if !ok {
			return "content-digest malformed"
		}
		found = true
		if subtle.ConstantTimeCompare(got, sum) != 1 {
			return "content-digest mismatch"
		}
	}
	if !found {
		return "no sha-256 or sha-512 content-digest"
	}
	return ""
}

// SignRFC9421 adds an RFC 9421 HTTP message signature to r, made with key at
// time now, the way Mastodon makes its second knock (INTEROP.md §1.3):
//
//   - r.Host is set to the host the request goes to (r.Host, else
//     r.URL.Host), and the same value is put in the Host header entry, as
//     [Sign] does.
//   - When r is a POST or body is not empty, Content-Digest is set to
//     "sha-256=:<base64 of SHA-256(body)>:" (RFC 9530) and the signature
//     covers ("@method" "@target-uri" "content-digest"); otherwise it covers
//     ("@method" "@target-uri").
//   - Signature-Input is sig1=(…);created=<now>;keyid="<key.ID>", without
//     alg (the verifier infers it from the key) or expires; Signature is
//     sig1=:<base64>:.
//
// @target-uri uses r.URL.Scheme, "https" when empty. key.Signer may hold an
// RSA key (rsa-v1_5-sha256) or an Ed25519 key (ed25519); with Ed25519, key.ID
// must name a key the actor publishes in assertionMethod ([Multikey]).
// body must be the exact bytes that will be sent; SignRFC9421 does not read
// r.Body. Any earlier Signature, Signature-Input or Content-Digest header is
// replaced. SignRFC9421 modifies r; [Transport] signs a clone instead.
func SignRFC9421(r *http.Request, key Key, body []byte, now time.Time) error {
	return signRFC9421(r, key, body, nil, now)
}

// signRFC9421 is [SignRFC9421] with the SHA-256 of body given, when sum is not nil, rather than
// computed.
func signRFC9421(r *http.Request, key Key, body []byte, sum *[sha256.Size]byte, now time.Time) error {
	if err := checkKeyRFC9421(key); err != nil {
		return err
	}
	if err := setHost(r, "sign rfc9421"); err != nil {
		return err
	}
	r.Header.Del("Signature")
	r.Header.Del("Signature-Input")
	r.Header.Del("Content-Digest")

	components := []string{"@method", "@target-uri"}
	if r.Method == http.MethodPost || len(body) > 0 {
		d := digest(body, sum)
		r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(d[:])+":")
		components = append(components, "content-digest")
	}
	il := httpsfv.InnerList{Params: httpsfv.NewParams()}
	for _, c := range components {
		il.Items = append(il.Items, httpsfv.NewItem(c))
	}
	il.Params.Add("created", now.Unix())
	il.Params.Add("keyid", key.ID)
	d := httpsfv.NewDictionary()
	d.Add(RFC9421Label, il)
	input, err := httpsfv.Marshal(d)
	if err != nil {
		return fmt.Errorf("signing: sign rfc9421: %w", err)
	}
	si := &sigInput{label: RFC9421Label, components: components, params: strings.TrimPrefix(input, RFC9421Label+"=")}
	scheme := strings.ToLower(r.URL.Scheme)
	if scheme == "" {
		scheme = "https"
	}
	base, err := signatureBase(r, scheme, si)
	if err != nil {
		return fmt.Errorf("signing: sign rfc9421: %w", err)
	}
	var sig []byte
	if _, ok := key.Signer.Public().(ed25519.PublicKey); ok {
		sig, err = key.Signer.Sign(rand.Reader, []byte(base), crypto.Hash(0))
	} else {
		sum := sha256.Sum256([]byte(base))
		sig, err = key.Signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		return fmt.Errorf("signing: sign rfc9421: %w", err)
	}
	r.Header.Set("Signature-Input", input)
	r.Header.Set("Signature", RFC9421Label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}

// checkKeyRFC9421 checks that key can make RFC 9421 signatures: an ID that
// fits an RFC 8941 string and an RSA or Ed25519 signer.
func checkKeyRFC9421(key Key) error {
	if key.ID == "" {
		return errors.New("signing: key has no ID")
	}
	for i := 0; i < len(key.ID); i++ {
		if c := key.ID[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("signing: key ID %q contains a quote, backslash, control or non-ASCII character", key.ID)
		}
	}
	if key.Signer == nil {
		return errors.New("signing: key has no Signer")
	}
	switch key.Signer.Public().(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("signing: key %s: %T: %w", key.ID, key.Signer.Public(), ErrUnsupportedKey)
}
