package main

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file is the site's staff list and author pages, as a CMS keeps them in its user table.
// Like site.go it knows nothing about the fediverse; actors.go turns the staff into actors.

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
		{Slug: "sam-lee", Name: "Sam Lee", Beat: "Culture", Bio: "Sam writes about libraries, theatre and the people behind them.",
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
		s.render(w, http.StatusNotFound, "notfound.html", map[string]any{})
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
