package main

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file is the site's staff list, its desks, the logins with their roles and the author
// pages, as a CMS keeps them in its user table. Like site.go it knows nothing about the
// fediverse; actors.go turns the staff and the desks into actors.

// author is a staff writer. Bylines that name no staff writer (wire copy, guest writers) are the
// newsroom's own.
type author struct {
	Slug, Name, Beat, Bio string
	// Joined is when the writer's account was made.
	Joined time.Time
}

// Path is the author's page on the site.
func (a author) Path() string { return "/authors/" + a.Slug }

// Picture is the address of the writer's portrait.
func (a author) Picture() string { return "/static/" + a.Slug + ".png" }

// staff is the newsroom's writers; a real site reads them from its user table.
func staff() []author {
	return []author{
		{Slug: "dana-ortiz", Name: "Dana Ortiz", Beat: "City hall", Bio: "Dana covers the council, budgets and transport.",
			Joined: time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC)},
		{Slug: "sam-lee", Name: "Sam Lee", Beat: "Sports and culture", Bio: "Sam edits the sports desk and writes about libraries, theatre and the people behind them.",
			Joined: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)},
	}
}

// authorBySlug returns the staff writer with that slug.
func authorBySlug(slug string) (author, bool) {
	all := staff()
	i := slices.IndexFunc(all, func(a author) bool { return a.Slug == slug })
	if i < 0 {
		return author{}, false
	}
	return all[i], true
}

// desk is a section of the newsroom with its own editors, such as sports: its stories are the
// desk's, unless their byline names a staff writer.
type desk struct{ Slug, Name, About string }

// desks is the newsroom's desks.
func desks() []desk {
	return []desk{{Slug: "sports", Name: "Riverside Courier Sports", About: "Scores, fixtures and the clubs of the river towns."}}
}

// deskBySlug returns the desk with that slug.
func deskBySlug(slug string) (desk, bool) {
	all := desks()
	i := slices.IndexFunc(all, func(d desk) bool { return d.Slug == slug })
	if i < 0 {
		return desk{}, false
	}
	return all[i], true
}

// owner is whose an article is: the staff writer its byline names (their slug), else its desk,
// else "", the newsroom's own.
func owner(a article) string {
	if au, ok := authorOf(a); ok {
		return au.Slug
	}
	if _, ok := deskBySlug(a.Desk); ok {
		return a.Desk
	}
	return ""
}

// login is a member of staff who signs in to the editor's pages, and their role: a managing
// editor may publish, edit and delete every story; anyone else only their own (Writer, their
// staff writer's slug) and their desk's (Desk).
type login struct {
	User, Password string
	Managing       bool
	Writer, Desk   string
}

// staffLogins is the staff's logins beside the managing editor's, all with password: Sam, who
// edits the sports desk, and Dana, who writes.
func staffLogins(password string) []login {
	return []login{
		{User: "sam", Password: password, Writer: "sam-lee", Desk: "sports"},
		{User: "dana", Password: password, Writer: "dana-ortiz"},
	}
}

// mayAct reports whether the login may publish, edit and delete stories of owner: a staff
// writer's slug, a desk's, or "" for the newsroom's own.
func (l login) mayAct(owner string) bool {
	return l.Managing || owner != "" && (owner == l.Writer || owner == l.Desk)
}

// ownerName names owner for mayAct's refusals: mayAct's refusal: "the newsroom", a desk's or a writer's name.
func ownerName(owner string) string {
	if d, ok := deskBySlug(owner); ok {
		return d.Name
	}
	if au, ok := authorBySlug(owner); ok {
		return au.Name
	}
	return "the newsroom itself"
}

// authorOf returns the staff writer an article's byline names.
func authorOf(a article) (author, bool) {
	all := staff()
	i := slices.IndexFunc(all, func(w author) bool { return strings.EqualFold(w.Name, strings.TrimSpace(a.Author)) })
	if i < 0 {
		return author{}, false
	}
	return all[i], true
}

// serveAuthor shows a writer's page: the bio and their articles.
func (s *site) serveAuthor(w http.ResponseWriter, r *http.Request) {
	au, ok := authorBySlug(r.PathValue("slug"))
	if !ok {
		s.notFound(w)
		return
	}
	s.mu.RLock()
	var list []article
	for _, a := range s.articles {
		if w, ok := authorOf(a); ok && w.Slug == au.Slug {
			list = append(list, a)
		}
	}
	s.mu.RUnlock()
	data := map[string]any{"Author": au, "Title": au.Name, "Articles": list}
	if s.handle != nil {
		data["Follow"] = followBox{Name: au.Name, Handle: s.handle(&au)}
	}
	s.render(w, http.StatusOK, "author.html", data)
}
