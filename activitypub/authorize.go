package activitypub

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fedsite/fedsite/store"
)

// Action is what a user of the site asks fedsite to do as one of the site's actors, as
// Config.Authorize sees it. Each exported method that acts as a site actor asks with one of the
// constants below.
type Action string

// The actions, with the methods that ask for them.
const (
	// ActionPublish is [Federation.Publish] and [Federation.Backfill]: articles in the actor's
	// outbox, under its name.
	ActionPublish Action = "publish"
	// ActionUpdate is [Federation.Update], an edit of a published article.
	ActionUpdate Action = "update"
	// ActionDelete is [Federation.Delete], the deletion of a published article.
	ActionDelete Action = "delete"
	// ActionAnnounce is [Federation.Announce] and [Federation.BackfillAnnounces]: boosts.
	ActionAnnounce Action = "announce"
	// ActionApproveFollow is [Federation.ApproveFollow].
	ActionApproveFollow Action = "approve follow"
	// ActionRejectFollow is [Federation.RejectFollow].
	ActionRejectFollow Action = "reject follow"
	// ActionReadMentions is [Federation.Mentions]: reading the posts, direct messages among them,
	// that mention or address the actor.
	ActionReadMentions Action = "read mentions"
	// ActionMove is [Federation.Move], the move of the actor to another account.
	ActionMove Action = "move"
	// ActionMigrateDomain is [Federation.MigrateDomain], the move of every actor from
	// Config.FormerBaseURL to BaseURL, with Actor "" and the former origin as Object.
	ActionMigrateDomain Action = "migrate domain"
	// ActionDeleteActor is [Federation.DeleteActor], the deletion of the actor itself.
	ActionDeleteActor Action = "delete actor"
	// ActionBlock is [Federation.BlockDomain] and [Federation.BlockActor]. Blocks are the site's
	// as a whole: the Act's Actor is "".
	ActionBlock Action = "block"
	// ActionUnblock is [Federation.UnblockDomain] and [Federation.UnblockActor], with Actor "".
	ActionUnblock Action = "unblock"
	// ActionAnswer is [Federation.Answer], [Federation.EditAnswer] and [Federation.DeleteAnswer]:
	// answering a reader as the actor. The Act's Object is the reader's post for Answer, the
	// answer for the other two.
	ActionAnswer Action = "answer"
	// ActionRetryHost is [Operations.RetryHost], with Actor "" and the host as Object.
	ActionRetryHost Action = "retry host"
	// ActionReplay is [Operations.Replay], with Actor "" and, when one delivery is replayed, its
	// id as Object.
	ActionReplay Action = "replay"
	// ActionSubscribeRelay is [Federation.SubscribeRelay], with the relay's URL as Object.
	ActionSubscribeRelay Action = "subscribe relay"
	// ActionUnsubscribeRelay is [Federation.UnsubscribeRelay], with the relay's URL as Object.
	ActionUnsubscribeRelay Action = "unsubscribe relay"
	// ActionModerateReply is [Operations.HideReply] and [Operations.DeleteReply], with Actor ""
	// and the reply's id as Object.
	ActionModerateReply Action = "moderate reply"
	// ActionQuotePolicy is [Federation.SetQuotePolicy], with the article's URL as Object.
	ActionQuotePolicy Action = "set quote policy"
	// ActionExportRecord is [Federation.ExportRecord], with Actor "" and the filter's actor, if
	// any, as Object.
	ActionExportRecord Action = "export record"
	// ActionLegalHold is [Federation.PutLegalHold] (Object the hold's actor, "" for all) and
	// [Federation.RemoveLegalHold] (Object the hold's ID), with Actor "".
	ActionLegalHold Action = "legal hold"
)

// An Act is one action a user of the site asks for, as Config.Authorize is asked about it.
type Act struct {
	// User is the site's own id for the user, as [WithUser] put it in the call's context; "" when
	// the context carries none, as for a background job of the site.
	User string
	// Action is what the user asks for.
	Action Action
	// Actor is the username of the site actor the user would act as, as the call names it; ""
	// for what the site does as a whole (ActionBlock, ActionUnblock).
	Actor string
	// Object is what the action is about, when the call names one thing: the article URL of a
	// publish, update, delete or announce, the follower of an approve or reject, the move's
	// target, the blocked domain or actor. "" for Backfill, BackfillAnnounces, DeleteActor and
	// Mentions.
	Object string
}

// userKey is the context key of the site user; see WithUser.
type userKey struct{}

// WithUser returns a copy of ctx that carries user, the site's own id for the person signed in
// (a login, an SSO subject), for the [Federation] methods called with it: Config.Authorize sees
// it as [Act].User and a refused action is audited under it. The site's authentication
// middleware, or the handler behind it, sets it once per request. An empty user is no user.
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// userFrom returns the site user WithUser put in ctx, "" when there is none.
func userFrom(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// authorize asks Config.Authorize whether the site user in ctx may take action as the site actor
// username (about object). When it may not, the refusal is audited and logged and authorize
// returns an error matching ErrForbidden. Every exported method that acts as a site actor calls
// it before anything else, so that a refused call reads, stores and sends nothing.
func (f *Federation) authorize(ctx context.Context, action Action, username, object string) error {
	act := Act{User: userFrom(ctx), Action: action, Actor: username, Object: object}
	if f.cfg.Authorize == nil || f.cfg.Authorize(ctx, act) {
		return nil
	}
	actorID := ""
	if username != "" {
		actorID = f.urls.actor(username)
	}
	f.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: string(action) + " denied", Object: object})
	f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: forbidden", slog.String("user", act.User),
		slog.String("action", string(action)), slog.String("actor", username), slog.String("object", object))
	as := ""
	if username != "" {
		as = " as " + username
	}
	return fmt.Errorf("activitypub: site user %q may not %s%s: %w", act.User, action, as, ErrForbidden)
}

// actAs is how each method that acts as a site actor begins: it asks Config.Authorize whether
// the call's user may take action as username about object, then looks the actor up.
func (f *Federation) actAs(ctx context.Context, action Action, username, object string) (*Actor, error) {
	if err := f.authorize(ctx, action, username, object); err != nil {
		return nil, err
	}
	return f.actors.lookup(ctx, username)
}
