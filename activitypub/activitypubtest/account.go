package activitypubtest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// DefaultHost is the host of an Account whose handle names none.
const DefaultHost = "social.example"

// Account is a remote fediverse account that lives in a [Recorder]: its actor document, at
// https://{host}/users/{name}, is served in-process, with an RSA key, a personal inbox and the
// host's shared inbox https://{host}/inbox, where the site's deliveries to it are recorded. Its
// methods sign activities with its key, as a fediverse server does, and post them to the site's
// real inbox handler in-process; an answer other than 2xx is an [*InboxError]. Like a real
// server, it finds where to post by fetching documents from the site, signed: a Follow goes to
// the site actor's own inbox; a reply, mention, direct message, Like, Announce or Flag to the
// shared inbox of the actor it is for (an object's author); an Undo or Delete where what it takes
// back went.
//
// An Account is safe for concurrent use.
type Account struct {
	r        *Recorder
	id, name string
	host     string
	key      *rsa.PrivateKey

	mu   sync.Mutex
	seq  int
	sent map[string]string // inbox by the id of each activity and object sent
}

// InboxError is the site's answer to an activity it did not accept.
type InboxError struct {
	// Inbox is where the activity was posted; Status and Body are the answer.
	Inbox  string
	Status int
	Body   string
}

func (e *InboxError) Error() string {
	return fmt.Sprintf("activitypubtest: POST %s: %d %s", e.Inbox, e.Status, strings.TrimSpace(e.Body))
}

// NewAccount adds an account to the fediverse, with a handle "name" (on [DefaultHost]) or
// "name@host". It panics when the handle is malformed or the account exists, as a test's own
// mistake.
func (r *Recorder) NewAccount(handle string) *Account {
	name, host, found := strings.Cut(strings.TrimPrefix(handle, "@"), "@")
	if !found {
		host = DefaultHost
	}
	if name == "" || host == "" || strings.ContainsAny(name+host, "/@?#") {
		panic(fmt.Sprintf("activitypubtest: NewAccount(%q): want name or name@host", handle))
	}
	key, err := signing.GenerateKey()
	if err != nil {
		panic("activitypubtest: " + err.Error()) // crypto/rand does not fail
	}
	a := &Account{r: r, id: "https://" + host + "/users/" + name, name: name, host: host, key: key,
		sent: make(map[string]string)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.accounts[a.id] != nil {
		panic(fmt.Sprintf("activitypubtest: NewAccount(%q): the account exists", handle))
	}
	r.accounts[a.id] = a
	return a
}

// ID is the account's actor IRI.
func (a *Account) ID() string { return a.id }

// Inbox is the account's personal inbox.
func (a *Account) Inbox() string { return a.id + "/inbox" }

// SharedInbox is its host's shared inbox, where the site delivers what it sends its followers.
func (a *Account) SharedInbox() string { return "https://" + a.host + "/inbox" }

// Follow follows the site actor with that IRI (see Federation.ActorID) and returns the Follow.
func (a *Account) Follow(ctx context.Context, actorID string) (*vocab.Object, error) {
	inbox, err := a.inboxOf(ctx, actorID, false)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"Follow"}, Object: vocab.Ref{IRI: actorID}})
}

// Reply posts a public reply with that HTML content to the object at objectURL, such as a
// published article, and returns its Create; the reply is the Create's embedded Note.
func (a *Account) Reply(ctx context.Context, objectURL, html string) (*vocab.Object, error) {
	note := a.note(html, vocab.Refs{{IRI: vocab.PublicIRI}}, vocab.Refs{{IRI: a.id + "/followers"}})
	note.InReplyTo = vocab.Ref{IRI: objectURL}
	return a.create(ctx, objectURL, note)
}

// Mention posts a public note with that HTML content that mentions the site actor with that
// IRI, and returns its Create.
func (a *Account) Mention(ctx context.Context, actorID, html string) (*vocab.Object, error) {
	note := a.note(html, vocab.Refs{{IRI: vocab.PublicIRI}}, vocab.Refs{{IRI: actorID}})
	note.Tag = vocab.Refs{{Object: &vocab.Object{Type: vocab.Types{"Mention"}, Href: actorID, Name: "@" + handleName(actorID)}}}
	return a.create(ctx, actorID, note)
}

// DM sends the site actor with that IRI a direct message with that HTML content (a note
// addressed to it alone, mentioning it, as Mastodon sends one) and returns its Create.
func (a *Account) DM(ctx context.Context, actorID, html string) (*vocab.Object, error) {
	note := a.note(html, vocab.Refs{{IRI: actorID}}, nil)
	note.Tag = vocab.Refs{{Object: &vocab.Object{Type: vocab.Types{"Mention"}, Href: actorID, Name: "@" + handleName(actorID)}}}
	return a.create(ctx, actorID, note)
}

// Like likes the object at objectURL and returns the Like.
func (a *Account) Like(ctx context.Context, objectURL string) (*vocab.Object, error) {
	return a.react(ctx, "Like", objectURL)
}

// EmojiReact reacts to the object at objectURL with a Unicode emoji, as Pleroma and Akkoma do,
// and returns the EmojiReact.
func (a *Account) EmojiReact(ctx context.Context, objectURL, emoji string) (*vocab.Object, error) {
	inbox, err := a.inboxOf(ctx, objectURL, true)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"EmojiReact"}, Object: vocab.Ref{IRI: objectURL}, Content: emoji})
}

// Announce boosts the object at objectURL and returns the Announce.
func (a *Account) Announce(ctx context.Context, objectURL string) (*vocab.Object, error) {
	return a.react(ctx, "Announce", objectURL)
}

// Flag reports the objects (actors or posts of the site) with that comment, as a moderator's
// report, and returns the Flag.
func (a *Account) Flag(ctx context.Context, comment string, objects ...string) (*vocab.Object, error) {
	if len(objects) == 0 {
		return nil, errors.New("activitypubtest: flag: no object")
	}
	inbox, err := a.inboxOf(ctx, objects[0], true)
	if err != nil {
		return nil, err
	}
	// Mastodon sends the reported account and posts as an array of IRIs.
	list, err := json.Marshal(objects)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: flag: %w", err)
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"Flag"}, Content: comment,
		Extra: map[string]json.RawMessage{"object": list}})
}

// Undo takes back an activity the account sent (a Follow, Like, Announce, or the Create of a
// reply or mention), embedding it, and returns the Undo.
func (a *Account) Undo(ctx context.Context, act *vocab.Object) (*vocab.Object, error) {
	inbox, err := a.sentTo(act.ID)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"Undo"}, Object: vocab.Ref{Object: act}})
}

// Delete deletes a post of the account, by the id of its Note, and returns the Delete.
func (a *Account) Delete(ctx context.Context, noteID string) (*vocab.Object, error) {
	inbox, err := a.sentTo(noteID)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"Delete"}, To: vocab.Refs{{IRI: vocab.PublicIRI}},
		Object: vocab.Ref{Object: &vocab.Object{ID: noteID, Type: vocab.Types{"Tombstone"}}}})
}

// Send signs act with the account's key and posts it to inbox, in-process, and returns it. It
// fills act's @context, id and actor when they are empty. An answer other than 2xx is an
// [*InboxError].
func (a *Account) Send(ctx context.Context, inbox string, act *vocab.Object) (*vocab.Object, error) {
	if act.Context == nil {
		act.Context = vocab.ContextActivityStreams
	}
	if act.ID == "" {
		act.ID = a.newID("activities")
	}
	if act.Actor.IsZero() {
		act.Actor = vocab.Ref{IRI: a.id}
	}
	body, err := json.Marshal(act)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: send %s: %w", act.Type, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: send %s: %w", act.Type, err)
	}
	req.Header.Set("Content-Type", vocab.MediaType)
	status, answer, err := a.do(req, body)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, &InboxError{Inbox: inbox, Status: status, Body: answer}
	}
	a.mu.Lock()
	a.sent[act.ID] = inbox
	if o := act.Object.Object; o != nil && o.ID != "" && act.Type.Has("Create") {
		a.sent[o.ID] = inbox
	}
	a.mu.Unlock()
	return act, nil
}

// Fetch GETs the AS2 document at iri, signed with the account's key as servers in authorized
// fetch mode require, and decodes it.
func (a *Account) Fetch(ctx context.Context, iri string) (*vocab.Object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: fetch: %w", err)
	}
	req.Header.Set("Accept", vocab.MediaType)
	status, body, err := a.do(req, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("activitypubtest: GET %s: %d", iri, status)
	}
	doc, err := vocab.Decode([]byte(body))
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: GET %s: %w", iri, err)
	}
	return doc, nil
}

// do signs req and sends it through the Recorder, and returns the answer's status and body.
func (a *Account) do(req *http.Request, body []byte) (int, string, error) {
	k := signing.Key{ID: a.id + "#main-key", Signer: a.key}
	if err := signing.Sign(req, k, body, a.r.clock()()); err != nil {
		return 0, "", fmt.Errorf("activitypubtest: sign: %w", err)
	}
	resp, err := a.r.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", fmt.Errorf("activitypubtest: %s %s: %w", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b), nil
}

// note returns a new Note of the account.
func (a *Account) note(html string, to, cc vocab.Refs) *vocab.Object {
	return &vocab.Object{ID: a.newID("notes"), Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: a.id}},
		To: to, Cc: cc, Content: html, Published: a.r.clock()().UTC()}
}

// create sends the Create of note to the inbox of target's author.
func (a *Account) create(ctx context.Context, target string, note *vocab.Object) (*vocab.Object, error) {
	inbox, err := a.inboxOf(ctx, target, true)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{"Create"}, To: note.To, Cc: note.Cc,
		Published: note.Published, Object: vocab.Ref{Object: note}})
}

func (a *Account) react(ctx context.Context, typ, objectURL string) (*vocab.Object, error) {
	inbox, err := a.inboxOf(ctx, objectURL, true)
	if err != nil {
		return nil, err
	}
	return a.Send(ctx, inbox, &vocab.Object{Type: vocab.Types{typ}, Object: vocab.Ref{IRI: objectURL}})
}

// inboxOf fetches iri, an actor or an object, and returns the inbox of the actor or of the
// object's author: its shared inbox when shared is set and it has one, else its own.
func (a *Account) inboxOf(ctx context.Context, iri string, shared bool) (string, error) {
	doc, err := a.Fetch(ctx, iri)
	if err != nil {
		return "", err
	}
	if !doc.IsActor() {
		authors := doc.AttributedTo.IDs()
		if len(authors) == 0 {
			return "", fmt.Errorf("activitypubtest: %s has no attributedTo", iri)
		}
		if doc, err = a.Fetch(ctx, authors[0]); err != nil {
			return "", err
		}
	}
	if s := doc.SharedInboxIRI(); shared && s != "" {
		return s, nil
	}
	if doc.Inbox == "" {
		return "", fmt.Errorf("activitypubtest: %s has no inbox", doc.ID)
	}
	return doc.Inbox, nil
}

// sentTo returns the inbox an activity or note of the account was sent to.
func (a *Account) sentTo(id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	inbox, ok := a.sent[id]
	if !ok {
		return "", fmt.Errorf("activitypubtest: %s was not sent by %s", id, a.id)
	}
	return inbox, nil
}

func (a *Account) newID(kind string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	return a.id + "/" + kind + "/" + strconv.Itoa(a.seq)
}

// serveActor serves the account's actor document.
func (a *Account) serveActor(w http.ResponseWriter, _ *http.Request) {
	doc, err := actorDocument(a.id, a.name, a.SharedInbox(), &a.key.PublicKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", vocab.MediaType)
	json.NewEncoder(w).Encode(doc)
}

// actorDocument returns the document of a Person at id, as Mastodon shapes one: its inbox at
// id/inbox, its followers at id/followers, its key at id#main-key.
func actorDocument(id, name, sharedInbox string, key *rsa.PublicKey) (map[string]any, error) {
	pub, err := signing.EncodePublicKey(key)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"@context":          []string{vocab.ContextActivityStreams, vocab.ContextSecurity},
		"id":                id,
		"type":              "Person",
		"preferredUsername": name,
		"inbox":             id + "/inbox",
		"followers":         id + "/followers",
		"endpoints":         map[string]string{"sharedInbox": sharedInbox},
		"publicKey":         map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": string(pub)},
	}, nil
}

// handleName returns the last path segment of an actor IRI, its username on fedsite.
func handleName(actorID string) string {
	return actorID[strings.LastIndex(actorID, "/")+1:]
}
