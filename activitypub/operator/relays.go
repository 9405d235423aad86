package operator

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// relaysPage is the relays page's data: the actor's relay subscriptions and its Bridgy Fed report.
type relaysPage struct {
	*actorPage
	Relays []store.Relay
	Bridge activitypub.BridgeReport
	// URL and Style refill the subscribe form after it was refused.
	URL, Style string
}

// showRelays renders the relays page with status and, after a refused form, its error.
func (h *Handler) showRelays(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ap, ok := h.actorOf(w, r)
	if !ok {
		return
	}
	p := relaysPage{actorPage: ap, URL: r.PostFormValue("url"), Style: r.PostFormValue("style")}
	var err error
	if p.Relays, err = h.cfg.Federation.Relays(r.Context(), ap.Actor); err != nil {
		h.fail(w, r, "relays", err)
		return
	}
	if p.Bridge, err = h.cfg.Federation.CheckBridgyFed(r.Context(), ap.Actor); err != nil {
		h.fail(w, r, "bridge check", err)
		return
	}
	h.render(w, r, status, "relays.html", view{Title: "Relays and Bluesky", Nav: "relays", Error: msg, Page: p})
}

// changeRelay subscribes the form's actor to the relay at the form's url, or unsubscribes it.
func (h *Handler) changeRelay(w http.ResponseWriter, r *http.Request) {
	actor, relay := r.PostFormValue("actor"), r.PostFormValue("url")
	var err error
	switch r.PostFormValue("action") {
	case "subscribe":
		err = h.cfg.Federation.SubscribeRelay(r.Context(), actor, relay, store.RelayStyle(r.PostFormValue("style")))
	case "unsubscribe":
		err = h.cfg.Federation.UnsubscribeRelay(r.Context(), actor, relay)
	default:
		http.Error(w, "action must be subscribe or unsubscribe", http.StatusBadRequest)
		return
	}
	_, invalid := errors.AsType[*activitypub.InvalidError](err)
	switch {
	case invalid:
		h.showRelays(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, activitypub.ErrForbidden):
		h.showRelays(w, r, http.StatusForbidden, "You may not do that here.")
	case errors.Is(err, activitypub.ErrNotFound):
		h.showRelays(w, r, http.StatusNotFound, "No such relay subscription: it was ended already.")
	case errors.Is(err, activitypub.ErrBlocked):
		h.showRelays(w, r, http.StatusConflict, relay+" is blocked: lift the block to subscribe.")
	case errors.Is(err, errors.ErrUnsupported):
		h.showRelays(w, r, http.StatusNotImplemented, "The site's store keeps no relay subscriptions.")
	case err != nil:
		h.fail(w, r, "relay", err)
	default:
		seeOther(w, "relays?"+url.Values{"actor": {actor}}.Encode())
	}
}
