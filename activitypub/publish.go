package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Article is an article of the site as fedsite publishes it. Only URL and Title are required;
// every other field's zero value is its documented default. How the fields map to AS2 depends on
// Mode, which compares the renderings per server.
type Article struct {
	// URL is the article's permanent address on the site. It becomes the AS2 object's id, so it
	// must be on the host of Config.BaseURL and never be reused. Required.
	URL string
	// Title is the headline, plain text. Required.
	Title string
	// Mode chooses the rendering: ModeArticle or ModeNote. Default (ModeDefault):
	// Config.Publishing.Mode.
	Mode Mode
	// Excerpt is a short teaser, HTML or plain text. ModeNote puts it between the title and the
	// link; ModeArticle sends it as a FEP-b2b8 preview. It is never sent as summary, so no server
	// shows it as a content warning. Default: Summary, else the start of Content as plain text.
	Excerpt string
	// Summary is sent as the AS2 summary of a ModeArticle rendering, HTML. Mastodon shows it as the
	// teaser under the title, but GoToSocial, Misskey and Akkoma show it as a content warning that
	// hides the body, so most sites leave it empty and set Excerpt. ContentWarning overrides it;
	// ModeNote uses it only as the Excerpt default. Default: none.
	Summary string
	// Content is the article body, HTML. It is sanitized to the elements Mastodon keeps (p, br, a,
	// span, del, pre, code, em, strong, b, i, u, ul, ol, li, blockquote, h1–h6); images belong in
	// Images. ModeNote does not send it.
	Content string
	// ContentWarning, plain text, is a real content warning: it is sent as summary and marks the
	// post sensitive, so Mastodon (for a Note), GoToSocial, Misskey and Akkoma hide the text and
	// media behind it. Mastodon cannot hide an Article's text; it shows the warning as the teaser.
	// Default: none.
	ContentWarning string
	// Sensitive marks the media sensitive (hidden until clicked) without a warning text. A
	// ContentWarning implies it. Default: false.
	Sensitive bool
	// Tags are hashtags, with or without the leading '#': letters, digits and '_', not only digits.
	// Each becomes a Hashtag tag linking to the site's tag page (Config.Publishing.TagURL) and a
	// link in content. Default: none.
	Tags []string
	// Mentions are fediverse accounts the article mentions: each gets a Mention tag, a link in
	// content and an address in cc. Default: none.
	Mentions []Mention
	// Language is the BCP 47 tag of the text, such as "en"; it keys contentMap, nameMap and
	// summaryMap. Default: not stated.
	Language string
	// ImageURL is the lead image, sent as the object's image (the thumbnail Lemmy and others show).
	// It is not attached as media: Mastodon would then drop the link preview card. Default: none.
	ImageURL string
	// Images are attached as media, at most four (Mastodon's limit; more is an *InvalidError).
	// Pixelfed shows only posts with one. Default: none.
	Images []Image
	// Published is when the article was published. Default: the time of the Publish call.
	Published time.Time
	// QuotePolicy says who may quote the article (FEP-044f, Mastodon 4.5): it is sent as the
	// canQuote of its interactionPolicy and applied to the QuoteRequests it gets. Changing it
	// with [Federation.Update] or [Federation.SetQuotePolicy] revokes the authorizations of
	// quotes it no longer allows. Default: the actor's Actor.QuotePolicy.
	QuotePolicy QuotePolicy
}

// Publish federates an article: it renders the AS2 Article, stores it with its Create activity in
// the actor's outbox, and queues delivery to every follower and to the relays the actor
// subscribed to (see [Federation.SubscribeRelay]). It returns once that is stored;
// delivery happens in [Federation.Run] and its failures never reach the caller. An unknown actor
// gives an error matching ErrNotFound; an article published before, ErrAlreadyPublished; an
// article fedsite cannot publish, an *InvalidError.
func (f *Federation) Publish(ctx context.Context, username string, a Article) error {
	actor, err := f.actAs(ctx, ActionPublish, username, a.URL)
	if err != nil {
		return err
	}
	return f.out.publish(ctx, actor, a)
}

// publish is the work of Publish, once the call is authorized.
func (p *publisher) publish(ctx context.Context, actor *Actor, a Article) error {
	if err := checkArticle(p.urls, a); err != nil {
		return err
	}
	_, err := p.objects.Object(ctx, a.URL)
	switch {
	case err == nil:
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, ErrAlreadyPublished)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	if a.Published.IsZero() {
		a.Published = p.now()
	}
	actorID := p.urls.actor(actor.Username)
	create, err := p.storeArticle(ctx, actor, a)
	if err != nil {
		return err
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "publish", Object: a.URL, Detail: create.ID})
	acts, err := p.toRelays(ctx, actorID, create.ID, create.ObjectID)
	if err != nil {
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	acts = append(acts, delivery.Activity{ID: create.ID, ObjectID: create.ObjectID, ActorID: actorID})
	if err := p.sender.enqueue(ctx, create, acts...); err != nil {
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	return nil
}

// publisher stores what the site's actors send, as activities that the sender signs, and queues
// their delivery: articles and their Creates (this file and backfill.go), edits and deletes
// (edit.go), boosts (announce.go), moves (move.go), answers (answer.go), quote policies and
// revoked quotes (quote.go), answers to follow requests (followrequest.go), and relay
// subscriptions and the deliveries to relays (relay.go). The exported methods of Federation authorize the call, then
// hand the work to it. It holds only the parts of the store it uses.
// It is safe for concurrent use.
type publisher struct {
	urls     urlLayout
	now      func() time.Time
	log      *slog.Logger
	render   renderer
	actors   *siteActors
	pageSize int

	objects      store.Objects
	outbox       store.Outbox
	interactions store.Interactions
	followers    store.Followers
	requests     store.FollowRequests
	// site is the whole site store, for its optional capabilities (store.Relays).
	site   store.Site
	sender *sender
	// keys are made before an actor's Delete of itself is signed.
	keys *keyring
	// remote fetches the target of a Move and reads the cached actors that an answer, a revoked
	// quote's Delete and a LitePub relay's Follow go to; blocks refuse a Move, a relay and a
	// follower that a block covers.
	remote *remote
	blocks *blockList
	audit  auditLog
	// allowHTTP is Insecure.AllowHTTP: a relay may be named by an http URL.
	allowHTTP bool
}

// newPublisher builds the publisher of f, the site of cfg.
func newPublisher(cfg Config, f *Federation) *publisher {
	return &publisher{urls: f.urls, now: cfg.Now, log: cfg.Logger, render: newRenderer(cfg, f.urls), actors: f.actors, pageSize: cfg.Publishing.PageSize,
		objects: cfg.Store, outbox: cfg.Store, interactions: cfg.Store, followers: cfg.Store, requests: cfg.Store, site: cfg.Store,
		sender: f.sender, keys: f.keys, remote: f.remote, blocks: f.blocks, audit: f.audit,
		allowHTTP: cfg.Insecure.AllowHTTP}
}

// storeArticle renders a checked article with its Create activity and appends them to the
// actor's outbox, without queuing any delivery. It returns the Create as stored, whose ObjectID
// is the article's id.
func (p *publisher) storeArticle(ctx context.Context, actor *Actor, a Article) (store.Object, error) {
	actorID := p.urls.actor(actor.Username)
	obj := p.render.article(actor, a)
	create := p.carrying("Create", actorID, obj.Published, obj)

	objDoc, err := json.Marshal(obj)
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	createDoc, err := p.sender.encode(ctx, create, actorID)
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	sent := store.Object{ID: create.ID, ActorID: actorID, Type: "Create", Document: createDoc, Published: a.Published, ObjectID: obj.ID}
	err = p.outbox.AppendOutbox(ctx, sent,
		store.Object{ID: obj.ID, ActorID: actorID, Type: obj.Type.First(), Document: objDoc, Published: a.Published})
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	return sent, nil
}

// carrying returns a new activity of type typ (a Create or an Update) by actorID, dated at, that
// carries obj embedded (without its @context) and is addressed as obj is.
func (p *publisher) carrying(typ, actorID string, at time.Time, obj *vocab.Object) *vocab.Object {
	act := &vocab.Object{
		Context:   obj.Context,
		ID:        p.urls.activity(newID()),
		Type:      vocab.Types{typ},
		Actor:     vocab.Ref{IRI: actorID},
		Published: at,
		To:        obj.To,
		Cc:        obj.Cc,
	}
	embedded := *obj
	embedded.Context = nil
	act.Object = vocab.Ref{Object: &embedded}
	return act
}

// checkArticle checks an article the site publishes: a title, a URL on the site outside
// fedsite's own routes, and what checkRender checks.
func checkArticle(urls urlLayout, a Article) error {
	if strings.TrimSpace(a.Title) == "" {
		return invalid("Article.Title", "required")
	}
	if !urls.local(a.URL) {
		return invalid("Article.URL", "%q is not an absolute URL on %s", a.URL, urls.base)
	}
	if urls.inRoutes(a.URL) {
		return invalid("Article.URL", "%q is inside fedsite's own %s/ routes", a.URL, prefix)
	}
	return checkRender(a)
}
