package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/webfinger"
)

// Bridgy Fed (https://fed.brid.gy) bridges fediverse accounts into Bluesky once they opt in. What
// it asks of an account is documented at https://fed.brid.gy/docs#troubleshooting and
// #fediverse-get-started, and enforced in its User.status (models.py); as of the docs and code
// of August 2026 (github.com/snarfed/bridgy-fed, commit d505297):
//
//   - a profile picture (ActivityPub REQUIRES_AVATAR), "as basic spam filters";
//   - when the server advertises the account's age, as Mastodon does with the actor's
//     published, an account at least one week old (common.OLD_ACCOUNT_AGE = 7 days);
//   - a username of letters, digits, '_', '-' and '~' that neither begins nor ends with '_',
//     '-' or '~' (no '.');
//   - no #nobridge in the name or bio, no FEP-0036 bridgeable false, and no movedTo;
//   - its own bot, @bsky.brid.gy@bsky.brid.gy, reachable: a server that blocks bsky.brid.gy or
//     brid.gy is not bridged.
//
// The rest is advice, not a requirement for a fediverse account: a display name that differs
// from the handle is required of other networks' accounts (REQUIRES_NAME) but not of fediverse
// ones, whose docs line about it is commented out; #nobot in the profile stops the bridge only
// until the account opts in itself; the bot follows the account back, and an account that
// approves its followers must approve that follow, or its posts never reach the bridge; and
// Bluesky indexes a bridged profile and its posts for search even when discoverable and
// indexable are false (docs, "fediverse-to-bluesky" notes), so an actor that has not consented
// to indexing should not opt in.

// BridgyFedMinAge is the minimum account age Bridgy Fed requires of a fediverse account that
// states when it was created (its OLD_ACCOUNT_AGE).
const BridgyFedMinAge = 7 * 24 * time.Hour

// bridgyFedBot is Bridgy Fed's Bluesky bot actor, whose server a site must not block.
const bridgyFedBot = "https://bsky.brid.gy/bsky.brid.gy"

// bridgyUsernameRE is what Bridgy Fed bridges of a fediverse username (docs,
// #fediverse-get-started).
var bridgyUsernameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_~-]*[A-Za-z0-9])?$`)

// BridgeCheck is one requirement or piece of advice of a [BridgeReport].
type BridgeCheck struct {
	// Name names what is checked, such as "avatar" or "account age".
	Name string
	// Required is true for what the bridge enforces: an account that fails one is not bridged.
	// False is advice.
	Required bool
	// Met reports whether the actor meets it.
	Met bool
	// Fix says what to change, when Met is false.
	Fix string
}

// BridgeReport says whether a site actor meets Bridgy Fed's requirements for bridging into
// Bluesky, and what to fix.
type BridgeReport struct {
	// Actor is the actor's id.
	Actor string
	// Ready is true when every required check is met.
	Ready bool
	// Checks are the requirements first, then the advice, each in a fixed order: those of the
	// site (CheckBridgyFed only), then those of the actor document.
	Checks []BridgeCheck
}

// CheckBridgyFed checks the site actor username against what Bridgy Fed asks of a fediverse
// account before it bridges it into Bluesky (see [BridgeReport]): the bridge's bot not blocked by
// the site, a profile the bridge can read (the actor document and WebFinger, served by this
// Federation in process), and what [CheckBridgyFedActor] checks of the actor document. It sends
// nothing and changes nothing: bridging is opt-in, and the actor opts in on Bridgy Fed's side
// (README, "Bluesky through Bridgy Fed"). An unknown actor is an error matching ErrNotFound.
func (f *Federation) CheckBridgyFed(ctx context.Context, username string) (BridgeReport, error) {
	a, err := f.actors.lookup(ctx, username)
	if err != nil {
		return BridgeReport{}, err
	}
	actorID := f.urls.actor(a.Username)
	d, err := f.server.actorDocument(ctx, a)
	if err != nil {
		return BridgeReport{}, fmt.Errorf("activitypub: bridge check of %s: %w", username, err)
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return BridgeReport{}, fmt.Errorf("activitypub: bridge check of %s: %w", username, err)
	}
	r, err := CheckBridgyFedActor(doc, f.cfg.Now())
	if err != nil {
		return BridgeReport{}, fmt.Errorf("activitypub: bridge check of %s: %w", username, err)
	}
	readable, why := f.profileReadable(ctx, a.Username, actorID)
	site := []BridgeCheck{
		{Name: "bridge not blocked", Required: true, Met: checkBlocked(ctx, f.blocks, bridgyFedBot) == nil,
			Fix: "unblock bsky.brid.gy (and brid.gy): the site blocks the bridge's bot"},
		{Name: "profile readable", Required: true, Met: readable, Fix: why},
	}
	r.Checks = append(site, r.Checks...)
	r.settle()
	return r, nil
}

// CheckBridgyFedActor checks an actor document, as fetched, against what Bridgy Fed asks of a
// fediverse account (see [BridgeReport]): an avatar (icon), an account at least [BridgyFedMinAge]
// old at now when it states when it was published, a preferredUsername the bridge can bridge, no
// #nobridge in the name or summary, and no movedTo; and it advises on the display name, #nobot,
// manuallyApprovesFollowers and the discoverable and indexable flags. The fixes name the
// [Actor] fields of a fedsite site. A document that does not decode is an *InvalidError.
func CheckBridgyFedActor(doc []byte, now time.Time) (BridgeReport, error) {
	a, err := vocab.Decode(doc)
	if err != nil {
		return BridgeReport{}, invalid("actor", "%v", err)
	}
	if !a.IsActor() {
		return BridgeReport{}, invalid("actor", "%s is not an actor", a.ID)
	}
	moved := movedTarget(doc)
	profile := strings.ToLower(a.Name + " " + a.Summary)
	age := now.Sub(a.Published)
	handle := a.PreferredUsername
	checks := []BridgeCheck{
		{Name: "avatar", Required: true, Met: len(a.Icon) > 0,
			Fix: "set Actor.IconURL to a PNG or JPEG profile picture: Bridgy Fed bridges no account without one"},
		{Name: "account age", Required: true, Met: a.Published.IsZero() || age >= BridgyFedMinAge,
			Fix: fmt.Sprintf("the account is %s old by its published date (Actor.Published); Bridgy Fed bridges accounts at least a week old: wait until %s",
				age.Round(time.Hour), a.Published.Add(BridgyFedMinAge).UTC().Format(time.RFC3339))},
		{Name: "username", Required: true, Met: bridgyUsernameRE.MatchString(handle),
			Fix: "Bridgy Fed bridges usernames of letters, digits, '_', '-' and '~' only, not beginning or ending with '_', '-' or '~': use another actor"},
		{Name: "no #nobridge", Required: true, Met: !strings.Contains(profile, "#nobridge"),
			Fix: "remove #nobridge from Actor.Name and Actor.Summary: it opts the account out"},
		{Name: "not moved", Required: true, Met: moved == "",
			Fix: "the actor moved to " + moved + "; Bridgy Fed does not bridge a moved account: bridge the new one"},
		{Name: "display name", Met: a.Name != "" && !strings.EqualFold(a.Name, handle),
			Fix: "set Actor.Name to a display name other than the username: Bluesky shows the handle otherwise"},
		{Name: "no #nobot", Met: !strings.Contains(profile, "#nobot"),
			Fix: "#nobot in Actor.Name or Actor.Summary stops the bridge until the account opts in itself"},
		{Name: "follow-back approved", Met: !a.ManuallyApprovesFollowers,
			Fix: "the actor approves its followers: approve the follow request of @bsky.brid.gy@bsky.brid.gy (ApproveFollow), or its posts never reach the bridge"},
		{Name: "search-indexing consent", Met: isTrue(a.Discoverable) && isTrue(a.Indexable),
			Fix: "Bluesky indexes a bridged profile and its posts for search whatever discoverable and indexable say: set Actor.Discoverable and Actor.Indexable if the actor consents, or do not opt in"},
	}
	r := BridgeReport{Actor: a.ID, Checks: checks}
	r.settle()
	return r, nil
}

// settle clears the fixes of met checks and sets Ready.
func (r *BridgeReport) settle() {
	r.Ready = true
	for i := range r.Checks {
		if r.Checks[i].Met {
			r.Checks[i].Fix = ""
		} else if r.Checks[i].Required {
			r.Ready = false
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// profileReadable asks this Federation's own handler, in process, for the actor document and
// for the WebFinger of the actor's handle on the BaseURL host, as Bridgy Fed reads them, and
// says what is wrong when either fails. With RequireSignedFetch the actor document is served
// to signed fetches only, which Bridgy Fed makes; only WebFinger is asked then.
func (f *Federation) profileReadable(ctx context.Context, username, actorID string) (bool, string) {
	h := f.Middleware(http.NotFoundHandler())
	get := func(target, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if !f.cfg.RequireSignedFetch {
		rec := get(actorID, vocab.MediaType)
		if rec.Code != http.StatusOK {
			return false, fmt.Sprintf("the actor document %s answers %d", actorID, rec.Code)
		}
		if doc, err := vocab.Decode(rec.Body.Bytes()); err != nil || doc.ID != actorID {
			return false, fmt.Sprintf("the actor document %s does not decode as the actor", actorID)
		}
	}
	resource := "acct:" + username + "@" + f.urls.host()
	rec := get(f.urls.base+"/.well-known/webfinger?resource="+url.QueryEscape(resource), "application/jrd+json")
	if rec.Code != http.StatusOK {
		return false, fmt.Sprintf("WebFinger of %s answers %d", resource, rec.Code)
	}
	var jrd webfinger.JRD
	if err := json.Unmarshal(rec.Body.Bytes(), &jrd); err != nil {
		return false, fmt.Sprintf("WebFinger of %s does not decode: %v", resource, err)
	}
	if id, err := jrd.ActorID(); err != nil || id != actorID {
		return false, fmt.Sprintf("WebFinger of %s does not link to %s", resource, actorID)
	}
	return true, ""
}
