package main

import (
	"context"
	"html/template"
	"log/slog"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// comments is what an article page shows of the fediverse's reactions to it.
type comments struct {
	Replies       []comment
	Likes, Boosts int
}

// comment is one fediverse reply.
type comment struct {
	Author, URL string
	// Content was sanitized by fedsite (bluemonday) when the reply arrived.
	Content template.HTML
}

// maxComments is how many replies an article page shows.
const maxComments = 50

// articleComments returns the site's comments hook: an article's fediverse replies, newest first,
// and its like and boost counts. A store failure is logged and shows no comments.
func articleComments(fed *activitypub.Federation, baseURL string, log *slog.Logger) func(ctx context.Context, a article) comments {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, a article) comments {
		var c comments
		url := baseURL + a.Path()
		n, err := fed.Counts(ctx, url)
		if err != nil {
			log.Warn("newsroom: counts", "article", url, "err", err)
			return c
		}
		c.Likes, c.Boosts = n.Likes, n.Announces
		p, err := fed.Interactions(ctx, url, store.InteractionReply, "", maxComments)
		if err != nil {
			log.Warn("newsroom: replies", "article", url, "err", err)
			return c
		}
		for _, i := range p.Items {
			if r := i.Reply; r != nil {
				c.Replies = append(c.Replies, comment{Author: r.AuthorID, URL: r.URL, Content: template.HTML(r.Content)})
			}
		}
		return c
	}
}
