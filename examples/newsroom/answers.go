package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/fedsite/fedsite/activitypub"
)

// This file lets the editors answer readers as the newsroom: under each fediverse reply on an
// article page, and under each post of the Inbox page. fedsite sends the answer as a reply
// mentioning the reader, as publicly as the reader wrote (a direct message is answered to the
// reader alone), and lists answers to replies among the article's comments.

// answerer sends, edits and deletes the newsroom's answers, written as plain text in the form of
// an article's body (body.go).
type answerer interface {
	answer(ctx context.Context, actor, postID, text string) error
	editAnswer(ctx context.Context, actor, answerID, text string) error
	deleteAnswer(ctx context.Context, actor, answerID string) error
}

// fedAnswers answers through fedsite.
type fedAnswers struct {
	fed     *activitypub.Federation
	baseURL string
}

func (f fedAnswers) answer(ctx context.Context, actor, postID, text string) error {
	_, err := f.fed.Answer(ctx, actor, activitypub.Answer{InReplyTo: postID, Content: string(bodyHTML(text, f.baseURL))})
	return err
}

func (f fedAnswers) editAnswer(ctx context.Context, actor, answerID, text string) error {
	return f.fed.EditAnswer(ctx, actor, answerID, string(bodyHTML(text, f.baseURL)))
}

func (f fedAnswers) deleteAnswer(ctx context.Context, actor, answerID string) error {
	return f.fed.DeleteAnswer(ctx, actor, answerID)
}

// serveAnswer sends an answer (actor, inReplyTo, content), or with id set edits that answer
// (id, content), or with id and delete=yes deletes it, and goes back to the page named by back.
func (s *site) serveAnswer(w http.ResponseWriter, r *http.Request) {
	if s.answers == nil {
		s.notFound(w)
		return
	}
	actor := r.PostFormValue("actor")
	if actor == "" {
		actor = newsActor
	}
	text := r.PostFormValue("content")
	ctx := r.Context()
	var err error
	switch id := r.PostFormValue("id"); {
	case id == "":
		err = s.answers.answer(ctx, actor, r.PostFormValue("inReplyTo"), text)
	case r.PostFormValue("delete") == "yes":
		err = s.answers.deleteAnswer(ctx, actor, id)
	default:
		err = s.answers.editAnswer(ctx, actor, id, text)
	}
	var invalid *activitypub.InvalidError
	switch {
	case errors.Is(err, activitypub.ErrNotFound):
		s.notFound(w)
		return
	case errors.As(err, &invalid):
		http.Error(w, "write an answer first", http.StatusBadRequest)
		return
	case err != nil:
		s.fail(w, "could not send the answer", "answer", err, "actor", actor)
		return
	}
	back := r.PostFormValue("back")
	// Only a path of this site: never a redirect elsewhere.
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.Contains(back, `\`) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
