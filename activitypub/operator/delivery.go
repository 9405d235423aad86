package operator

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
)

// hostsPage is the hosts page's data.
type hostsPage struct {
	Hosts []delivery.Host
	// Now is when the page was made, to tell open breakers from closed ones.
	Now time.Time
	// Next is the cursor of the next page, "" on the last.
	Next string
}

// showHosts renders the hosts page with status and, after a refused form, its error.
func (h *Handler) showHosts(w http.ResponseWriter, r *http.Request, status int, msg string) {
	page, ok := listPage(h, w, r, h.cfg.Federation.Operations().Hosts)
	if !ok {
		return
	}
	p := hostsPage{Hosts: page.Items, Next: page.Next, Now: time.Now()}
	h.render(w, r, status, "hosts.html", view{Title: "Hosts", Nav: "hosts", Error: msg, Page: p})
}

// retryHost closes the breaker of the form's host and makes its waiting deliveries due.
func (h *Handler) retryHost(w http.ResponseWriter, r *http.Request) {
	host := strings.TrimSpace(r.PostFormValue("host"))
	if host == "" {
		http.Error(w, "name a host", http.StatusBadRequest)
		return
	}
	_, err := h.cfg.Federation.Operations().RetryHost(r.Context(), host)
	if !h.acted(w, r, err, h.showHosts) {
		return
	}
	seeOther(w, "hosts")
}

// deadPage is the dead letters page's data.
type deadPage struct {
	Letters []delivery.DeadLetter
	// Next is the cursor of the next page, "" on the last.
	Next string
}

// showDead renders the dead letters page with status and, after a refused form, its error.
func (h *Handler) showDead(w http.ResponseWriter, r *http.Request, status int, msg string) {
	page, ok := listPage(h, w, r, h.cfg.Federation.Operations().DeadLetters)
	if !ok {
		return
	}
	h.render(w, r, status, "dead.html", view{Title: "Dead letters", Nav: "dead", Error: msg,
		Page: deadPage{Letters: page.Items, Next: page.Next}})
}

// replay puts back in the queue the dead letter the form names (id), or all of them (all=1).
func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	all, id := r.PostFormValue("all") == "1", r.PostFormValue("id")
	if !all && id == "" {
		http.Error(w, "name a dead letter, or all", http.StatusBadRequest)
		return
	}
	n, err := h.cfg.Federation.Operations().Replay(r.Context(), all, id)
	if !h.acted(w, r, err, h.showDead) {
		return
	}
	if n == 0 && !all {
		h.showDead(w, r, http.StatusNotFound, "That delivery is no longer dead-lettered: it was replayed already.")
		return
	}
	seeOther(w, "dead")
}

// acted answers a failed action: 403 through show for a refusal by Config.Authorize, else 500. It
// reports whether err was nil.
func (h *Handler) acted(w http.ResponseWriter, r *http.Request, err error, show showFunc) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, activitypub.ErrForbidden):
		show(w, r, http.StatusForbidden, "You may not do that here.")
	default:
		h.fail(w, r, "act", err)
	}
	return false
}
