package activitypub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Answers: a site actor answering a reader's reply, mention or direct message as Mastodon answers
// one (INTEROP §1.11): a Note in reply to the post, mentioning its author with a Mention tag and a
// link in content, addressed as the post was, in the post's FEP-7888 context.

// Answer is what a site actor says back to a reader's post, with [Federation.Answer].
type Answer struct {
	// InReplyTo is the id of the reader's post as fedsite kept it: a [Reply]'s ID, or the ID of
	// an [InboxMention] of the answering actor. Required.
	InReplyTo string
	// Content is the answer, HTML, sanitized with the policy of articles' content. A mention of
	// the post's author is put before it, as Mastodon does. Required.
	Content string
}

// Answer has the site actor with that username answer a reader's post that fedsite kept, and
// returns the answer's id, a URL under the site's /ap/notes/ that serves it. The answer is a Note
// in reply to the post that mentions its author, in the post's FEP-7888 context (for a reply to
// an article without one, the article's URL), addressed as the post was:
//
//   - a public post: to the public, cc the actor's followers and the author;
//   - an unlisted one: to the actor's followers, cc the public and the author;
//   - a followers-only or direct one: to the author alone, so nothing of it reaches the
//     actor's followers or the public. A reply kept before fedsite kept replies' addressing
//     counts as private too.
//
// It is stored with its Create and queued like an article, to the author's inbox and, when
// public, to every follower of the actor; a public answer is appended to the actor's outbox. An
// answer to a reply is kept as a reply to the article, so that [Federation.Interactions] lists
// it in the article's comments with [Reply.AnswerTo] set. The actor's followers and the author
// are those of the moment: the author's actor document is read from the actor cache, or fetched.
//
// A post fedsite did not keep, one kept as neither a reply nor a mention of this actor, and an
// unknown actor give an error matching ErrNotFound, and nothing is stored or sent; empty content
// gives an *InvalidError.
func (f *Federation) Answer(ctx context.Context, username string, a Answer) (string, error) {
	actor, err := f.actAs(ctx, ActionAnswer, username, a.InReplyTo)
	if err != nil {
		return "", err
	}
	return f.out.answer(ctx, actor, a)
}

// answer is the work of Answer, once the call is authorized.
func (p *publisher) answer(ctx context.Context, actor *Actor, a Answer) (string, error) {
	actorID := p.urls.actor(actor.Username)
	content := sanitizeBlock(strings.ToValidUTF8(a.Content, "\uFFFD"))
	if content == "" {
		return "", invalid("Answer.Content", "required")
	}
	t, err := p.answered(ctx, actorID, a.InReplyTo)
	if err != nil {
		return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
	}
	author, err := p.remote.actor(ctx, t.author, nil)
	if err != nil {
		return "", fmt.Errorf("activitypub: answer %s: author: %w", a.InReplyTo, err)
	}
	// Where the Create goes: the followers when public, and the author's inbox unless the
	// author follows and so gets it with them.
	direct := true
	if t.public() {
		follows, err := isFollower(ctx, p.followers, actorID, t.author)
		if err != nil {
			return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
		}
		direct = !follows
	}

	now := p.now().UTC().Truncate(time.Second)
	href, user := answerMention(author)
	note := &vocab.Object{
		Context:      objectContext,
		ID:           p.urls.note(newID()),
		Type:         vocab.Types{"Note"},
		AttributedTo: vocab.Refs{{IRI: actorID}},
		InReplyTo:    vocab.Ref{IRI: t.id},
		Published:    now,
		MediaType:    "text/html",
		Content:      withMention(content, href, user),
		Tag:          vocab.Refs{{Object: &vocab.Object{Type: vocab.Types{"Mention"}, Href: href, Name: mentionName(author)}}},
	}
	note.To, note.Cc = t.addressing(p.urls.followers(actorID))
	if t.context != "" {
		note.Extra = map[string]json.RawMessage{"context": mustJSON(t.context)}
	}
	create := p.carrying("Create", actorID, now, note)
	noteDoc, err := json.Marshal(note)
	if err != nil {
		return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
	}
	createDoc, err := p.sender.encode(ctx, create, actorID)
	if err != nil {
		return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
	}
	createObj := store.Object{ID: create.ID, ActorID: actorID, Type: "Create", Document: createDoc, Published: now, ObjectID: note.ID}
	noteObj := store.Object{ID: note.ID, ActorID: actorID, Type: "Note", Document: noteDoc, Published: now}
	if t.public() {
		err = p.outbox.AppendOutbox(ctx, createObj, noteObj)
	} else if err = p.objects.PutObject(ctx, noteObj); err == nil {
		// Stored, not listed: the outbox is public.
		err = p.objects.PutObject(ctx, createObj)
	}
	if err != nil {
		return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
	}
	if t.article != "" {
		// Among the article's comments, under the reply it answers (Reply.AnswerTo).
		if _, err := p.interactions.AddInteraction(ctx, store.Interaction{ID: note.ID, Kind: store.InteractionReply,
			ObjectID: t.article, ActorID: actorID, Document: noteDoc, CreatedAt: now}); err != nil {
			return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
		}
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "answer", Object: t.id, Detail: note.ID})
	var acts []delivery.Activity
	if t.public() {
		acts = append(acts, delivery.Activity{ID: create.ID, ObjectID: note.ID, ActorID: actorID})
	}
	if direct {
		acts = append(acts, delivery.Activity{ID: create.ID, ObjectID: note.ID, ActorID: actorID,
			Inbox: store.Follower{Inbox: author.Inbox, SharedInbox: author.SharedInbox}.DeliveryInbox()})
	}
	if err := p.sender.enqueue(ctx, createObj, acts...); err != nil {
		return "", fmt.Errorf("activitypub: answer %s: %w", a.InReplyTo, err)
	}
	return note.ID, nil
}

// EditAnswer federates an edit of an answer the actor sent with [Federation.Answer]: the answer
// gets the new content (after the same mention of the author) and a later updated date, and an
// Update carrying it is queued to the answer's audience: everyone the answer was queued for, and
// for a public answer every follower of the actor as well. An answer that is not the actor's,
// was deleted or never sent gives an error matching ErrNotFound; empty content an *InvalidError.
func (f *Federation) EditAnswer(ctx context.Context, username, answerID, content string) error {
	actor, err := f.actAs(ctx, ActionAnswer, username, answerID)
	if err != nil {
		return err
	}
	return f.out.editAnswer(ctx, actor, answerID, content)
}

// editAnswer is the work of EditAnswer, once the call is authorized.
func (p *publisher) editAnswer(ctx context.Context, actor *Actor, answerID, content string) error {
	actorID := p.urls.actor(actor.Username)
	content = sanitizeBlock(strings.ToValidUTF8(content, "\uFFFD"))
	if content == "" {
		return invalid("content", "required")
	}
	_, note, err := p.ownAnswer(ctx, actorID, answerID)
	if err != nil {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	href, user := "", ""
	for _, t := range note.Tag {
		if t.Object != nil && t.Object.Type.Has("Mention") {
			href, user = t.Object.Href, mentionUser(t.Object.Name)
			break
		}
	}
	note.Content = withMention(content, href, user)
	note.Updated = nextUpdated(note.Published, note.Updated, p.now())
	note.Context = objectContext
	update := p.carrying("Update", actorID, note.Updated, note)
	noteDoc, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	updateDoc, err := p.sender.encode(ctx, update, actorID)
	if err != nil {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	// The activity first: if storing the answer fails, nothing refers to the stored activity.
	sent := store.Object{ID: update.ID, ActorID: actorID, Type: "Update", Document: updateDoc,
		Published: note.Updated, ObjectID: note.ID}
	err = p.objects.PutObject(ctx, sent)
	if err == nil {
		err = p.objects.PutObject(ctx, store.Object{ID: note.ID, ActorID: actorID, Type: "Note", Document: noteDoc,
			Published: note.Published})
	}
	if err != nil {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	if i, err := p.interactions.Interaction(ctx, note.ID); err == nil {
		i.Document = noteDoc
		if _, err := p.interactions.AddInteraction(ctx, i); err != nil {
			return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "edit answer", Object: note.ID, Detail: update.ID})
	if err := p.sendAnswer(ctx, sent, note); err != nil {
		return fmt.Errorf("activitypub: edit answer %s: %w", answerID, err)
	}
	return nil
}

// DeleteAnswer federates the deletion of an answer the actor sent with [Federation.Answer]: a
// Delete carrying a Tombstone, addressed as the answer was, is queued to the same audience as an
// edit (see [Federation.EditAnswer]); the answer's id then answers 410 Gone, and it leaves the
// article's comments and the actor's outbox. An answer that is not the actor's, or was deleted
// or never sent, gives an error matching ErrNotFound.
func (f *Federation) DeleteAnswer(ctx context.Context, username, answerID string) error {
	actor, err := f.actAs(ctx, ActionAnswer, username, answerID)
	if err != nil {
		return err
	}
	return f.out.deleteAnswer(ctx, actor, answerID)
}

// deleteAnswer is the work of DeleteAnswer, once the call is authorized.
func (p *publisher) deleteAnswer(ctx context.Context, actor *Actor, answerID string) error {
	actorID := p.urls.actor(actor.Username)
	stored, note, err := p.ownAnswer(ctx, actorID, answerID)
	if err != nil {
		return fmt.Errorf("activitypub: delete answer %s: %w", answerID, err)
	}
	now := p.now().UTC()
	del, err := p.storeDelete(ctx, actorID, stored, note.To, note.Cc, now)
	if err != nil {
		return fmt.Errorf("activitypub: delete answer %s: %w", answerID, err)
	}
	if err := p.sendAnswer(ctx, del, note); err != nil {
		return fmt.Errorf("activitypub: delete answer %s: %w", answerID, err)
	}
	if err := p.objects.DeleteObject(ctx, note.ID, now); err != nil {
		return fmt.Errorf("activitypub: delete answer %s: %w", answerID, err)
	}
	if err := p.interactions.RemoveInteraction(ctx, note.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: delete answer %s: %w", answerID, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "delete answer", Object: note.ID, Detail: del.ID})
	return nil
}

// answeredPost is a reader's post as an answer needs it.
type answeredPost struct {
	id, author string
	// article is the site's article a reply answers; "" for a mention.
	article string
	// context is the conversation the answer joins; "" for none.
	context string
	// vis is public, unlisted, or direct for any private post.
	vis Visibility
}

func (p answeredPost) public() bool { return !p.vis.Private() }

// addressing is the answer's to and cc (see Federation.Answer).
func (p answeredPost) addressing(followers string) (to, cc vocab.Refs) {
	author := vocab.Ref{IRI: p.author}
	switch p.vis {
	case VisibilityPublic:
		return vocab.Refs{{IRI: vocab.PublicIRI}}, vocab.Refs{{IRI: followers}, author}
	case VisibilityUnlisted:
		return vocab.Refs{{IRI: followers}}, vocab.Refs{{IRI: vocab.PublicIRI}, author}
	}
	return vocab.Refs{author}, nil
}

// answered finds the reader's post id as kept: a remote reply to a site article, or a post that
// mentions or addresses actorID. Anything else is ErrNotFound.
func (p *publisher) answered(ctx context.Context, actorID, id string) (answeredPost, error) {
	if id == "" {
		return answeredPost{}, fmt.Errorf("no post named: %w", ErrNotFound)
	}
	i, err := p.interactions.Interaction(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return answeredPost{}, fmt.Errorf("no reply or mention kept: %w", ErrNotFound)
	}
	if err != nil {
		return answeredPost{}, err
	}
	switch {
	case i.Kind == store.InteractionReply && !p.urls.local(i.ActorID):
		doc, err := vocab.Decode(i.Document)
		if err != nil {
			return answeredPost{}, fmt.Errorf("stored reply: %w", err)
		}
		p := answeredPost{id: i.ID, author: i.ActorID, article: i.ObjectID, context: cmp.Or(conversation(doc), i.ObjectID),
			vis: VisibilityDirect}
		if doc.To.HasPublic() {
			p.vis = VisibilityPublic
		} else if doc.Cc.HasPublic() {
			p.vis = VisibilityUnlisted
		}
		return p, nil
	case i.Kind == store.InteractionMention:
		rec, err := mentionRecordOf(i)
		if err != nil {
			return answeredPost{}, err
		}
		if !slices.Contains(rec.Actors, actorID) {
			return answeredPost{}, fmt.Errorf("the post does not mention %s: %w", actorID, ErrNotFound)
		}
		p := answeredPost{id: rec.ID, author: i.ActorID, context: rec.Context, vis: rec.Visibility}
		if p.vis.Private() {
			p.vis = VisibilityDirect
		}
		return p, nil
	}
	return answeredPost{}, fmt.Errorf("not a reader's reply or mention: %w", ErrNotFound)
}

// ownAnswer returns the stored, not deleted answer answerID of actorID, decoded; ErrNotFound
// otherwise.
func (p *publisher) ownAnswer(ctx context.Context, actorID, answerID string) (store.Object, *vocab.Object, error) {
	if !p.urls.isNote(answerID) {
		return store.Object{}, nil, fmt.Errorf("not an answer: %w", ErrNotFound)
	}
	return p.ownObject(ctx, actorID, answerID)
}

// sendAnswer queues sent, a stored Update or Delete of the answer note, to the answer's
// audience: for a public or unlisted answer the actor's followers and every other inbox the
// answer went to (see sender.toAudience); for a private one only the inboxes it went to. Each
// delivery stays behind the answer's earlier activities.
func (p *publisher) sendAnswer(ctx context.Context, sent store.Object, note *vocab.Object) error {
	if note.To.HasPublic() || note.Cc.HasPublic() {
		return p.sender.toAudience(ctx, sent, note.ID)
	}
	return p.sender.toRecipients(ctx, sent, note.ID)
}

// answerMention returns what an answer's mention of its author links to (the actor id) and the
// username it shows: the preferredUsername, else the id.
func answerMention(author store.RemoteActor) (href, user string) {
	if doc, err := vocab.Decode(author.Document); err == nil {
		if u := strings.TrimSpace(doc.PreferredUsername); u != "" {
			return author.ID, u
		}
	}
	return author.ID, author.ID
}

// mentionName is the Mention tag's name of an answer's author: "@user@host" (see Author.Handle),
// else the actor id.
func mentionName(author store.RemoteActor) string {
	if doc, err := vocab.Decode(author.Document); err == nil {
		if h := authorOf(doc).Handle; h != "" {
			return h
		}
	}
	return author.ID
}

// mentionUser is the username shown for a Mention tag's name: "@user@host" gives user.
func mentionUser(name string) string {
	if user, _, ok := splitHandle(name); ok {
		return user
	}
	return name
}

// withMention puts the mention of href, shown as @user, at the start of an answer's sanitized
// content: inside its first paragraph, as Mastodon writes a reply. No mention when href is "".
func withMention(content, href, user string) string {
	if href == "" {
		return content
	}
	link := mentionLink(href, user)
	if rest, ok := strings.CutPrefix(content, "<p>"); ok {
		return "<p>" + link + " " + rest
	}
	return "<p>" + link + "</p>" + content
}

// nextUpdated is the updated date of an edit of an object published and last updated as given:
// now to the second, or one second past the later of the two when now is not later, so that it
// always increases (INTEROP §1.10).
func nextUpdated(published, updated, now time.Time) time.Time {
	last := published
	if updated.After(last) {
		last = updated
	}
	next := now.UTC().Truncate(time.Second)
	if !next.After(last) {
		next = last.Add(time.Second)
	}
	return next
}
