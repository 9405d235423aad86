package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Names of FEP-8b32 object integrity proofs (W3C Data Integrity, cryptosuite
// eddsa-jcs-2022).
const (
	// ProofType is the type of a Data Integrity proof.
	ProofType = "DataIntegrityProof"
	// ProofCryptosuite is the only cryptosuite made and verified here:
	// Ed25519 over the JCS (RFC 8785) forms of the document and the proof.
	ProofCryptosuite = "eddsa-jcs-2022"
	// ProofPurposeAssertion is the proofPurpose of a proof that its
	// controller asserts the document, the only purpose accepted.
	ProofPurposeAssertion = "assertionMethod"
	// ContextDataIntegrity is the JSON-LD context that defines "proof" and
	// its members. A document signed with [AddProof] should name it in its
	// @context, so that JSON-LD processors (Fedify) see the proof.
	ContextDataIntegrity = "https://w3id.org/security/data-integrity/v1"
)

// proofValueSize is the size of an Ed25519 signature, the decoded
// proofValue.
const proofValueSize = ed25519.SignatureSize

// ProofOptions are what [AddProof] puts in a proof besides the key.
type ProofOptions struct {
	// Created is when the proof was made; it is written in seconds, UTC.
	// Required.
	Created time.Time
	// Expires is when the proof stops being valid. Default (zero): never.
	Expires time.Time
	// Domain restricts the proof to a security domain, such as the host of
	// the only server meant to accept it. Default (""): none.
	Domain string
}

// proofFields is a proof as AddProof writes it, in the order of the FEP-8b32
// examples; without ProofValue it is the proof configuration.
type proofFields struct {
	Type               string `json:"type"`
	Cryptosuite        string `json:"cryptosuite"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	Created            string `json:"created"`
	Expires            string `json:"expires,omitempty"`
	Domain             string `json:"domain,omitempty"`
	ProofValue         string `json:"proofValue,omitempty"`
}

// AddProof returns doc, a JSON object without a "proof" member, with an
// FEP-8b32 proof added as its last member: a DataIntegrityProof of
// cryptosuite eddsa-jcs-2022 and purpose assertionMethod, whose
// verificationMethod is key.ID. key.Signer must hold an Ed25519 key (else an
// error matching [ErrUnsupportedKey]); key.ID should name the actor's
// FEP-521a [Multikey] or be a did:key URL.
//
// The signature covers the SHA-256 of the proof configuration (the proof
// without proofValue, with the document's @context) and the SHA-256 of the
// document, both in their JCS form, as the W3C eddsa-jcs-2022 cryptosuite
// and Fedify do. The proof carries no @context of its own, as Fedify's and
// Mitra's do not. The rest of doc is returned byte for byte.
func AddProof(doc []byte, key Key, opts ProofOptions) ([]byte, error) {
	if key.Signer == nil || key.ID == "" {
		return nil, errors.New("signing: add proof: key id and signer are required")
	}
	if _, ok := key.Signer.Public().(ed25519.PublicKey); !ok {
		return nil, fmt.Errorf("signing: add proof: %T: %w", key.Signer.Public(), ErrUnsupportedKey)
	}
	if opts.Created.IsZero() {
		return nil, errors.New("signing: add proof: Created is required")
	}
	v, err := parseJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("signing: add proof: the document is not a JSON object")
	}
	if _, ok := obj["proof"]; ok {
		return nil, errors.New("signing: add proof: the document has a proof already")
	}
	p := proofFields{
		Type:               ProofType,
		Cryptosuite:        ProofCryptosuite,
		VerificationMethod: key.ID,
		ProofPurpose:       ProofPurposeAssertion,
		Created:            formatProofTime(opts.Created),
		Domain:             opts.Domain,
	}
	if !opts.Expires.IsZero() {
		p.Expires = formatProofTime(opts.Expires)
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	var config map[string]any
	if err := json.Unmarshal(pj, &config); err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	if c, ok := obj["@context"]; ok {
		config["@context"] = c
	}
	hashes, err := proofHashes(config, obj)
	if err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	sig, err := key.Signer.Sign(rand.Reader, hashes[0], crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	p.ProofValue = "z" + base58Encode(sig)
	if pj, err = json.Marshal(p); err != nil {
		return nil, fmt.Errorf("signing: add proof: %w", err)
	}
	// parseJSON accepted doc as one object: it ends with '}' and whitespace.
	body := bytes.TrimRight(doc, " \t\r\n")
	body = body[:len(body)-1]
	sep := ","
	if trimmed := bytes.TrimRight(body, " \t\r\n"); trimmed[len(trimmed)-1] == '{' {
		sep = ""
	}
	out := make([]byte, 0, len(body)+len(sep)+len(`"proof":}`)+len(pj))
	out = append(out, body...)
	out = append(out, sep...)
	out = append(out, `"proof":`...)
	out = append(out, pj...)
	return append(out, '}'), nil
}

// formatProofTime writes t as an XML Schema dateTime in seconds, UTC.
func formatProofTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// parseProofTime reads an XML Schema dateTime; one without a time zone is
// taken as UTC.
func parseProofTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}

// proofHashes returns, for each of docs, SHA-256(JCS(config)) followed by
// SHA-256(JCS(doc)): the data an eddsa-jcs-2022 proof of it signs.
func proofHashes(config map[string]any, docs ...map[string]any) ([][]byte, error) {
	c, err := appendCanonical(nil, config)
	if err != nil {
		return nil, err
	}
	ch := sha256.Sum256(c)
	hashes := make([][]byte, len(docs))
	for i, doc := range docs {
		d, err := appendCanonical(nil, doc)
		if err != nil {
			return nil, err
		}
		dh := sha256.Sum256(d)
		hashes[i] = append(ch[:len(ch):len(ch)], dh[:]...)
	}
	return hashes, nil
}

// ProofVerifierConfig configures [NewProofVerifier].
type ProofVerifierConfig struct {
	// Keys resolves https verification methods, such as an actor's
	// FEP-521a Multikey, to the key and the actor that controls it
	// ([Resolver] reads assertionMethod). did:key verification methods are
	// decoded locally, never resolved. Required.
	Keys KeyResolver
	// Domains are the security domains this verifier accepts: a proof that
	// names a domain must name one of them, a proof without one is accepted
	// everywhere. Default (nil): proofs that name a domain are refused.
	Domains []string
	// Now tells the time for created and expires.
	// Default (nil): time.Now.
	Now func() time.Time
}

// ProofVerifier checks FEP-8b32 object integrity proofs of cryptosuite
// eddsa-jcs-2022. It is safe for concurrent use.
type ProofVerifier struct {
	keys    KeyResolver
	domains []string
	now     func() time.Time
}

// NewProofVerifier returns a ProofVerifier. It fails if cfg.Keys is nil.
func NewProofVerifier(cfg ProofVerifierConfig) (*ProofVerifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("signing: ProofVerifierConfig.Keys is required")
	}
	v := &ProofVerifier{keys: cfg.Keys, domains: slices.Clone(cfg.Domains), now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// VerifiedProof is what a verified proof tells.
type VerifiedProof struct {
	// VerificationMethod is the proof's verificationMethod, the key id.
	VerificationMethod string
	// Controller is who controls the key: the actor whose document lists it,
	// as the [KeyResolver] confirmed, or for a did:key the DID itself.
	// Whether that is who the document says made it is the caller's check.
	Controller string
	// Created is the proof's creation time.
	Created time.Time
	// OwnerDocument is the controller's actor document when the resolver
	// fetched it to confirm the key (see [PublicKey].OwnerDocument), else
	// nil.
	OwnerDocument []byte
}

// Verify checks the proof of doc, a JSON object with a "proof" member that is
// one DataIntegrityProof (or an array of exactly one). It accepts
// cryptosuite eddsa-jcs-2022 with proofPurpose assertionMethod and an
// Ed25519 key; created is required and may not lie more than [ClockSkew]
// ahead; an expires in the past refuses the proof; a domain must be one of
// [ProofVerifierConfig].Domains. A proof with its own @context (the W3C
// recommendation) must name a prefix of the document's, which then replaces
// the document's in the hash; a proof without one (Fedify, Mitra) is hashed
// with the document's @context, as it was signed. A Linked Data signature
// ("signature", RsaSignature2017) that Fedify or Mastodon added over the
// proof is not part of what the proof signed: the document is checked
// without it first, then with it.
//
// Errors are *[VerifyError] matching [ErrNoProof] (no proof member),
// [ErrProofExpired], [ErrKeyUnavailable] (the https verification method
// could not be resolved) or [ErrInvalidProof] (everything else, including a
// signature that does not verify). When the signature fails with a cached
// key, the key is resolved once more with refresh set, so that a rotated key
// is picked up.
func (v *ProofVerifier) Verify(ctx context.Context, doc []byte) (*VerifiedProof, error) {
	tree, err := parseJSON(doc)
	if err != nil {
		return nil, errProof("", ErrInvalidProof, "malformed document", err)
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return nil, errProof("", ErrInvalidProof, "the document is not a JSON object", nil)
	}
	raw, ok := obj["proof"]
	if !ok {
		return nil, errProof("", ErrNoProof, "", nil)
	}
	if set, ok := raw.([]any); ok {
		if len(set) != 1 {
			return nil, errProof("", ErrInvalidProof, fmt.Sprintf("a set of %d proofs is not supported", len(set)), nil)
		}
		raw = set[0]
	}
	proof, ok := raw.(map[string]any)
	if !ok {
		return nil, errProof("", ErrInvalidProof, "proof is not an object", nil)
	}
	p, err := v.checkProof(proof)
	if err != nil {
		return nil, err
	}
	unsecured := maps.Clone(obj)
	delete(unsecured, "proof")
	config := maps.Clone(proof)
	delete(config, "proofValue")
	docContext, hasDocContext := obj["@context"]
	if proofContext, ok := proof["@context"]; ok {
		if !hasDocContext || !contextStartsWith(docContext, proofContext) {
			return nil, errProof(p.vm, ErrInvalidProof, "the proof's @context does not start the document's", nil)
		}
		unsecured["@context"] = proofContext
	} else if hasDocContext {
		config["@context"] = docContext
	}
	// A Linked Data signature (a "signature" object with a signatureValue) that Fedify or
	// Mastodon added over the proof was not signed by it: try the document without it first.
	docs := []map[string]any{unsecured}
	if sig, ok := unsecured["signature"].(map[string]any); ok && sig["signatureValue"] != nil {
		outer := maps.Clone(unsecured)
		delete(outer, "signature")
		docs = []map[string]any{outer, unsecured}
	}
	hashes, err := proofHashes(config, docs...)
	if err != nil {
		return nil, errProof(p.vm, ErrInvalidProof, "cannot canonicalize", err)
	}
	pk, err := v.checkSignature(ctx, p.vm, func(key crypto.PublicKey) error {
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%T: %w", key, ErrUnsupportedKey)
		}
		if !slices.ContainsFunc(hashes, func(h []byte) bool { return ed25519.Verify(pub, h, p.sig) }) {
			return errors.New("signature does not verify")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &VerifiedProof{VerificationMethod: p.vm, Controller: pk.Owner, Created: p.created, OwnerDocument: pk.OwnerDocument}, nil
}

// checkedProof is what checkProof read of a proof.
type checkedProof struct {
	vm      string
	created time.Time
	sig     []byte
}

// checkProof checks a proof's members, but not its signature.
func (v *ProofVerifier) checkProof(proof map[string]any) (checkedProof, error) {
	var p checkedProof
	str := func(name string) (string, error) {
		s, ok := proof[name].(string)
		if !ok && proof[name] != nil {
			return "", errProof(p.vm, ErrInvalidProof, name+" is not a string", nil)
		}
		return s, nil
	}
	var fields [6]string
	for i, name := range []string{"verificationMethod", "type", "cryptosuite", "proofPurpose", "created", "proofValue"} {
		s, err := str(name)
		if err != nil {
			return p, err
		}
		if s == "" {
			return p, errProof(p.vm, ErrInvalidProof, name+" is missing", nil)
		}
		fields[i] = s
	}
	p.vm = fields[0]
	switch {
	case fields[1] != ProofType:
		return p, errProof(p.vm, ErrInvalidProof, fmt.Sprintf("type %q is not %s", fields[1], ProofType), nil)
	case fields[2] != ProofCryptosuite:
		return p, errProof(p.vm, ErrInvalidProof, fmt.Sprintf("cryptosuite %q is not supported", fields[2]), nil)
	case fields[3] != ProofPurposeAssertion:
		return p, errProof(p.vm, ErrInvalidProof, fmt.Sprintf("proofPurpose %q is not %s", fields[3], ProofPurposeAssertion), nil)
	}
	now := v.now()
	created, err := parseProofTime(fields[4])
	if err != nil {
		return p, errProof(p.vm, ErrInvalidProof, "created is not a date-time", err)
	}
	if created.After(now.Add(ClockSkew)) {
		return p, errProof(p.vm, ErrInvalidProof, "created is in the future", nil)
	}
	p.created = created
	expiresRaw, err := str("expires")
	if err != nil {
		return p, err
	}
	if expiresRaw != "" {
		expires, err := parseProofTime(expiresRaw)
		if err != nil {
			return p, errProof(p.vm, ErrInvalidProof, "expires is not a date-time", err)
		}
		if !now.Before(expires) {
			return p, errProof(p.vm, ErrProofExpired, "expired at "+expires.UTC().Format(time.RFC3339), nil)
		}
	}
	if err := v.checkDomain(p.vm, proof["domain"]); err != nil {
		return p, err
	}
	sig := fields[5]
	if sig[0] != 'z' || len(sig) > 2*proofValueSize {
		return p, errProof(p.vm, ErrInvalidProof, "proofValue is not a base58btc (z…) signature", nil)
	}
	if p.sig, err = base58Decode(sig[1:]); err != nil || len(p.sig) != proofValueSize {
		return p, errProof(p.vm, ErrInvalidProof, "proofValue is not a base58btc Ed25519 signature", err)
	}
	return p, nil
}

// checkDomain checks a proof's domain, a string or an array of strings,
// absent or naming one of the accepted domains.
func (v *ProofVerifier) checkDomain(vm string, domain any) error {
	var names []string
	switch d := domain.(type) {
	case nil:
		return nil
	case string:
		names = []string{d}
	case []any:
		for _, e := range d {
			s, ok := e.(string)
			if !ok {
				return errProof(vm, ErrInvalidProof, "domain is not a string", nil)
			}
			names = append(names, s)
		}
	default:
		return errProof(vm, ErrInvalidProof, "domain is not a string", nil)
	}
	for _, n := range names {
		if slices.Contains(v.domains, n) {
			return nil
		}
	}
	return errProof(vm, ErrInvalidProof, fmt.Sprintf("domain %q is not this server's", strings.Join(names, " ")), nil)
}

// contextStartsWith reports whether the document's @context starts with the
// values of the proof's, in order, compared in their JCS forms.
func contextStartsWith(doc, proof any) bool {
	list := func(c any) []any {
		if l, ok := c.([]any); ok {
			return l
		}
		return []any{c}
	}
	d, p := list(doc), list(proof)
	if len(p) > len(d) {
		return false
	}
	for i := range p {
		a, errA := appendCanonical(nil, p[i])
		b, errB := appendCanonical(nil, d[i])
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// checkSignature resolves a verification method and runs check with its key: a did:key locally,
// anything else through the KeyResolver, refreshing a cached key once when check fails (see
// resolveAndCheck). check's failure is an ErrInvalidProof.
func (v *ProofVerifier) checkSignature(ctx context.Context, vm string, check func(crypto.PublicKey) error) (*PublicKey, error) {
	var pk *PublicKey
	var failed error
	if strings.HasPrefix(vm, didKeyPrefix) {
		did, pub, err := ParseDIDKey(vm)
		if err != nil {
			return nil, errProof(vm, ErrInvalidProof, "bad did:key", err)
		}
		pk, failed = &PublicKey{ID: vm, Owner: did, Key: pub, Fresh: true}, check(pub)
	} else {
		var err error
		if pk, failed, err = resolveAndCheck(ctx, v.keys, nil, vm, check); err != nil {
			return nil, err
		}
	}
	switch {
	case failed == nil:
		return pk, nil
	case errors.Is(failed, ErrUnsupportedKey):
		return nil, errProof(vm, ErrInvalidProof, fmt.Sprintf("the verification method is a %T, not an Ed25519 key", pk.Key), nil)
	default:
		return nil, errProof(vm, ErrInvalidProof, "signature does not verify", nil)
	}
}
