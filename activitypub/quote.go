package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Quote posts, as Mastodon 4.5 exchanges them (FEP-044f): an article carries an interaction
// policy whose canQuote says who may quote it; a server that wants to show a quote of it sends
// a QuoteRequest, answered with an Accept whose result is a QuoteAuthorization the site serves
// under its id, or with a Reject. The quoting post cites the authorization (quoteAuthorization),
// which the site checks before it counts the quote. Misskey's and Fedibird's quotes
// (_misskey_quote, quoteUrl, quoteUri) know no authorization and are counted as they come.

// QuotePolicy says who may quote an article (FEP-044f), as Mastodon 4.5 offers it: a quote of an
// article by someone the policy leaves out is refused, and such a quote made before the policy
// was set loses its authorization.
type QuotePolicy int

const (
	// QuoteDefault is, for an [Article], its actor's Actor.QuotePolicy, and for an [Actor],
	// QuoteAnyone.
	QuoteDefault QuotePolicy = iota
	// QuoteAnyone lets anyone quote.
	QuoteAnyone
	// QuoteFollowers lets the actor's followers quote.
	QuoteFollowers
	// QuoteNobody lets nobody quote.
	QuoteNobody
)

// String returns "default", "anyone", "followers" or "nobody".
func (p QuotePolicy) String() string {
	switch p {
	case QuoteDefault:
		return "default"
	case QuoteAnyone:
		return "anyone"
	case QuoteFollowers:
		return "followers"
	case QuoteNobody:
		return "nobody"
	}
	return "QuotePolicy(" + strconv.Itoa(int(p)) + ")"
}

// The FEP-044f and GoToSocial terms, spelled as the objectContext defines them.
const (
	termInteractionPolicy  = "interactionPolicy"
	termQuoteAuthorization = "quoteAuthorization"
	typeQuoteRequest       = "QuoteRequest"
	typeQuoteAuthorization = "QuoteAuthorization"
)

// effectiveQuotePolicy is the policy an article of actor is rendered with.
func effectiveQuotePolicy(actor *Actor, a QuotePolicy) QuotePolicy {
	switch {
	case a != QuoteDefault:
		return a
	case actor.QuotePolicy != QuoteDefault:
		return actor.QuotePolicy
	}
	return QuoteAnyone
}

// checkQuotePolicy checks a policy field.
func checkQuotePolicy(field string, p QuotePolicy) error {
	if p < QuoteDefault || p > QuoteNobody {
		return invalid(field, "unknown quote policy %d", int(p))
	}
	return nil
}

// approvalRule is one sub-policy of an interaction policy (GoToSocial's canLike, canReply,
// canAnnounce, and canQuote): who is approved automatically.
type approvalRule struct {
	AutomaticApproval vocab.Refs `json:"automaticApproval"`
}

// interactionPolicy is an article's interactionPolicy. fedsite keeps every reply, like and
// boost, so canReply, canLike and canAnnounce approve the public automatically; canQuote is the
// article's QuotePolicy in Mastodon's shape: the public, the actor's followers, or, for nobody,
// the actor alone.
type interactionPolicy struct {
	CanQuote    approvalRule `json:"canQuote"`
	CanReply    approvalRule `json:"canReply"`
	CanLike     approvalRule `json:"canLike"`
	CanAnnounce approvalRule `json:"canAnnounce"`
}

// interactionPolicy is the interactionPolicy of an article of actorID with quote policy p (not
// QuoteDefault).
func (r renderer) interactionPolicy(actorID string, p QuotePolicy) json.RawMessage {
	public := approvalRule{AutomaticApproval: vocab.Refs{{IRI: vocab.PublicIRI}}}
	quote := public
	switch p {
	case QuoteFollowers:
		quote = approvalRule{AutomaticApproval: vocab.Refs{{IRI: r.urls.followers(actorID)}}}
	case QuoteNobody:
		quote = approvalRule{AutomaticApproval: vocab.Refs{{IRI: actorID}}}
	}
	return mustJSON(interactionPolicy{CanQuote: quote, CanReply: public, CanLike: public, CanAnnounce: public})
}

// quotePolicyOf reads the quote policy of a stored article of actorID back from its document;
// an object without a canQuote fedsite wrote (an answer) lets nobody quote it.
func (urls urlLayout) quotePolicyOf(actorID string, doc *vocab.Object) QuotePolicy {
	var p interactionPolicy
	if ok, err := doc.DecodeExtra(termInteractionPolicy, &p); !ok || err != nil {
		return QuoteNobody
	}
	auto := p.CanQuote.AutomaticApproval
	switch {
	case auto.HasPublic():
		return QuoteAnyone
	case auto.Has(urls.followers(actorID)):
		return QuoteFollowers
	}
	return QuoteNobody
}

// isFollower reports whether remote follows the site actor actorID.
func isFollower(ctx context.Context, followers store.Followers, actorID, remote string) (bool, error) {
	_, err := followers.Follower(ctx, actorID, remote)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// quoteAllowed reports whether policy p of the site actor actorID lets quoter quote.
func quoteAllowed(ctx context.Context, followers store.Followers, p QuotePolicy, actorID, quoter string) (bool, error) {
	switch p {
	case QuoteAnyone:
		return true, nil
	case QuoteFollowers:
		ok, err := isFollower(ctx, followers, actorID, quoter)
		if err != nil {
			return false, fmt.Errorf("activitypub: quote policy: %w", err)
		}
		return ok, nil
	}
	return false, nil
}

// quotedBy returns the object a post quotes and whether it is a FEP-044f quote, which needs an
// authorization; "" when it quotes nothing. FEP-044f's quote wins over the older dialects
// (Misskey's _misskey_quote and quoteUrl, Fedibird's quoteUri), which Mastodon sends beside it.
func quotedBy(obj *vocab.Object) (target string, fep bool) {
	var r vocab.Ref
	if ok, err := obj.DecodeExtra("quote", &r); ok && err == nil && r.ID() != "" {
		return r.ID(), true
	}
	for _, k := range []string{"_misskey_quote", "quoteUri", "quoteUrl", "quoteURL"} {
		var s string
		if ok, err := obj.DecodeExtra(k, &s); ok && err == nil && absHTTP(s) {
			return s, false
		}
	}
	return "", false
}

// authorizationOf is the id of the quoteAuthorization a post cites, "" for none.
func authorizationOf(obj *vocab.Object) string {
	var r vocab.Ref
	if ok, err := obj.DecodeExtra(termQuoteAuthorization, &r); !ok || err != nil {
		return ""
	}
	return r.ID()
}

// checkStamp returns nil when id is an authorization the site issued, not revoked, for post to
// quote target; an error matching ErrNotFound otherwise.
func checkStamp(ctx context.Context, urls urlLayout, objects store.Objects, id, post, target string) error {
	if id == "" || !urls.local(id) {
		return fmt.Errorf("activitypub: quote authorization %q is not the site's: %w", id, ErrNotFound)
	}
	o, err := objects.Object(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("activitypub: quote authorization %s: %w", id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("activitypub: quote authorization %s: %w", id, err)
	case o.Type != typeQuoteAuthorization || !o.Deleted.IsZero():
		return fmt.Errorf("activitypub: quote authorization %s: revoked or not one: %w", id, ErrNotFound)
	}
	var s struct {
		InteractingObject string `json:"interactingObject"`
		InteractionTarget string `json:"interactionTarget"`
	}
	if err := json.Unmarshal(o.Document, &s); err != nil {
		return fmt.Errorf("activitypub: quote authorization %s: %w", id, err)
	}
	if s.InteractingObject != post || s.InteractionTarget != target {
		return fmt.Errorf("activitypub: quote authorization %s is for %s quoting %s: %w",
			id, s.InteractingObject, s.InteractionTarget, ErrNotFound)
	}
	return nil
}

// quoteRequest answers a QuoteRequest of one of the site's articles as its quote policy says: an
// Accept whose result is a new QuoteAuthorization, with the quote kept and counted, or a Reject.
// A request for anything else (another server's object, a deleted article) is ignored, as
// Mastodon ignores it. The quoting post (instrument) must be the requester's.
func (in *inbox) quoteRequest(ctx context.Context, req *inboxRequest) error {
	act := req.act
	quoter, target := act.Actor.ID(), act.Object.ID()
	article, ok, err := in.own(ctx, target)
	if err != nil {
		return err
	}
	if !ok {
		return in.ignore(ctx, act)
	}
	doc, err := vocab.Decode(article.Document)
	if err != nil {
		return fmt.Errorf("activitypub: quote request: stored %s: %w", target, err)
	}
	var instrument vocab.Ref
	if ok, err := act.DecodeExtra("instrument", &instrument); !ok || err != nil || !absHTTP(instrument.ID()) {
		return invalid("instrument", "a QuoteRequest names the quoting post")
	}
	post := instrument.ID()
	if !sameOrigin(post, quoter) {
		return fmt.Errorf("activitypub: quote request by %s for the post %s: %w", quoter, post, errNotPermitted)
	}
	if o := instrument.Object; o != nil && len(o.AttributedTo) > 0 && !o.AttributedTo.Has(quoter) {
		return fmt.Errorf("activitypub: quote request by %s for a post of %v: %w", quoter, o.AttributedTo.IDs(), errNotPermitted)
	}
	allowed, err := quoteAllowed(ctx, in.followers, in.urls.quotePolicyOf(article.ActorID, doc), article.ActorID, quoter)
	if err != nil {
		return err
	}
	remote, err := in.remoteActor(ctx, req, quoter)
	if err != nil {
		return fmt.Errorf("activitypub: quote request: %w", err)
	}
	embedded := &vocab.Object{ID: act.ID, Type: vocab.Types{typeQuoteRequest}, Actor: vocab.Ref{IRI: quoter},
		Object: vocab.Ref{IRI: target}, Extra: map[string]json.RawMessage{"instrument": mustJSON(post)}}
	answer := &vocab.Object{Context: quoteContext, ID: in.urls.activity(newID()), Actor: vocab.Ref{IRI: article.ActorID},
		Object: vocab.Ref{Object: embedded}, To: vocab.Refs{{IRI: quoter}}}
	if !allowed {
		answer.Type = vocab.Types{"Reject"}
		in.audit.record(ctx, store.AuditEntry{Actor: quoter, Action: "quote refused", Object: target, Detail: post})
		return in.send(ctx, answer, article.ActorID, target, remote.Inbox)
	}
	stampID, err := in.keepQuoteRequest(ctx, quoter, article.ActorID, target, instrument)
	if err != nil {
		return err
	}
	answer.Type = vocab.Types{"Accept"}
	answer.Extra = map[string]json.RawMessage{"result": mustJSON(stampID)}
	in.audit.record(ctx, store.AuditEntry{Actor: quoter, Action: "quote", Object: target, Detail: post})
	return in.send(ctx, answer, article.ActorID, target, remote.Inbox)
}

// keepQuoteRequest stores the QuoteAuthorization of an accepted request and keeps the quote,
// with what the request embeds of the quoting post; it returns the authorization's id. A request
// repeated for a quote already authorized gets the same authorization.
func (in *inbox) keepQuoteRequest(ctx context.Context, quoter, actorID, target string, instrument vocab.Ref) (string, error) {
	post := instrument.ID()
	kept, err := in.interactions.Interaction(ctx, post)
	switch {
	case err == nil && kept.Kind == store.InteractionQuote && kept.ObjectID == target && kept.ActorID == quoter:
		if prev, err := vocab.Decode(kept.Document); err == nil {
			if id := authorizationOf(prev); id != "" {
				if err := checkStamp(ctx, in.urls, in.objects, id, post, target); err == nil {
					return id, nil
				}
			}
		}
	case err == nil:
		return "", fmt.Errorf("activitypub: quote request for %s, kept as a %s: %w", post, kept.Kind, errNotPermitted)
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("activitypub: quote request: %w", err)
	}
	now := in.now()
	s := &vocab.Object{Context: quoteContext, ID: in.urls.activity(newID()), Type: vocab.Types{typeQuoteAuthorization},
		AttributedTo: vocab.Refs{{IRI: actorID}}, Extra: map[string]json.RawMessage{
			"interactingObject": mustJSON(post), "interactionTarget": mustJSON(target)}}
	sdoc, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("activitypub: quote authorization: %w", err)
	}
	// ObjectID ties the authorization to the article: it is gone (410) with it.
	if err := in.objects.PutObject(ctx, store.Object{ID: s.ID, ActorID: actorID, Type: typeQuoteAuthorization,
		Document: sdoc, Published: now, ObjectID: target}); err != nil {
		return "", fmt.Errorf("activitypub: quote authorization: %w", err)
	}
	q := Reply{ID: post, AuthorID: quoter, URL: post}
	if o := instrument.Object; o != nil {
		q = postOf(o, quoter, time.Time{})
	}
	if err := in.storeQuote(ctx, q, target, s.ID, now); err != nil {
		return "", err
	}
	return s.ID, nil
}

// storeQuote keeps q, a post quoting target under the authorization stampID ("" for a dialect
// without one).
func (in *inbox) storeQuote(ctx context.Context, q Reply, target, stampID string, at time.Time) error {
	kept := replyDocument(q)
	kept.InReplyTo = vocab.Ref{}
	kept.Extra = map[string]json.RawMessage{"quote": mustJSON(target)}
	if stampID != "" {
		kept.Extra[termQuoteAuthorization] = mustJSON(stampID)
	}
	doc, err := json.Marshal(kept)
	if err != nil {
		return fmt.Errorf("activitypub: quote %s: %w", q.ID, err)
	}
	// A quote is never dropped: added is true whenever err is nil.
	if _, err := in.interactions.AddInteraction(ctx, store.Interaction{ID: q.ID, Kind: store.InteractionQuote,
		ObjectID: target, ActorID: q.AuthorID, Document: doc, CreatedAt: at}); err != nil {
		return fmt.Errorf("activitypub: keep quote %s: %w", q.ID, err)
	}
	in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: quote", slog.String("id", q.ID), slog.String("object", target))
	return nil
}

// quote keeps a post of req's actor that quotes one of the site's articles, new or edited, and
// reports whether it did: a FEP-044f quote only with an authorization the site issued for that
// post and article, a quote in an older dialect as it comes. A post that quotes nothing of the
// site's, or without a valid authorization, is left to the caller.
func (in *inbox) quote(ctx context.Context, req *inboxRequest, obj *vocab.Object, edited bool) (bool, error) {
	target, fep := quotedBy(obj)
	ok, err := in.ours(ctx, target)
	if err != nil || !ok {
		return false, err
	}
	author := req.act.Actor.ID()
	if err := checkPost(obj, author); err != nil {
		return false, err
	}
	stampID := ""
	if fep {
		stampID = authorizationOf(obj)
		if !sameOrigin(obj.ID, author) {
			return false, nil
		}
		if err := checkStamp(ctx, in.urls, in.objects, stampID, obj.ID, target); errors.Is(err, ErrNotFound) {
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: quote without a valid authorization",
				slog.String("id", obj.ID), slog.String("object", target), slog.Any("err", err))
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	if err := in.storeQuote(ctx, postOf(obj, author, in.editedAt(obj, edited)), target, stampID, in.now()); err != nil {
		return false, err
	}
	if _, err := in.remoteActor(ctx, req, author); err != nil {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: quote author not cached", slog.String("actor", author), slog.Any("err", err))
	}
	return true, nil
}

// quoteContext is the JSON-LD context of the QuoteAuthorization, and of the Accept and Reject
// that answer a QuoteRequest: AS2 and the FEP-044f and GoToSocial terms, as Mastodon sends them.
var quoteContext = json.RawMessage(`["https://www.w3.org/ns/activitystreams",` +
	`{"gts":"https://gotosocial.org/ns#","QuoteRequest":"https://w3id.org/fep/044f#QuoteRequest",` +
	`"QuoteAuthorization":"https://w3id.org/fep/044f#QuoteAuthorization",` +
	`"interactingObject":{"@id":"gts:interactingObject","@type":"@id"},` +
	`"interactionTarget":{"@id":"gts:interactionTarget","@type":"@id"}}]`)

// SetQuotePolicy changes who may quote an article the site actor published (see QuotePolicy;
// QuoteDefault is the actor's Actor.QuotePolicy): the article's interactionPolicy gets the new
// canQuote, an Update carrying it is queued as [Federation.Update] queues one, and each quote
// authorization the new policy no longer allows is revoked: a Delete of it is sent to the
// quoting actor, its id answers 410 Gone, and the quote is no longer counted. Quotes in dialects
// without authorization (Misskey, Fedibird) stay counted. An article never published, deleted,
// or not the actor's gives an error matching ErrNotFound; an unknown policy an *InvalidError.
func (f *Federation) SetQuotePolicy(ctx context.Context, username, articleURL string, p QuotePolicy) error {
	actor, err := f.actAs(ctx, ActionQuotePolicy, username, articleURL)
	if err != nil {
		return err
	}
	return f.out.setQuotePolicy(ctx, actor, articleURL, p)
}

// setQuotePolicy is the work of SetQuotePolicy, once the call is authorized.
func (p *publisher) setQuotePolicy(ctx context.Context, actor *Actor, articleURL string, policy QuotePolicy) error {
	if err := checkQuotePolicy("policy", policy); err != nil {
		return err
	}
	actorID := p.urls.actor(actor.Username)
	stored, obj, err := p.ownObject(ctx, actorID, articleURL)
	if err != nil {
		return fmt.Errorf("activitypub: quote policy of %s: %w", articleURL, err)
	}
	if _, ok := obj.Extra[termInteractionPolicy]; !ok {
		return fmt.Errorf("activitypub: quote policy of %s: not an article: %w", articleURL, ErrNotFound)
	}
	policy = effectiveQuotePolicy(actor, policy)
	obj.Extra[termInteractionPolicy] = p.render.interactionPolicy(actorID, policy)
	obj.Updated = nextUpdated(obj.Published, obj.Updated, p.now())
	if err := p.federateEdit(ctx, actorID, stored, obj); err != nil {
		return fmt.Errorf("activitypub: quote policy of %s: %w", articleURL, err)
	}
	if err := p.revokeQuotes(ctx, actorID, articleURL, policy); err != nil {
		return fmt.Errorf("activitypub: quote policy of %s: %w", articleURL, err)
	}
	return nil
}

// revokeQuotes revokes the authorization of every quote of the article that the policy of its
// actor actorID does not allow (see revokeQuote).
func (p *publisher) revokeQuotes(ctx context.Context, actorID, articleURL string, policy QuotePolicy) error {
	if policy == QuoteAnyone {
		return nil
	}
	cursor := ""
	for {
		page, err := p.interactions.InteractionsPage(ctx, articleURL, store.InteractionQuote, cursor, p.pageSize)
		if err != nil {
			return fmt.Errorf("quotes: %w", err)
		}
		for _, q := range page.Items {
			ok, err := quoteAllowed(ctx, p.followers, policy, actorID, q.ActorID)
			if err != nil {
				return err
			}
			if !ok {
				if err := p.revokeQuote(ctx, actorID, q); err != nil {
					return err
				}
			}
		}
		if page.Next == "" {
			return nil
		}
		cursor = page.Next
	}
}

// revokeQuote revokes a quote's authorization, as Mastodon does: a Delete of it, by the article's
// actor, queued to the quoting actor's inbox; the authorization becomes a tombstone and the quote
// is no longer kept. A quote without an authorization (an older dialect) is left as it is.
func (p *publisher) revokeQuote(ctx context.Context, actorID string, q store.Interaction) error {
	doc, err := vocab.Decode(q.Document)
	if err != nil {
		return fmt.Errorf("stored quote %s: %w", q.ID, err)
	}
	stampID := authorizationOf(doc)
	if stampID == "" {
		return nil
	}
	del := &vocab.Object{Context: vocab.ContextActivityStreams, ID: p.urls.activity(newID()), Type: vocab.Types{"Delete"},
		Actor: vocab.Ref{IRI: actorID}, Object: vocab.Ref{IRI: stampID}, To: vocab.Refs{{IRI: q.ActorID}},
		Published: p.now().UTC().Truncate(time.Second)}
	// The quoting actor was cached when it asked; a server that cannot be reached now learns of
	// the revocation when it fetches the authorization again and gets 410.
	if remote, err := p.remote.actor(ctx, q.ActorID, nil); err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: quote revoked without notice", slog.String("quote", q.ID),
			slog.String("actor", q.ActorID), slog.Any("err", err))
	} else if err := p.sender.send(ctx, del, actorID, q.ObjectID, remote.Inbox); err != nil {
		return err
	}
	if err := p.objects.DeleteObject(ctx, stampID, p.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("revoke %s: %w", stampID, err)
	}
	if err := p.interactions.RemoveInteraction(ctx, q.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("revoke quote %s: %w", q.ID, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "revoke quote", Object: q.ObjectID, Detail: q.ID})
	return nil
}
