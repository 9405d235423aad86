package operator

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/fedsite/fedsite/activitypub"
)

// moderateReply hides (action=hide), shows again (show) or deletes (delete) the form's reply (id)
// to the form's article (url), or blocks its author (block, author), then goes back to the
// article.
func (h *Handler) moderateReply(w http.ResponseWriter, r *http.Request) {
	ctx, ops := r.Context(), h.cfg.Federation.Operations()
	id, article := r.PostFormValue("id"), r.PostFormValue("url")
	var err error
	switch r.PostFormValue("action") {
	case "hide":
		err = ops.HideReply(ctx, id, true)
	case "show":
		err = ops.HideReply(ctx, id, false)
	case "delete":
		err = ops.DeleteReply(ctx, id)
	case "block":
		err = h.cfg.Federation.BlockActor(ctx, r.PostFormValue("author"), "a reply: "+id)
	default:
		http.Error(w, "action must be hide, show, delete or block", http.StatusBadRequest)
		return
	}
	if _, ok := errors.AsType[*activitypub.InvalidError](err); ok {
		h.showArticle(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if errors.Is(err, activitypub.ErrNotFound) {
		h.showArticle(w, r, http.StatusNotFound, "That reply is gone, or was hidden or shown already.")
		return
	}
	if !h.acted(w, r, err, h.showArticle) {
		return
	}
	seeOther(w, "article?"+url.Values{"url": {article}}.Encode())
}
