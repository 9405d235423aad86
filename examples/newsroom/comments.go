package main

import (
	"context"
	"html/template"
	"log/slog"
	"slices"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// comments is what an article page shows of the fediverse's reactions to it.
type comments struct {
	Replies []comment
	// Quotes are the latest posts that quote the article, oldest first.
	Quotes                    []comment
	Likes, Boosts, QuoteCount int
	// Dislikes are Friendica's and Lemmy's downvotes; Reactions the emoji reactions, the most
	// used first.
	Dislikes  int
	Reactions []activitypub.ReactionCount
}

// comment is one fediverse reply, as a comment list shows it.
type comment struct {
	// Name is the author's display name (else the actor's address); Handle is "@user@host", "" when
	// unknown. AvatarURL is "" without a picture.
	Name, Handle, AvatarURL, ProfileURL string
	// URL is the reply's own page.
	URL       string
	Published time.Time
	// Warning is the reply's content warning, shown in place of the content until the reader
	// opens it; Sensitive without a warning hides it under a generic one.
	Warning   string
	Sensitive bool
	// Content was sanitized by fedsite (bluemonday) when the reply arrived.
	Content template.HTML
	// ID is the reply's id, which an editor's answer names. Answer marks the newsroom's own
	// answer to a reader's reply, editable by the editors.
	ID     string
	Answer bool
	// Parent is the post it answers: the article, or another comment. Depth is how deep in the
	// thread it is, 0 for a reply to the article, at most maxDepth.
	Parent string
	Depth  int
}

// maxDepth is the deepest a comment is indented; deeper answers are shown at that depth.
const maxDepth = 5

// threaded orders comments (oldest first) as a thread: each followed by its answers, oldest
// first, and so on, with its depth set. A comment whose parent is not among them (the article,
// or a reply beyond the page) starts a thread of its own.
func threaded(cs []comment) []comment {
	ids := make(map[string]bool, len(cs))
	for _, c := range cs {
		ids[c.ID] = true
	}
	children := make(map[string][]comment)
	var roots []comment
	for _, c := range cs {
		if c.Parent != c.ID && ids[c.Parent] {
			children[c.Parent] = append(children[c.Parent], c)
		} else {
			roots = append(roots, c)
		}
	}
	out := make([]comment, 0, len(cs))
	shown := make(map[string]bool, len(cs))
	var walk func(c comment, depth int)
	walk = func(c comment, depth int) {
		if shown[c.ID] {
			return
		}
		shown[c.ID] = true
		c.Depth = min(depth, maxDepth)
		out = append(out, c)
		for _, ch := range children[c.ID] {
			walk(ch, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for _, c := range cs { // comments whose parents loop back to them
		walk(c, 0)
	}
	return out
}

// Initial is the first letter of the author's name, shown when there is no picture.
func (c comment) Initial() string {
	for _, r := range c.Name {
		return string(r)
	}
	return "?"
}

// maxComments is how many replies an article page shows.
const maxComments = 50

// articleComments returns the site's comments hook: an article's latest fediverse replies as a
// thread, oldest first as a conversation reads, each followed by its answers, and the posts that
// quote it, and its like, boost, quote, dislike and emoji reaction counts. A store failure is
// logged and shows no comments.
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
		c.Likes, c.Boosts, c.QuoteCount, c.Dislikes, c.Reactions = n.Likes, n.Announces, n.Quotes, n.Dislikes, n.Reactions
		// latest reads the latest posts of kind, oldest first, when the counts say there are any.
		latest := func(kind store.InteractionKind, count int) ([]comment, error) {
			if count == 0 {
				return nil, nil
			}
			p, err := fed.Interactions(ctx, url, kind, "", maxComments)
			if err != nil {
				return nil, err
			}
			var out []comment
			for _, i := range slices.Backward(p.Items) { // the page is newest first
				if r := i.Reply; r != nil {
					out = append(out, commentOf(i.CreatedAt, r))
				}
			}
			return out, nil
		}
		if c.Replies, err = latest(store.InteractionReply, n.Replies); err != nil {
			log.Warn("newsroom: replies", "article", url, "err", err)
			return comments{}
		}
		if c.Quotes, err = latest(store.InteractionQuote, n.Quotes); err != nil {
			log.Warn("newsroom: quotes", "article", url, "err", err)
			return comments{}
		}
		c.Replies = threaded(c.Replies)
		return c
	}
}

// commentOf shows a reply: its author as the actor cache knows them, and its date (when it was
// received, if it did not say when it was written).
func commentOf(received time.Time, r *activitypub.Reply) comment {
	c := comment{Name: r.Author.Name, Handle: r.Author.Handle, AvatarURL: r.Author.AvatarURL, ProfileURL: r.Author.ProfileURL,
		URL: r.URL, Published: r.Published, Warning: r.Summary, Sensitive: r.Sensitive, Content: template.HTML(r.Content),
		ID: r.ID, Answer: r.AnswerTo != "", Parent: r.Parent}
	if c.Name == "" {
		c.Name = r.AuthorID
	}
	if c.Published.IsZero() {
		c.Published = received
	}
	return c
}

// deliveryReport is how an article reached its followers' servers, for the editor.
type deliveryReport struct {
	// Servers is how many servers the article was sent to; Delivered how many of them have every
	// activity about it (its Create, its edits); Waiting how many still have some queued or
	// retrying, Failed how many gave up on one.
	Servers, Delivered, Waiting, Failed int
}

// articleDelivery returns the site's delivery hook, from Federation.DeliveryStatus. A store
// failure is logged and shows nothing.
func articleDelivery(fed *activitypub.Federation, baseURL string, log *slog.Logger) func(ctx context.Context, a article) *deliveryReport {
	return func(ctx context.Context, a article) *deliveryReport {
		st, err := fed.DeliveryStatus(ctx, baseURL+a.Path())
		if err != nil {
			log.Warn("newsroom: delivery status", "article", a.Slug, "err", err)
			return nil
		}
		r := &deliveryReport{Servers: len(st.Hosts)}
		for _, h := range st.Hosts {
			switch {
			case h.Failed > 0:
				r.Failed++
			case h.Queued > 0 || h.Retrying > 0:
				r.Waiting++
			default:
				r.Delivered++
			}
		}
		return r
	}
}
