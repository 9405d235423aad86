package main

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// This file is how the site writes an article's body: plain text in which blank lines separate
// paragraphs, web addresses and [text](https://…) become links, and #words become hashtags that
// link to the tag's page. Like site.go it knows nothing about the fediverse.

// hashtagWord is a hashtag's text: letters, marks, digits and '_', not only digits.
const hashtagWord = `[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*`

var (
	tagRE = regexp.MustCompile(`^` + hashtagWord + `$`)
	// bodyRE finds, in order of preference: a [text](url) link, a bare URL, or a #hashtag that
	// starts the text or follows a character that cannot be part of a word or an address.
	bodyRE = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^\s()<>]+)\)` +
		`|(https?://[^\s<>"]+)` +
		`|(^|[^\p{L}\p{M}\p{N}_&/#])#(` + hashtagWord + `)`)
)

// bodyHTML renders a body as paragraphs of escaped text with its links and hashtags. Hashtags link
// to base + "/tags/" + the tag in lower case; base is "" on the site's own pages and the site's
// address where the HTML leaves the site (federation), since a relative link means nothing there.
func bodyHTML(body, base string) template.HTML {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		b.WriteString("<p>")
		last := 0
		for _, m := range bodyRE.FindAllStringSubmatchIndex(p, -1) {
			b.WriteString(template.HTMLEscapeString(p[last:m[0]]))
			last = m[1]
			switch {
			case m[2] >= 0: // [text](url)
				b.WriteString(link(p[m[4]:m[5]], template.HTMLEscapeString(p[m[2]:m[3]])))
			case m[6] >= 0: // a bare URL, without the punctuation that ends its sentence
				u := p[m[6]:m[7]]
				trimmed := strings.TrimRight(u, ".,;:!?'\")")
				b.WriteString(link(trimmed, template.HTMLEscapeString(trimmed)))
				b.WriteString(template.HTMLEscapeString(u[len(trimmed):]))
			default: // #hashtag
				b.WriteString(template.HTMLEscapeString(p[m[8]:m[9]]))
				tag := p[m[10]:m[11]]
				b.WriteString(`<a href="` + template.HTMLEscapeString(tagPath(base, tag)) + `" class="mention hashtag" rel="tag">#<span>` +
					template.HTMLEscapeString(tag) + `</span></a>`)
			}
		}
		b.WriteString(template.HTMLEscapeString(p[last:]))
		b.WriteString("</p>")
	}
	return template.HTML(b.String())
}

func link(href, text string) string {
	return `<a href="` + template.HTMLEscapeString(href) + `">` + text + `</a>`
}

// tagPath is the address of a tag's page.
func tagPath(base, tag string) string {
	return base + "/tags/" + url.PathEscape(strings.ToLower(tag))
}

// HashTags returns the article's tags: those of the form's field, then the #words of its body, each
// once (compared without case), without '#'.
func (a article) HashTags() []string {
	var tags []string
	add := func(t string) {
		if !slices.ContainsFunc(tags, func(u string) bool { return strings.EqualFold(t, u) }) {
			tags = append(tags, t)
		}
	}
	for _, t := range a.Tags {
		add(t)
	}
	for _, m := range bodyRE.FindAllStringSubmatch(a.Body, -1) {
		if m[5] != "" {
			add(m[5])
		}
	}
	return tags
}

// tagLink is a hashtag and the address of its page.
type tagLink struct{ Name, Path string }

// TagLinks returns the article's hashtags with the addresses of their pages.
func (a article) TagLinks() []tagLink {
	var links []tagLink
	for _, t := range a.HashTags() {
		links = append(links, tagLink{Name: t, Path: tagPath("", t)})
	}
	return links
}

// parseTags reads the form's tags field: words separated by commas or spaces, each with or without
// a leading '#'. It returns nil for an empty field.
func parseTags(field string) ([]string, error) {
	var tags []string
	for _, t := range strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		t = strings.TrimPrefix(t, "#")
		if !tagRE.MatchString(t) {
			return nil, fmt.Errorf("%q is not a hashtag: use letters, digits and _, not only digits", t)
		}
		if !slices.ContainsFunc(tags, func(u string) bool { return strings.EqualFold(t, u) }) {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// serveTag lists the articles carrying a hashtag.
func (s *site) serveTag(w http.ResponseWriter, r *http.Request) {
	tag := r.PathValue("tag")
	s.mu.RLock()
	var list []article
	for _, a := range s.articles {
		if slices.ContainsFunc(a.HashTags(), func(t string) bool { return strings.EqualFold(t, tag) }) {
			list = append(list, a)
		}
	}
	s.mu.RUnlock()
	s.render(w, http.StatusOK, "tag.html", map[string]any{"Tag": tag, "Title": "#" + tag, "Articles": list})
}
