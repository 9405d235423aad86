package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub"
)

// The webhook's headers: a CMS signs each request with the shared secret as
//
//	X-Fedsite-Timestamp: 1764979200   (Unix seconds)
//	X-Fedsite-Signature: sha256=HEX   (HMAC-SHA256 of "1764979200." followed by the body)
//
// Ghost signs its own way, which the webhook takes too:
//
//	X-Ghost-Signature: sha256=HEX, t=1764979200000   (HMAC-SHA256 of the body followed by t, in ms)
const (
	hookTimestampHeader  = "X-Fedsite-Timestamp"
	hookSignatureHeader  = "X-Fedsite-Signature"
	ghostSignatureHeader = "X-Ghost-Signature"
)

// hookSkew is how far a webhook's timestamp may be from the sidecar's clock; a signature is
// remembered, to refuse it again, for as long as its timestamp is within it.
const hookSkew = 5 * time.Minute

// hookPayload is the body of a fedsite webhook: what to do with the article at URL. See the
// README's "Federate any CMS" for each field.
type hookPayload struct {
	Action    string      `json:"action"` // publish, update or delete
	URL       string      `json:"url"`
	Title     string      `json:"title,omitempty"`
	Summary   string      `json:"summary,omitempty"`
	HTML      string      `json:"html,omitempty"`
	Author    string      `json:"author,omitempty"` // a name or an e-mail address
	Tags      []string    `json:"tags,omitempty"`
	Images    []hookImage `json:"images,omitempty"`
	Language  string      `json:"language,omitempty"`
	Published time.Time   `json:"published,omitzero"`
}

// hookImage is an image attached to the article.
type hookImage struct {
	URL  string `json:"url"`
	Alt  string `json:"alt,omitempty"`
	Type string `json:"type,omitempty"`
}

// hookError is a webhook request refused: its status and the reason, sent as {"error": reason}.
type hookError struct {
	status int
	reason string
}

func (e *hookError) Error() string { return e.reason }

func refuse(status int, format string, args ...any) *hookError {
	return &hookError{status: status, reason: fmt.Sprintf(format, args...)}
}

// webhook serves POST /hooks/publish: a CMS publishes, updates or deletes an article by its URL.
// The article shares the feed pollers' state, so an article the feed and the webhook both bring
// federates once.
type webhook struct {
	secret   []byte
	maxBytes int64
	actor    string // the organization's, for an author the map does not name
	authors  authorMap
	fed      publisher
	ledger   *ledger
	log      *slog.Logger
	now      func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // signatures received, until they are stale anyway
}

// hookResult is the answer to a webhook request done.
type hookResult struct {
	Status string `json:"status"` // published, updated, deleted, unchanged or recorded
	URL    string `json:"url"`
	Actor  string `json:"actor,omitempty"`
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := h.handle(r.Context(), w, r)
	if err != nil {
		he, ok := errors.AsType[*hookError](err)
		if !ok {
			h.log.Error("fedsite: webhook failed", "err", err)
			he = refuse(http.StatusInternalServerError, "%v", err)
		}
		if he.status >= 400 && he.status < 500 {
			h.log.Info("fedsite: webhook refused", "status", he.status, "reason", he.reason)
		}
		writeJSON(w, he.status, map[string]string{"error": he.reason})
		return
	}
	h.log.Info("fedsite: webhook: "+res.Status, "url", res.URL, "actor", res.Actor)
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// handle checks the request, its signature and its payload, then federates it.
func (h *webhook) handle(ctx context.Context, w http.ResponseWriter, r *http.Request) (hookResult, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return hookResult{}, refuse(http.StatusMethodNotAllowed, "method %s: want POST", r.Method)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return hookResult{}, refuse(http.StatusUnsupportedMediaType, "Content-Type %q: want application/json", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBytes))
	if _, over := errors.AsType[*http.MaxBytesError](err); over {
		return hookResult{}, refuse(http.StatusRequestEntityTooLarge, "body over %d bytes", h.maxBytes)
	}
	if err != nil {
		return hookResult{}, refuse(http.StatusBadRequest, "reading the body: %v", err)
	}
	sig, ghost, err := h.verify(r.Header, body)
	if err != nil {
		return hookResult{}, err
	}
	var p hookPayload
	if ghost {
		p, err = ghostPayload(body)
	} else {
		p, err = decodePayload(body)
	}
	if err != nil {
		h.forget(sig) // the same request, fixed, is no replay
		return hookResult{}, err
	}
	res, err := h.apply(ctx, p)
	if _, refused := errors.AsType[*hookError](err); err != nil && !refused {
		h.forget(sig) // a failure of the sidecar's: the CMS may send the same request again
	}
	return res, err
}

// verify checks the request's signature, in the fedsite or the Ghost form, and that it is
// fresh and not seen before; it returns the signature, now remembered, and whether it was
// Ghost's.
func (h *webhook) verify(hd http.Header, body []byte) (string, bool, error) {
	var (
		sig, msg []byte
		at       time.Time
		ghost    = hd.Get(ghostSignatureHeader) != ""
	)
	if ghost {
		s, ms, err := parseGhostSignature(hd.Get(ghostSignatureHeader))
		if err != nil {
			return "", true, refuse(http.StatusUnauthorized, "%s: %v", ghostSignatureHeader, err)
		}
		sig, at = s, time.UnixMilli(ms)
		msg = append(bytes.Clone(body), strconv.FormatInt(ms, 10)...)
	} else {
		ts, s := hd.Get(hookTimestampHeader), hd.Get(hookSignatureHeader)
		if ts == "" || s == "" {
			return "", false, refuse(http.StatusUnauthorized, "unsigned: want %s and %s (or %s)", hookTimestampHeader, hookSignatureHeader, ghostSignatureHeader)
		}
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return "", false, refuse(http.StatusUnauthorized, "%s %q: want Unix seconds", hookTimestampHeader, ts)
		}
		if sig, err = parseSHA256(s); err != nil {
			return "", false, refuse(http.StatusUnauthorized, "%s: %v", hookSignatureHeader, err)
		}
		at = time.Unix(secs, 0)
		msg = append([]byte(ts+"."), body...)
	}
	mac := hmac.New(sha256.New, h.secret)
	mac.Write(msg)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return "", ghost, refuse(http.StatusUnauthorized, "bad signature: not signed with the webhook secret, or the body changed")
	}
	now := h.now()
	if d := now.Sub(at); d > hookSkew || d < -hookSkew {
		return "", ghost, refuse(http.StatusUnauthorized, "stale: signed at %s, %s from the sidecar's clock (at most %s)", at.UTC().Format(time.RFC3339), d.Round(time.Second), hookSkew)
	}
	key := hex.EncodeToString(sig)
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, until := range h.seen {
		if now.After(until) {
			delete(h.seen, k)
		}
	}
	if _, replay := h.seen[key]; replay {
		return "", ghost, refuse(http.StatusConflict, "replayed: this signature was received before")
	}
	h.seen[key] = at.Add(hookSkew)
	return key, ghost, nil
}

// forget drops a remembered signature.
func (h *webhook) forget(sig string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.seen, sig)
}

// parseSHA256 reads "sha256=HEX", a 32-byte digest.
func parseSHA256(s string) ([]byte, error) {
	v, ok := strings.CutPrefix(strings.TrimSpace(s), "sha256=")
	if !ok {
		return nil, errors.New(`want "sha256=" and the hex digest`)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("want a hex SHA-256 digest after sha256=")
	}
	return b, nil
}

// parseGhostSignature reads Ghost's "sha256=HEX, t=MILLISECONDS".
func parseGhostSignature(s string) (sig []byte, ms int64, err error) {
	var haveT bool
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "sha256="):
			if sig, err = parseSHA256(part); err != nil {
				return nil, 0, err
			}
		case strings.HasPrefix(part, "t="):
			if ms, err = strconv.ParseInt(part[2:], 10, 64); err != nil {
				return nil, 0, fmt.Errorf("t=%q: want Unix milliseconds", part[2:])
			}
			haveT = true
		}
	}
	if sig == nil || !haveT {
		return nil, 0, errors.New(`want "sha256=HEX, t=MILLISECONDS"`)
	}
	return sig, ms, nil
}

// decodePayload reads a fedsite webhook body, strictly: an unknown field is an error.
func decodePayload(body []byte) (hookPayload, error) {
	var p hookPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, refuse(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if dec.More() {
		return p, refuse(http.StatusBadRequest, "malformed JSON: more than one value")
	}
	return p, nil
}

// ghostPost is the part of a Ghost post that a webhook sends and fedsite reads.
type ghostPost struct {
	URL             string    `json:"url"`
	Title           string    `json:"title"`
	HTML            string    `json:"html"`
	CustomExcerpt   string    `json:"custom_excerpt"`
	Excerpt         string    `json:"excerpt"`
	FeatureImage    string    `json:"feature_image"`
	FeatureImageAlt string    `json:"feature_image_alt"`
	Status          string    `json:"status"`
	Visibility      string    `json:"visibility"`
	PublishedAt     time.Time `json:"published_at"`
	Tags            []struct {
		Name string `json:"name"`
	} `json:"tags"`
	PrimaryAuthor struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"primary_author"`
}

// ghostPayload reads a Ghost post webhook ({"post": {"current": …, "previous": …}}) as a fedsite
// one: a post just published (its previous status a draft or scheduled) is published, a
// published post edited is updated, and a post no longer published (unpublished, deleted, or
// made members-only) is deleted.
func ghostPayload(body []byte) (hookPayload, error) {
	var in struct {
		Post *struct {
			Current, Previous ghostPost
		} `json:"post"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return hookPayload{}, refuse(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if in.Post == nil {
		return hookPayload{}, refuse(http.StatusUnprocessableEntity, `not a Ghost post webhook: no "post"`)
	}
	cur, prev := in.Post.Current, in.Post.Previous
	if cur.Status != "published" || (cur.Visibility != "" && cur.Visibility != "public") {
		u := cur.URL
		if u == "" {
			u = prev.URL
		}
		return hookPayload{Action: "delete", URL: u}, nil
	}
	// previous holds only the fields that changed: a status there means the post was just
	// published; none, that a published post was edited.
	p := hookPayload{Action: "update", URL: cur.URL, Title: cur.Title, HTML: cur.HTML, Summary: cur.CustomExcerpt,
		Author: cur.PrimaryAuthor.Email, Published: cur.PublishedAt}
	if prev.Status != "" && prev.Status != "published" {
		p.Action = "publish"
	}
	if p.Summary == "" {
		p.Summary = cur.Excerpt
	}
	if p.Author == "" {
		p.Author = cur.PrimaryAuthor.Name
	}
	for _, t := range cur.Tags {
		if !strings.HasPrefix(t.Name, "#") { // Ghost's internal tags start with '#'
			p.Tags = append(p.Tags, t.Name)
		}
	}
	if cur.FeatureImage != "" && imageExt(cur.FeatureImage) {
		p.Images = []hookImage{{URL: cur.FeatureImage, Alt: cur.FeatureImageAlt}}
	}
	return p, nil
}

// apply federates a checked payload against what the sidecar knows of the article:
//   - publish: a new article is published (sent to followers); one the webhook sent before is
//     updated if it changed; one only a feed brought is recorded, not sent again;
//   - update: an article published before (by a feed or the webhook) is updated if it changed;
//     an unknown one is 404, as an edit never federates a post for the first time;
//   - delete: an article published before is deleted; an unknown one is 404, one deleted is
//     answered as deleted again.
//
// A deleted article's URL is never published again (410).
func (h *webhook) apply(ctx context.Context, p hookPayload) (hookResult, error) {
	if p.URL == "" {
		return hookResult{}, refuse(http.StatusUnprocessableEntity, `"url" is required`)
	}
	switch p.Action {
	case "publish", "update", "delete":
	case "":
		return hookResult{}, refuse(http.StatusUnprocessableEntity, `"action" is required: publish, update or delete`)
	default:
		return hookResult{}, refuse(http.StatusUnprocessableEntity, "unknown action %q: want publish, update or delete", p.Action)
	}
	a := activitypub.Article{URL: p.URL, Title: strings.TrimSpace(p.Title), Excerpt: p.Summary, Content: p.HTML,
		Tags: hashtags(p.Tags), Language: p.Language, Published: p.Published.UTC()}
	for _, img := range p.Images {
		a.Images = append(a.Images, activitypub.Image{URL: img.URL, Alt: img.Alt, MediaType: img.Type})
	}
	if p.Action != "delete" && a.Title == "" {
		return hookResult{}, refuse(http.StatusUnprocessableEntity, `"title" is required to %s`, p.Action)
	}
	hash := contentHash(a)

	h.ledger.op.Lock()
	defer h.ledger.op.Unlock()
	prev, known := h.ledger.item(p.URL)
	res := hookResult{URL: p.URL, Actor: prev.Actor}
	switch {
	case known && !prev.Deleted.IsZero() && p.Action == "delete":
		res.Status = "deleted"
		return res, nil
	case known && !prev.Deleted.IsZero():
		return res, refuse(http.StatusGone, "%s was deleted; its URL is never published again", p.URL)
	case !known && p.Action != "publish":
		return res, refuse(http.StatusNotFound, "%s was never published: nothing to %s", p.URL, p.Action)
	}
	var err error
	switch {
	case p.Action == "delete":
		err = h.fed.Delete(ctx, prev.Actor, p.URL)
		if errors.Is(err, activitypub.ErrNotFound) {
			err = nil // deleted before the state was saved
		}
		prev.Deleted, res.Status = h.now().UTC(), "deleted"
	case !known:
		prev.Actor = h.authors.actor(h.actor, p.Author)
		res.Actor, res.Status = prev.Actor, "published"
		if a.Published.IsZero() {
			a.Published = h.now().UTC()
		}
		err = h.fed.Publish(ctx, prev.Actor, a)
		if errors.Is(err, activitypub.ErrAlreadyPublished) {
			err, res.Status = nil, "recorded" // published before the state was saved
		}
	case prev.HookHash == hash:
		res.Status = "unchanged"
		return res, nil
	case p.Action == "publish" && prev.HookHash == "":
		res.Status = "recorded" // a feed brought it first and it went out then
	default:
		res.Status = "updated"
		err = h.fed.Update(ctx, prev.Actor, a)
	}
	if _, invalid := errors.AsType[*activitypub.InvalidError](err); invalid {
		return res, refuse(http.StatusUnprocessableEntity, "%v", err)
	}
	if errors.Is(err, activitypub.ErrNotFound) {
		return res, refuse(http.StatusUnprocessableEntity, "%v", err) // the actor does not exist
	}
	if err != nil {
		return res, err
	}
	prev.HookHash = hash
	h.ledger.setItem(p.URL, prev)
	if err := h.ledger.save(); err != nil {
		return res, err
	}
	return res, nil
}
