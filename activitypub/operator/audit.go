package operator

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// auditPage is the audit page's data.
type auditPage struct {
	// Actor, Action, Direction, Since and Until are the filter as asked (dates as YYYY-MM-DD), to
	// refill its form.
	Actor, Action, Direction, Since, Until string
	Entries                                []store.AuditEntry
	// Older is the query of the next page, "" on the last.
	Older string
}

// dateForm is how the filter's dates are written: an HTML date input's value.
const dateForm = "2006-01-02"

// serveAudit lists the audit log, filtered by ?actor= (part of it), ?action=, ?direction= (in or
// out) and ?since= and ?until= (dates, both days included), from ?cursor=.
func (h *Handler) serveAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := auditPage{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Direction: q.Get("direction"), Since: q.Get("since"), Until: q.Get("until")}
	f := activitypub.AuditFilter{Actor: p.Actor, Action: p.Action, Direction: p.Direction}
	if f.Direction != "" && f.Direction != "in" && f.Direction != "out" {
		http.Error(w, "direction must be in or out", http.StatusBadRequest)
		return
	}
	var err error
	if f.Since, err = day(p.Since); err == nil {
		f.Until, err = day(p.Until)
	}
	if err != nil {
		http.Error(w, "dates are written YYYY-MM-DD", http.StatusBadRequest)
		return
	}
	if !f.Until.IsZero() {
		f.Until = f.Until.AddDate(0, 0, 1) // the day named is included
	}
	page, err := h.cfg.Federation.Operations().Audit(r.Context(), f, q.Get("cursor"), h.cfg.PageSize)
	if _, ok := errors.AsType[*activitypub.InvalidError](err); ok {
		http.Error(w, "bad cursor", http.StatusBadRequest)
		return
	}
	if err != nil {
		h.fail(w, r, "audit", err)
		return
	}
	p.Entries = page.Items
	if page.Next != "" {
		older := url.Values{"cursor": {page.Next}}
		for k, v := range map[string]string{"actor": p.Actor, "action": p.Action, "direction": p.Direction, "since": p.Since, "until": p.Until} {
			if v != "" {
				older.Set(k, v)
			}
		}
		p.Older = older.Encode()
	}
	h.render(w, r, http.StatusOK, "audit.html", view{Title: "Audit log", Nav: "audit", Page: p})
}

// day parses a date of the filter, "" for none, as the start of that day in UTC.
func day(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(dateForm, s)
}
