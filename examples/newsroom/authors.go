package main

import (
	"net/http"
	"slices"
	"strings"
)

// This file is the site's staff list and author pages, as a CMS keeps them in its user table.
// Like site.go it knows nothing about the fediverse; actors.go turns the staff into actors.

// author is a staff writer. Bylines that name no staff writer (wire copy, guest writers) are the
// newsroom's own.
type author struct {
	Slug, Name, Beat, Bio string
}

// Path is the author's page on the site.
func (a author) Path() string { return "/authors/" + a.Slug }

// staff is the newsroom's writers; a real site reads them from its user table.
func staff() []author {
	return []author{
		{Slug: "dana-ortiz", Name: "Dana Ortiz", Beat: "City hall", Bio: "Dana covers the council, budgets and transport."},
		{Slug: "sam-lee", Name: "Sam Lee", Beat: "Culture", Bio: "Sam writes about libraries, theatre and the people behind them."},
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
	s.render(w, http.StatusOK, "author.html", map[string]any{"Author": au, "Title": au.Name, "Articles": list})
}
