package operator

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/store"
)

// articlePage is the article page's data.
type articlePage struct {
	URL      string
	Counts   activitypub.Counts
	Delivery delivery.Status
	// Done is the share of the deliveries that are delivered or failed, in percent.
	Done int
	// MoreHosts counts the servers left out of Delivery.Hosts, which holds at most a page of
	// them, those with deliveries not delivered first.
	MoreHosts int
	// Lists are the interactions by kind: replies, quotes, likes and boosts, or only the kind
	// asked for.
	Lists []interactionList
}

// interactionList is one page of an article's interactions of one kind.
type interactionList struct {
	Kind, Heading string
	Items         []activitypub.Interaction
	// Next is the cursor of the next page, "" on the last.
	Next string
}

// interactionKinds are the lists an article page shows, in order.
var interactionKinds = []struct {
	kind    store.InteractionKind
	heading string
}{
	{store.InteractionReply, "Replies"},
	{store.InteractionHiddenReply, "Hidden replies"},
	{store.InteractionQuote, "Quotes"},
	{store.InteractionLike, "Likes"},
	{store.InteractionAnnounce, "Boosts"},
	{store.InteractionReaction, "Emoji reactions"},
	{store.InteractionDislike, "Dislikes"},
}

// showArticle renders the article page with status and, after a refused form, its error: the
// article named by ?url=, its delivery and interactions. With ?kind= it lists only that kind,
// from ?cursor=. Without a URL it shows the lookup form.
func (h *Handler) showArticle(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ctx := r.Context()
	q := r.URL.Query()
	// FormValue: the query of a page, the form of a refused POST.
	p := articlePage{URL: strings.TrimSpace(r.FormValue("url"))}
	v := view{Title: "Article", Nav: "overview", Error: msg, Page: &p}
	if p.URL == "" {
		h.render(w, r, status, "article.html", v)
		return
	}
	fed := h.cfg.Federation
	var err error
	if p.Counts, err = fed.Counts(ctx, p.URL); err != nil {
		h.fail(w, r, "counts", err)
		return
	}
	if p.Delivery, err = fed.DeliveryStatus(ctx, p.URL); err != nil {
		h.fail(w, r, "delivery status", err)
		return
	}
	t := p.Delivery.Total
	if all := t.Queued + t.Retrying + t.Delivered + t.Failed; all > 0 {
		p.Done = 100 * (t.Delivered + t.Failed) / all
	}
	// A fan-out reaches thousands of servers: show a page of them, those that did not get
	// everything first, as they are what an operator looks for.
	hosts := p.Delivery.Hosts
	pending := func(h delivery.HostStatus) int { return min(h.Queued+h.Retrying+h.Failed, 1) }
	slices.SortStableFunc(hosts, func(a, b delivery.HostStatus) int { return cmp.Compare(pending(b), pending(a)) })
	if len(hosts) > h.cfg.PageSize {
		p.Delivery.Hosts, p.MoreHosts = hosts[:h.cfg.PageSize], len(hosts)-h.cfg.PageSize
	}
	if t.Queued > 0 {
		// A fan-out is under way: the page reloads itself until it settles.
		v.Refresh = 2
	}
	kind, cursor := q.Get("kind"), q.Get("cursor")
	for _, k := range interactionKinds {
		if kind != "" && kind != string(k.kind) {
			continue
		}
		c := ""
		if kind != "" {
			c = cursor
		}
		page, err := fed.Interactions(ctx, p.URL, k.kind, c, h.cfg.PageSize)
		if errors.Is(err, store.ErrBadCursor) {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		if err != nil {
			h.fail(w, r, "interactions", err)
			return
		}
		p.Lists = append(p.Lists, interactionList{Kind: string(k.kind), Heading: k.heading, Items: page.Items, Next: page.Next})
	}
	if kind != "" && len(p.Lists) == 0 {
		http.Error(w, "unknown kind", http.StatusBadRequest)
		return
	}
	h.render(w, r, status, "article.html", v)
}

// actorPage is the data of a page about one actor: its follow requests or its mentions.
type actorPage struct {
	// Actor is the actor shown; Actors all of them, to switch between.
	Actor  string
	Actors []string
	// Items is a page of store.FollowRequest or activitypub.InboxMention; Next the cursor of the
	// next page, "" on the last.
	Items any
	Next  string
}

// actorOf starts an actorPage for the actor named by ?actor=, by default the first listed. It
// answers 404 itself, and returns false, for an actor that is not listed.
func (h *Handler) actorOf(w http.ResponseWriter, r *http.Request) (*actorPage, bool) {
	names, err := h.cfg.Actors.FederatedActorNames(r.Context())
	if err != nil {
		h.fail(w, r, "list actors", err)
		return nil, false
	}
	// FormValue: the query of a page, the form of a refused POST.
	p := &actorPage{Actor: r.FormValue("actor"), Actors: names}
	if p.Actor == "" && len(names) > 0 {
		p.Actor = names[0]
	}
	for _, n := range names {
		if n == p.Actor {
			return p, true
		}
	}
	http.Error(w, "no such actor", http.StatusNotFound)
	return nil, false
}

// listed answers a failed listing: 404 for an unknown actor, 400 for a bad cursor (an
// *activitypub.InvalidError from Blocks), else 500. It reports whether err was nil.
func (h *Handler) listed(w http.ResponseWriter, r *http.Request, err error) bool {
	_, invalid := errors.AsType[*activitypub.InvalidError](err)
	switch {
	case err == nil:
		return true
	case errors.Is(err, activitypub.ErrNotFound):
		http.Error(w, "no such actor", http.StatusNotFound)
	case invalid || errors.Is(err, store.ErrBadCursor):
		http.Error(w, "bad cursor", http.StatusBadRequest)
	default:
		h.fail(w, r, "list", err)
	}
	return false
}

// listPage reads the page of list from ?cursor=. It answers the request itself (see listed), and
// returns false, when that fails.
func listPage[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, cursor string, limit int) (store.Page[T], error)) (store.Page[T], bool) {
	page, err := list(r.Context(), r.URL.Query().Get("cursor"), h.cfg.PageSize)
	return page, h.listed(w, r, err)
}

// listActor starts the page of the actor named by the request (see actorOf) and fills it with the
// page of list from ?cursor=. It answers the request itself, and returns false, when that fails.
func listActor[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, actor, cursor string, limit int) (store.Page[T], error)) (*actorPage, bool) {
	p, ok := h.actorOf(w, r)
	if !ok {
		return nil, false
	}
	page, err := list(r.Context(), p.Actor, r.URL.Query().Get("cursor"), h.cfg.PageSize)
	if !h.listed(w, r, err) {
		return nil, false
	}
	p.Items, p.Next = page.Items, page.Next
	return p, true
}

// showRequests renders the follow requests page with status and, after a refused form, its error.
func (h *Handler) showRequests(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p, ok := listActor(h, w, r, h.cfg.Federation.FollowRequests)
	if !ok {
		return
	}
	h.render(w, r, status, "requests.html", view{Title: "Follow requests", Nav: "requests", Error: msg, Page: p})
}

// decideRequest approves or rejects the follow request named by the form's actor and follower.
func (h *Handler) decideRequest(w http.ResponseWriter, r *http.Request) {
	actor, follower := r.PostFormValue("actor"), r.PostFormValue("follower")
	var err error
	switch r.PostFormValue("decision") {
	case "approve":
		err = h.cfg.Federation.ApproveFollow(r.Context(), actor, follower)
	case "reject":
		err = h.cfg.Federation.RejectFollow(r.Context(), actor, follower)
	default:
		http.Error(w, "decision must be approve or reject", http.StatusBadRequest)
		return
	}
	switch {
	case errors.Is(err, activitypub.ErrNotFound):
		h.showRequests(w, r, http.StatusNotFound, "No such request is pending: it was answered or withdrawn.")
	case errors.Is(err, activitypub.ErrBlocked):
		h.showRequests(w, r, http.StatusConflict, follower+" is blocked: lift the block to approve it.")
	default:
		if h.acted(w, r, err, h.showRequests) {
			seeOther(w, "requests?"+url.Values{"actor": {actor}}.Encode())
		}
	}
}

func (h *Handler) serveMentions(w http.ResponseWriter, r *http.Request) {
	p, ok := listActor(h, w, r, h.cfg.Federation.Mentions)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "mentions.html", view{Title: "Mentions", Nav: "mentions", Page: p})
}

// moderationPage is the moderation page's data.
type moderationPage struct {
	Blocks []store.Block
	// Next is the cursor of the next page, "" on the last.
	Next string
	// Flags are the latest reports received; MoreFlags tells whether there are older ones.
	Flags     []store.AuditEntry
	MoreFlags bool
	// Kind, Target and Reason refill the block form after it was refused.
	Kind, Target, Reason string
}

func (h *Handler) serveModeration(w http.ResponseWriter, r *http.Request) {
	h.showModeration(w, r, http.StatusOK, "", moderationPage{Kind: "domain"})
}

// showModeration renders the moderation page with status and, after a refused form, its error and values.
func (h *Handler) showModeration(w http.ResponseWriter, r *http.Request, status int, msg string, p moderationPage) {
	page, ok := listPage(h, w, r, h.cfg.Federation.Blocks)
	if !ok {
		return
	}
	p.Blocks, p.Next = page.Items, page.Next
	flags, err := h.cfg.Federation.Operations().Audit(r.Context(), activitypub.AuditFilter{Action: activitypub.AuditFlag}, "", h.cfg.PageSize)
	if err != nil {
		h.fail(w, r, "reports", err)
		return
	}
	p.Flags, p.MoreFlags = flags.Items, flags.Next != ""
	h.render(w, r, status, "moderation.html", view{Title: "Moderation", Nav: "moderation", Error: msg, Page: p})
}

// moderate blocks (action=block) or unblocks (action=unblock) the domain or actor (kind) named by
// target, in the name of the signed-in user (the request context carries it).
func (h *Handler) moderate(w http.ResponseWriter, r *http.Request) {
	ctx, fed := r.Context(), h.cfg.Federation
	p := moderationPage{Kind: r.PostFormValue("kind"), Target: strings.TrimSpace(r.PostFormValue("target")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	var err error
	switch r.PostFormValue("action") + " " + p.Kind {
	case "block domain":
		err = fed.BlockDomain(ctx, p.Target, p.Reason)
	case "block actor":
		err = fed.BlockActor(ctx, p.Target, p.Reason)
	case "unblock domain":
		err = fed.UnblockDomain(ctx, p.Target)
	case "unblock actor":
		err = fed.UnblockActor(ctx, p.Target)
	default:
		http.Error(w, "action must be block or unblock, kind domain or actor", http.StatusBadRequest)
		return
	}
	if _, ok := errors.AsType[*activitypub.InvalidError](err); ok {
		h.showModeration(w, r, http.StatusBadRequest, err.Error(), p)
		return
	}
	if errors.Is(err, activitypub.ErrNotFound) {
		h.showModeration(w, r, http.StatusNotFound, p.Target+" is not blocked.", moderationPage{Kind: "domain"})
		return
	}
	showForm := func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		h.showModeration(w, r, status, msg, p)
	}
	if !h.acted(w, r, err, showForm) {
		return
	}
	seeOther(w, "moderation")
}
