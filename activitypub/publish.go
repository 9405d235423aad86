package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Article is an article of the site as fedsite publishes it.
type Article struct {
	// URL is the article's permanent address on the site. It becomes the AS2 object's id, so it
	// must be on the host of Config.BaseURL and never be reused. Required.
	URL string
	// Title is the headline. Required.
	Title string
	// Summary is a short teaser, HTML. Mastodon shows it under the title; GoToSocial, Misskey and
	// Akkoma show it as a content warning over the body. Default: none.
	Summary string
	// Content is the article body, HTML.
	Content string
	// Language is the BCP 47 tag of the text, such as "en". Default: not stated.
	Language string
	// ImageURL is the lead image. Default: none.
	ImageURL string
	// Published is when the article was published. Default: the time of the Publish call.
	Published time.Time
}

// Publish federates an article: it renders the AS2 Article, stores it with its Create activity in
// the actor's outbox, and queues delivery to every follower. It returns once that is stored;
// delivery happens in [Federation.Run] and its failures never reach the caller. An unknown actor
// gives an error matching ErrNotFound; an article published before, ErrAlreadyPublished; an
// article fedsite cannot publish, an *InvalidError.
func (f *Federation) Publish(ctx context.Context, username string, a Article) error {
	actor, err := f.lookupActor(ctx, username)
	if err != nil {
		return err
	}
	if err := f.checkArticle(a); err != nil {
		return err
	}
	_, err = f.cfg.Store.Object(ctx, a.URL)
	switch {
	case err == nil:
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, ErrAlreadyPublished)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	if a.Published.IsZero() {
		a.Published = f.cfg.Now()
	}
	actorID := f.urls.actor(actor.Username)
	obj := f.renderArticle(actorID, a)
	create := &vocab.Object{
		Context:   vocab.ContextActivityStreams,
		ID:        f.urls.activity(newID()),
		Type:      vocab.Types{"Create"},
		Actor:     vocab.Ref{IRI: actorID},
		Published: obj.Published,
		To:        obj.To,
		Cc:        obj.Cc,
	}
	embedded := *obj
	embedded.Context = nil
	create.Object = vocab.Ref{Object: &embedded}

	objDoc, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	createDoc, err := json.Marshal(create)
	if err != nil {
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	err = f.cfg.Store.AppendOutbox(ctx,
		store.Object{ID: create.ID, ActorID: actorID, Type: "Create", Document: createDoc, Published: a.Published},
		store.Object{ID: obj.ID, ActorID: actorID, Type: "Article", Document: objDoc, Published: a.Published})
	if err != nil {
		return fmt.Errorf("activitypub: publish %s: %w", a.URL, err)
	}
	f.audit(ctx, store.AuditEntry{Actor: actorID, Action: "publish", Object: a.URL, Detail: create.ID})
	f.queue.push(delivery{activityID: create.ID, actorID: actorID})
	return nil
}

func (f *Federation) checkArticle(a Article) error {
	if strings.TrimSpace(a.Title) == "" {
		return invalid("Article.Title", "required")
	}
	if !f.urls.local(a.URL) {
		return invalid("Article.URL", "%q is not an absolute URL on %s", a.URL, f.urls.base)
	}
	if strings.HasPrefix(a.URL, f.urls.base+prefix+"/") {
		return invalid("Article.URL", "%q is inside fedsite's own %s/ routes", a.URL, prefix)
	}
	return nil
}

// renderArticle renders an article as an AS2 Article addressed to the public with the actor's
// followers in cc, the addressing Mastodon needs to show it on public timelines.
func (f *Federation) renderArticle(actorID string, a Article) *vocab.Object {
	followers := actorID + "/followers"
	o := &vocab.Object{
		Context:      vocab.ContextActivityStreams,
		ID:           a.URL,
		Type:         vocab.Types{"Article"},
		AttributedTo: vocab.Refs{{IRI: actorID}},
		Name:         a.Title,
		Summary:      a.Summary,
		Content:      a.Content,
		URL:          vocab.Refs{{IRI: a.URL}},
		Published:    a.Published.UTC().Truncate(time.Second),
		To:           vocab.Refs{{IRI: vocab.PublicIRI}},
		Cc:           vocab.Refs{{IRI: followers}},
	}
	if a.Language != "" {
		o.ContentMap = map[string]string{a.Language: a.Content}
		if a.Title != "" {
			o.NameMap = map[string]string{a.Language: a.Title}
		}
	}
	if a.ImageURL != "" {
		o.Image = vocab.Refs{imageRef(a.ImageURL)}
	}
	return o
}
