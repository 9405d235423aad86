package signing

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Time window constants, as in Mastodon's SignatureVerification
// (INTEROP.md §1.3).
const (
	// DefaultExpiry is how long a signature without (expires) stays valid
	// after its creation time.
	DefaultExpiry = 5 * time.Minute
	// MaxExpiry caps (expires) relative to the creation time.
	MaxExpiry = 12 * time.Hour
	// ClockSkew is the tolerance applied on both ends of the window.
	ClockSkew = time.Hour
)

// KeyResolver returns the public key named by a signature's keyId.
//
// When refresh is true the caller has seen a signature fail with the key it
// got before (the remote actor may have rotated its key); the resolver should
// bypass any cache and fetch the key again. Errors are reported by the
// [Verifier] as [ErrKeyUnavailable]. Implementations must be safe for
// concurrent use. [Resolver] is the HTTP implementation.
type KeyResolver interface {
	ResolveKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)
}

// KeyResolverFunc adapts a function to [KeyResolver].
type KeyResolverFunc func(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)

// ResolveKey calls f.
func (f KeyResolverFunc) ResolveKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error) {
	return f(ctx, keyID, refresh)
}

var _ KeyResolver = KeyResolverFunc(nil)

// VerifierConfig configures [NewVerifier].
type VerifierConfig struct {
	// Keys resolves keyIds to public keys. Required.
	Keys KeyResolver
	// Now returns the current time for the time window check.
	// Default (nil): time.Now.
	Now func() time.Time
	// Logger receives Debug records about key refreshes.
	// Default (nil): logs are discarded.
	Logger *slog.Logger
	// URIScheme is the scheme, "https" or "http", of the URL the sender
	// addressed. RFC 9421 signatures cover @target-uri (and maybe @scheme),
	// which the Verifier rebuilds as URIScheme://r.Host + path + query. Set
	// "https" when a TLS-terminating proxy sits in front of the server, the
	// usual deployment: requests then arrive over plain HTTP but were signed
	// for https://…. Forwarded headers (X-Forwarded-Proto, Forwarded) are
	// never read, so the sender cannot choose the scheme; the host is
	// r.Host, so a proxy must pass the original Host through.
	// Default (""): "https" when r.TLS is set, else "http".
	URIScheme string
}

// Verifier checks draft-cavage HTTP signatures on incoming requests. It is
// safe for concurrent use.
type Verifier struct {
	keys   KeyResolver
	now    func() time.Time
	logger *slog.Logger
	scheme string
}

// NewVerifier returns a Verifier. It fails if cfg.Keys is nil or
// cfg.URIScheme is not "", "http" or "https".
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("signing: VerifierConfig.Keys is required")
	}
	switch cfg.URIScheme {
	case "", "http", "https":
	default:
		return nil, fmt.Errorf("signing: VerifierConfig.URIScheme %q is not http or https", cfg.URIScheme)
	}
	v := &Verifier{keys: cfg.Keys, now: cfg.Now, logger: cfg.Logger, scheme: cfg.URIScheme}
	if v.now == nil {
		v.now = time.Now
	}
	if v.logger == nil {
		v.logger = slog.New(slog.DiscardHandler)
	}
	v.logger = v.logger.With(slog.String("component", "signing.Verifier"))
	return v, nil
}

// Verified describes a request whose signature verified.
type Verified struct {
	// KeyID is the keyId of the signature.
	KeyID string
	// Owner is the actor IRI owning the key, as confirmed by the
	// [KeyResolver]. Callers must still check that it matches the activity's
	// actor.
	Owner string
	// Algorithm is, for draft-cavage, the algorithm parameter as sent,
	// lower-cased, or "hs2019" when absent; for RFC 9421, the algorithm
	// used: the alg parameter, or the one the key implies
	// ([AlgorithmRSAv15SHA256] or [AlgorithmEd25519]); for a Linked Data
	// Signature ([Verifier.VerifyLD]), [LDSignatureType]; for an activity a caller found
	// authenticated by its FEP-8b32 proof ([ProofVerifier]), [ProofCryptosuite].
	Algorithm string
	// Headers lists the covered headers and pseudo-headers, lower-cased, in
	// the order of the signature's headers parameter; for RFC 9421, the
	// covered component identifiers ("@method", "content-digest", …) in
	// Signature-Input order.
	Headers []string
	// Label is the label of an RFC 9421 signature ("sig1"); it is empty for
	// a draft-cavage signature, so it tells the two apart.
	Label string
	// Created and Expires are the ends of the validity window used for the
	// time check (before the clock-skew tolerance).
	Created, Expires time.Time
	// OwnerDocument is the [PublicKey.OwnerDocument] of the key that
	// verified: the owner's actor document when the [KeyResolver] fetched it
	// during this call, else nil.
	OwnerDocument []byte
}

// Verify checks the HTTP signature of r against body, the exact bytes of the
// request body (Verify does not read r.Body). It returns a *[VerifyError]
// matching [ErrNoSignature], [ErrInvalidSignature] or [ErrKeyUnavailable].
//
// A request with a Signature-Input header carries an RFC 9421 signature and
// is checked as described under "RFC 9421" below; any other request is
// checked as draft-cavage.
//
// # Draft-cavage
//
// Only the Signature header is read. An "Authorization: Signature …" header
// is ignored, as Mastodon ignores it, so a request carrying only that yields
// ErrNoSignature; a stray leading "Signature " inside the Signature value is
// tolerated.
//
// The checks, all done before the key is resolved:
//   - algorithm is rsa-sha256 or hs2019 (absent means hs2019); (created) and
//     (expires) are accepted only with hs2019;
//   - the signature covers (request-target), host, and date or (created);
//     POSTs and requests with a non-empty body must also cover digest;
//   - a Digest header, if covered or present, has a SHA-256 entry equal to
//     the SHA-256 of body (other algorithms are ignored; none is an error);
//   - the time window of Mastodon: created is (created) or Date, expires is
//     (expires) or created+[DefaultExpiry], capped at created+[MaxExpiry];
//     created may be at most [ClockSkew] ahead of now and expires at most
//     ClockSkew behind it. With a plain Date, that accepts −65 min … +60 min.
//
// The signing string follows the headers parameter's order. As Mastodon does,
// (request-target) is tried with the query string and, if that fails,
// without it. The key must be RSA.
//
// # RFC 9421
//
// Signature-Input and Signature are parsed as RFC 8941 dictionaries.
// Exactly one signature is accepted, as Mastodon requires: fields with
// several labels are ErrInvalidSignature, whatever the labels. The checks,
// all done before the key is resolved:
//   - keyid and created are required; created, expires and the window are
//     the same as for draft-cavage (expires defaults to created+5 min);
//   - alg is optional; when present it must be rsa-v1_5-sha256,
//     rsa-pss-sha512 or ed25519 and match the key type; when absent the key
//     decides (RSA: rsa-v1_5-sha256, Ed25519: ed25519);
//   - the signature covers @method and @target-uri, or, equivalently,
//     @authority with @request-target or with @path (and @query when the
//     URL has a query); POSTs and requests with a non-empty body must also
//     cover content-digest;
//   - a Content-Digest header (RFC 9530), if covered or present, has a
//     sha-256 or sha-512 entry and every such entry matches body;
//   - components are the derived @method, @target-uri, @authority, @scheme,
//     @request-target, @path and @query, and header fields by lower-case
//     name (field lines trimmed and joined with ", "); component parameters
//     (;sf, ;key, ;bs, ;req, ;name, ;tr) and other derived components are
//     refused as ErrInvalidSignature.
//
// @target-uri and @scheme use the scheme of [VerifierConfig].URIScheme and
// the host r.Host.
//
// # Key refresh
//
// If verification fails with a key that was not Fresh, the key is resolved
// once more with refresh set and the check repeated.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Verified, error) {
	if len(r.Header.Values("Signature-Input")) > 0 {
		return v.verifyRFC9421(ctx, r, body)
	}
	vals := r.Header.Values("Signature")
	if len(vals) == 0 || (len(vals) == 1 && strings.TrimSpace(vals[0]) == "") {
		if strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "signature ") {
			return nil, errNoSig("no Signature header (Authorization: Signature is not read)")
		}
		return nil, errNoSig("no Signature header")
	}
	if len(vals) > 1 {
		return nil, errInvalid("", "several Signature headers", nil)
	}
	p, err := parseSignatureHeader(vals[0])
	if err != nil {
		return nil, errInvalid("", "malformed Signature header", err)
	}
	keyID := p.keyID

	alg := p.algorithm
	if alg == "" {
		alg = AlgorithmHS2019
	}
	if alg != AlgorithmRSASHA256 && alg != AlgorithmHS2019 {
		return nil, errInvalid(keyID, fmt.Sprintf("unsupported algorithm %q", alg), nil)
	}
	headers := p.headers
	if !p.hasHeaders {
		// draft-cavage-12 §2.1.6 default, as Mastodon applies it.
		if alg == AlgorithmHS2019 {
			headers = []string{"(created)"}
		} else {
			headers = []string{"date"}
		}
	}
	covers := func(h string) bool { return slices.Contains(headers, h) }
	if alg == AlgorithmRSASHA256 && (covers("(created)") || covers("(expires)")) {
		return nil, errInvalid(keyID, "(created) and (expires) require algorithm hs2019", nil)
	}
	switch {
	case !covers("(request-target)"):
		return nil, errInvalid(keyID, "(request-target) not signed", nil)
	case !covers("host"):
		return nil, errInvalid(keyID, "host not signed", nil)
	case !covers("date") && !covers("(created)"):
		return nil, errInvalid(keyID, "date not signed", nil)
	case (r.Method == http.MethodPost || len(body) > 0) && !covers("digest"):
		return nil, errInvalid(keyID, "digest not signed", nil)
	}
	if covers("digest") || len(r.Header.Values("Digest")) > 0 {
		if reason := checkDigest(r.Header.Values("Digest"), body); reason != "" {
			return nil, errInvalid(keyID, reason, nil)
		}
	}

	created, expires, reason := window(r, p, covers)
	if reason != "" {
		return nil, errInvalid(keyID, reason, nil)
	}
	if err := v.checkWindow(keyID, created, expires); err != nil {
		return nil, err
	}

	sig, err := base64.StdEncoding.DecodeString(p.signature)
	if err != nil {
		return nil, errInvalid(keyID, "signature is not base64", err)
	}
	// Build the candidate signing strings up front, so a missing covered
	// header fails before any key fetch.
	candidates := make([]string, 0, 2)
	s, err := signingString(r, headers, requestTarget(r.URL, true), p)
	if err != nil {
		return nil, errInvalid(keyID, "cannot build signing string", err)
	}
	candidates = append(candidates, s)
	if r.URL.RawQuery != "" && covers("(request-target)") {
		// Mastodon retries without the query string for old senders that
		// omitted it (signature_verification.rb).
		s, err := signingString(r, headers, requestTarget(r.URL, false), p)
		if err != nil {
			return nil, errInvalid(keyID, "cannot build signing string", err)
		}
		candidates = append(candidates, s)
	}

	pk, err := v.checkSignature(ctx, keyID, func(key crypto.PublicKey) error {
		return verifyCandidates(key, candidates, sig)
	})
	if err != nil {
		return nil, err
	}
	return &Verified{
		KeyID:         keyID,
		Owner:         pk.Owner,
		Algorithm:     alg,
		Headers:       slices.Clone(headers),
		Created:       created,
		Expires:       expires,
		OwnerDocument: pk.OwnerDocument,
	}, nil
}

// verifyRFC9421 is the RFC 9421 half of Verify.
func (v *Verifier) verifyRFC9421(ctx context.Context, r *http.Request, body []byte) (*Verified, error) {
	sigs := r.Header.Values("Signature")
	if len(sigs) == 0 {
		return nil, errInvalid("", "Signature-Input without Signature", nil)
	}
	si, err := parseRFC9421(r.Header.Values("Signature-Input"), sigs)
	if errors.Is(err, errSeveralSignatures) {
		return nil, errInvalid("", "several signatures (exactly one is accepted)", nil)
	}
	if err != nil {
		return nil, errInvalid("", "malformed Signature-Input or Signature", err)
	}
	keyID := si.keyID
	switch {
	case keyID == "":
		return nil, errInvalid("", "keyid missing", nil)
	case !si.hasCreated:
		return nil, errInvalid(keyID, "created missing", nil)
	case !knownAlg(si.alg):
		return nil, errInvalid(keyID, fmt.Sprintf("unsupported alg %q", si.alg), nil)
	case !si.covers("@method"):
		return nil, errInvalid(keyID, "@method not signed", nil)
	case !si.covers("@target-uri") && !(si.covers("@authority") &&
		(si.covers("@request-target") || (si.covers("@path") && (r.URL.RawQuery == "" || si.covers("@query"))))):
		return nil, errInvalid(keyID, "@target-uri not signed", nil)
	case (r.Method == http.MethodPost || len(body) > 0) && !si.covers("content-digest"):
		return nil, errInvalid(keyID, "content-digest not signed", nil)
	}
	if si.covers("content-digest") || len(r.Header.Values("Content-Digest")) > 0 {
		if reason := checkContentDigest(r.Header.Values("Content-Digest"), body); reason != "" {
			return nil, errInvalid(keyID, reason, nil)
		}
	}
	created := time.Unix(si.created, 0).UTC()
	expires := created.Add(DefaultExpiry)
	if si.hasExpires {
		expires = time.Unix(si.expires, 0).UTC()
	}
	if limit := created.Add(MaxExpiry); expires.After(limit) {
		expires = limit
	}
	if err := v.checkWindow(keyID, created, expires); err != nil {
		return nil, err
	}
	scheme := v.scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	base, err := signatureBase(r, scheme, si)
	if err != nil {
		return nil, errInvalid(keyID, "cannot build signature base", err)
	}
	pk, err := v.checkSignature(ctx, keyID, func(key crypto.PublicKey) error {
		return verifyBase(key, si.alg, base, si.signature)
	})
	if err != nil {
		return nil, err
	}
	return &Verified{
		KeyID:         keyID,
		Owner:         pk.Owner,
		Algorithm:     keyAlgorithm(pk.Key, si.alg),
		Headers:       slices.Clone(si.components),
		Label:         si.label,
		Created:       created,
		Expires:       expires,
		OwnerDocument: pk.OwnerDocument,
	}, nil
}

// checkWindow applies Mastodon's time window to created and expires.
func (v *Verifier) checkWindow(keyID string, created, expires time.Time) error {
	now := v.now()
	if created.After(now.Add(ClockSkew)) {
		return errInvalid(keyID, "created too far in the future", nil)
	}
	if now.After(expires.Add(ClockSkew)) {
		return errInvalid(keyID, "signature expired", nil)
	}
	return nil
}

// checkSignature resolves keyID and runs check with the key, refreshing a cached key once when
// check fails (see resolveAndCheck), and turns check's failure into an ErrInvalidSignature.
func (v *Verifier) checkSignature(ctx context.Context, keyID string, check func(crypto.PublicKey) error) (*PublicKey, error) {
	pk, failed, err := resolveAndCheck(ctx, v.keys, v.logger, keyID, check)
	switch {
	case err != nil:
		return nil, err
	case failed == nil:
		return pk, nil
	case errors.Is(failed, ErrUnsupportedKey):
		return nil, errInvalid(keyID, "unsupported key type", failed)
	case errors.Is(failed, errAlgKeyMismatch):
		return nil, errInvalid(keyID, "alg does not match the key type", nil)
	default:
		return nil, errInvalid(keyID, "signature does not verify", nil)
	}
}

// resolveAndCheck resolves keyID with keys and runs check with the key. When check fails with a
// key that was not Fresh, for a reason another key could cure (not [ErrUnsupportedKey] or
// errAlgKeyMismatch), the actor may have rotated its key: the key is resolved once more with
// refresh set, which logger (if not nil) hears of at Debug, and check runs again. It returns the
// key check ran with last and check's verdict on it, failed; or err, a failed resolution matching
// [ErrKeyUnavailable].
func resolveAndCheck(ctx context.Context, keys KeyResolver, logger *slog.Logger, keyID string, check func(crypto.PublicKey) error) (pk *PublicKey, failed, err error) {
	for refresh := false; ; refresh = true {
		pk, err = keys.ResolveKey(ctx, keyID, refresh)
		switch {
		case err != nil && refresh:
			return nil, nil, errKey(keyID, "cannot refresh key after failed verification", err)
		case err != nil:
			return nil, nil, errKey(keyID, "cannot resolve key", err)
		case pk == nil:
			return nil, nil, errKey(keyID, "resolver returned no key", nil)
		}
		failed = check(pk.Key)
		if failed == nil || refresh || pk.Fresh || errors.Is(failed, ErrUnsupportedKey) || errors.Is(failed, errAlgKeyMismatch) {
			return pk, failed, nil
		}
		if logger != nil {
			logger.LogAttrs(ctx, slog.LevelDebug, "signature failed with cached key; refreshing",
				slog.String("key_id", keyID))
		}
	}
}

// verifyCandidates reports nil if sig verifies any candidate signing string.
// Both rsa-sha256 and hs2019 with an RSA key mean RSASSA-PKCS1-v1_5 SHA-256.
func verifyCandidates(key crypto.PublicKey, candidates []string, sig []byte) error {
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%T: %w", key, ErrUnsupportedKey)
	}
	var err error
	for _, c := range candidates {
		sum := sha256.Sum256([]byte(c))
		if err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err == nil {
			return nil
		}
	}
	return err
}

// checkDigest returns "" if the Digest header values contain at least one
// SHA-256 entry and every SHA-256 entry matches body; otherwise a reason.
// Entries are "alg=base64", comma separated; alg is compared
// case-insensitively (RFC 3230 §4.1.1).
func checkDigest(values []string, body []byte) string {
	if len(values) == 0 {
		return "digest header missing"
	}
	sum := sha256.Sum256(body)
	found := false
	for _, v := range values {
		for entry := range strings.SplitSeq(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(entry), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(alg), "sha-256") {
				continue
			}
			found = true
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
			if err != nil || subtle.ConstantTimeCompare(got, sum[:]) != 1 {
				return "digest mismatch"
			}
		}
	}
	if !found {
		return "no SHA-256 digest"
	}
	return ""
}

// window returns the creation and expiry times of the signature.
func window(r *http.Request, p *sigParams, covers func(string) bool) (created, expires time.Time, reason string) {
	if covers("(created)") {
		n, err := strconv.ParseInt(p.created, 10, 64)
		if err != nil {
			return created, expires, "(created) covered but created parameter missing"
		}
		created = time.Unix(n, 0).UTC()
	} else {
		d, ok := headerValue(r, "date")
		if !ok {
			return created, expires, "date header missing"
		}
		t, err := http.ParseTime(d)
		if err != nil {
			return created, expires, "date header malformed"
		}
		created = t.UTC()
	}
	expires = created.Add(DefaultExpiry)
	if covers("(expires)") {
		n, err := strconv.ParseInt(p.expires, 10, 64)
		if err != nil {
			return created, expires, "(expires) covered but expires parameter missing"
		}
		expires = time.Unix(n, 0).UTC()
	}
	if limit := created.Add(MaxExpiry); expires.After(limit) {
		expires = limit
	}
	return created, expires, ""
}
