package activitypub

import (
	"context"
	"encoding/json"
	"html"
	"mime"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// Mode is how an [Article] is rendered for the fediverse. Servers disagree on what the AS2
// properties of a long-form post mean (shared/research/INTEROP.md §1.7, §2.2–§2.4, §7 items 1–2),
// so no single shape looks right everywhere:
//
//	server      ModeArticle (default)                         ModeNote
//	Mastodon    title, link and the page's preview card;      title, excerpt, link, card
//	            content ignored; no warning possible
//	GoToSocial  body, collapsed under the title (it uses       title, excerpt, link
//	            name as the warning when summary is empty)
//	Misskey     body, without the title (name not shown)       title, excerpt, link
//	Akkoma      linked title, then the body                    title, excerpt, link
//
// Neither mode sends summary unless the article has a ContentWarning (or the legacy Summary, in
// ModeArticle), because GoToSocial, Misskey and Akkoma show summary as a warning that hides the
// text. ModeArticle keeps the article's type and full text for long-form readers (Lemmy,
// Friendica, Ghost, WordPress, and Mastodon's card); ModeNote is for audiences mostly on
// Mastodon-like servers and is the only mode no server shows behind a warning.
type Mode int

const (
	// ModeDefault renders with the site's mode, Config.Publishing.Mode.
	ModeDefault Mode = iota
	// ModeArticle renders an AS2 Article: the title in name, the whole sanitized body in content, the
	// excerpt in a FEP-b2b8 preview Note, and summary only for a content warning (or the legacy
	// Summary field). Mastodon shows the title and a link with the page's preview card; GoToSocial,
	// Misskey, Akkoma, Lemmy and Friendica show the body.
	ModeArticle
	// ModeNote renders an AS2 Note whose content is the title, the excerpt and a link to the article,
	// as the WordPress plugin does by default. Every server shows it in full, without a warning, but
	// the body stays on the site.
	ModeNote
)

// String returns "default", "article" or "note".
func (m Mode) String() string {
	switch m {
	case ModeDefault:
		return "default"
	case ModeArticle:
		return "article"
	case ModeNote:
		return "note"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Image is a picture attached to an article. Mastodon keeps at most four attachments and Pixelfed
// shows only posts that have one.
type Image struct {
	// URL is the image file's absolute http(s) address. Required.
	URL string
	// MediaType is its MIME type, such as "image/jpeg". Default: guessed from the URL's extension;
	// an image whose type cannot be guessed must state it.
	MediaType string
	// Alt is the text description shown to people who cannot see the image, sent as the
	// attachment's name (Mastodon and GoToSocial read it as alt text). Default: none, which leaves
	// the image inaccessible; set it.
	Alt string
	// Width and Height are the pixel dimensions; 0 leaves them unstated.
	Width, Height int
}

// Mention names a fediverse account the article mentions. The account gets a Mention tag (needed
// for its notification) and is addressed in cc (needed for delivery). Resolving a handle to an
// actor IRI is the site's job, for example with webfinger.Client.
type Mention struct {
	// ActorID is the account's actor IRI, such as "https://social.example/users/alice". Required.
	ActorID string
	// Handle is its handle, "@alice@social.example" (the leading @ may be left out). Required.
	Handle string
}

// maxImages is the number of attachments Mastodon keeps (INTEROP §1.11).
const maxImages = 4

// maxExcerptRunes bounds the excerpt fedsite derives from the body when the site gives none.
const maxExcerptRunes = 280

// objectContext is the JSON-LD context of rendered articles: AS2 plus the two terms Mastodon uses
// that the AS2 context lacks, and the interaction policy terms of GoToSocial and FEP-044f as
// Mastodon 4.5 defines them, so that JSON-LD consumers such as Fedify keep them.
var objectContext = json.RawMessage(`["https://www.w3.org/ns/activitystreams",` +
	`{"sensitive":"as:sensitive","Hashtag":"as:Hashtag","gts":"https://gotosocial.org/ns#",` +
	`"interactionPolicy":{"@id":"gts:interactionPolicy","@type":"@id"},` +
	`"canQuote":{"@id":"gts:canQuote","@type":"@id"},"canReply":{"@id":"gts:canReply","@type":"@id"},` +
	`"canLike":{"@id":"gts:canLike","@type":"@id"},"canAnnounce":{"@id":"gts:canAnnounce","@type":"@id"},` +
	`"automaticApproval":{"@id":"gts:automaticApproval","@type":"@id"},` +
	`"manualApproval":{"@id":"gts:manualApproval","@type":"@id"}}]`)

// Render returns the AS2 object Publish would store and deliver for a, without storing or sending
// anything: a preview of what the fediverse will see. The errors are those of Publish, except that
// Render does not check whether a was published before. A zero Published is the current time.
func (f *Federation) Render(ctx context.Context, username string, a Article) (*vocab.Object, error) {
	actor, err := f.actors.lookup(ctx, username)
	if err != nil {
		return nil, err
	}
	if err := checkArticle(f.urls, a); err != nil {
		return nil, err
	}
	if a.Published.IsZero() {
		a.Published = f.cfg.Now()
	}
	return f.out.render.article(actor, a), nil
}

// checkRender checks the rendering fields of an article: mode, images, hashtags, mentions,
// language and the lead image.
func checkRender(a Article) error {
	if a.Mode < ModeDefault || a.Mode > ModeNote {
		return invalid("Article.Mode", "unknown mode %d", int(a.Mode))
	}
	if a.ImageURL != "" && !absHTTP(a.ImageURL) {
		return invalid("Article.ImageURL", "%q is not an absolute http(s) URL", a.ImageURL)
	}
	if len(a.Images) > maxImages {
		return invalid("Article.Images", "%d images, at most %d are kept by Mastodon", len(a.Images), maxImages)
	}
	for i, img := range a.Images {
		if !absHTTP(img.URL) {
			return invalid("Article.Images["+strconv.Itoa(i)+"].URL", "%q is not an absolute http(s) URL", img.URL)
		}
		if mt := imageMediaType(img); !strings.HasPrefix(mt, "image/") {
			return invalid("Article.Images["+strconv.Itoa(i)+"].MediaType", "%q is not an image type; state MediaType", mt)
		}
		if img.Width < 0 || img.Height < 0 {
			return invalid("Article.Images["+strconv.Itoa(i)+"]", "negative size")
		}
	}
	for i, t := range a.Tags {
		if !hashtagRE.MatchString(strings.TrimPrefix(t, "#")) {
			return invalid("Article.Tags["+strconv.Itoa(i)+"]", "%q is not a hashtag (letters, digits and _, not only digits)", t)
		}
	}
	for i, m := range a.Mentions {
		if !absHTTP(m.ActorID) {
			return invalid("Article.Mentions["+strconv.Itoa(i)+"].ActorID", "%q is not an absolute http(s) URL", m.ActorID)
		}
		if _, _, ok := splitHandle(m.Handle); !ok {
			return invalid("Article.Mentions["+strconv.Itoa(i)+"].Handle", "%q is not @user@host", m.Handle)
		}
	}
	if err := checkQuotePolicy("Article.QuotePolicy", a.QuotePolicy); err != nil {
		return err
	}
	if a.Language != "" && !languageRE.MatchString(a.Language) {
		return invalid("Article.Language", "%q is not a BCP 47 language tag", a.Language)
	}
	return nil
}

// renderer renders the site's articles as AS2 objects, for Publish, Backfill, Update and Render
// alike. It holds the URL layout and the two settings that shape a rendering.
type renderer struct {
	urls urlLayout
	// mode is Config.Publishing.Mode, defaulted: how an article of ModeDefault is rendered.
	mode Mode
	// tagURL is the site's page for a hashtag: Config.Publishing.TagURL, else the layout's.
	tagURL func(tag string) string
}

// newRenderer builds the renderer of cfg's site, laid out by urls.
func newRenderer(cfg Config, urls urlLayout) renderer {
	r := renderer{urls: urls, mode: cfg.Publishing.Mode, tagURL: cfg.Publishing.TagURL}
	if r.tagURL == nil {
		r.tagURL = urls.tag
	}
	return r
}

// article renders an article of actor, already checked, in its mode. It is addressed to the
// public with the actor's followers and the mentioned accounts in cc: the addressing Mastodon
// needs to show it on public timelines and to deliver the mentions. Its interactionPolicy states
// its quote policy (see QuotePolicy).
func (r renderer) article(actor *Actor, a Article) *vocab.Object {
	actorID := r.urls.actor(actor.Username)
	// JSON cannot carry invalid UTF-8: replace it before rendering, so the document stored is the
	// one every reader decodes.
	for _, p := range []*string{&a.Title, &a.Excerpt, &a.Summary, &a.Content, &a.ContentWarning} {
		*p = strings.ToValidUTF8(*p, "\uFFFD")
	}
	mode := a.Mode
	if mode == ModeDefault {
		mode = r.mode
	}
	o := &vocab.Object{
		Context:      objectContext,
		ID:           a.URL,
		AttributedTo: vocab.Refs{{IRI: actorID}},
		URL:          vocab.Refs{{IRI: a.URL}},
		Published:    a.Published.UTC().Truncate(time.Second),
		MediaType:    "text/html",
	}
	o.To, o.Cc = publicAddressing(r.urls.followers(actorID))
	body := ""
	if mode != ModeNote {
		body = sanitize(a.Content)
	}
	tags, tagLine := renderTags(a, body, r.tagURL)
	o.Tag = tags
	for _, m := range a.Mentions {
		if !o.Cc.Has(m.ActorID) {
			o.Cc = append(o.Cc, vocab.Ref{IRI: m.ActorID})
		}
	}
	excerpt := sanitizeBlock(a.Excerpt)
	if excerpt == "" {
		excerpt = sanitizeBlock(a.Summary)
	}
	if excerpt == "" {
		excerpt = excerptOf(a.Content)
	}

	switch mode {
	case ModeNote:
		// Title, excerpt and link, all in content: no name (GoToSocial would make it a content
		// warning) and no summary unless the site asks for a warning.
		o.Type = vocab.Types{"Note"}
		var b strings.Builder
		b.WriteString("<p><strong>" + html.EscapeString(a.Title) + "</strong></p>")
		b.WriteString(excerpt)
		u := html.EscapeString(a.URL)
		b.WriteString(`<p><a href="` + u + `">` + u + `</a></p>`)
		b.WriteString(tagLine)
		o.Content = b.String()
		if a.ContentWarning != "" {
			o.Summary = html.EscapeString(a.ContentWarning)
		}
	default:
		o.Type = vocab.Types{"Article"}
		o.Name = a.Title
		o.Content = body + tagLine
		switch {
		case a.ContentWarning != "":
			o.Summary = html.EscapeString(a.ContentWarning)
		case a.Summary != "":
			// The site asked for Mastodon's teaser, knowing that others show it as a warning.
			o.Summary = sanitize(a.Summary)
		}
		if excerpt != "" {
			// FEP-b2b8: a short Note for timelines that cannot show long-form content.
			preview := vocab.Object{Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: actorID}}, Content: excerpt}
			if b, err := preview.MarshalJSON(); err == nil {
				o.Extra = map[string]json.RawMessage{"preview": b}
			}
		}
	}
	if o.Extra == nil {
		o.Extra = make(map[string]json.RawMessage, 1)
	}
	o.Extra[termInteractionPolicy] = r.interactionPolicy(actorID, effectiveQuotePolicy(actor, a.QuotePolicy))
	o.Sensitive = a.Sensitive || a.ContentWarning != ""
	if a.Language != "" {
		o.ContentMap = map[string]string{a.Language: o.Content}
		if o.Name != "" {
			o.NameMap = map[string]string{a.Language: o.Name}
		}
		if o.Summary != "" {
			o.SummaryMap = map[string]string{a.Language: o.Summary}
		}
	}
	if a.ImageURL != "" {
		o.Image = vocab.Refs{imageRef(a.ImageURL)}
	}
	for _, img := range a.Images {
		o.Attachment = append(o.Attachment, vocab.Ref{Object: imageAttachment(img)})
	}
	return o
}

// renderTags returns the Hashtag and Mention tags of an article and the paragraph that links them
// in content, Mastodon's markup for both; "" when there are none. Hashtags are de-duplicated
// case-insensitively, as Mastodon normalises them. A tag that body (the sanitized content the
// paragraph follows) already links, as a #word written in the text, is tagged but not linked twice.
// tagURL gives the site's page for a hashtag.
func renderTags(a Article, body string, tagURL func(string) string) (vocab.Refs, string) {
	if len(a.Tags) == 0 && len(a.Mentions) == 0 {
		return nil, ""
	}
	var tags vocab.Refs
	var links []string
	seen := make(map[string]bool)
	for _, m := range a.Mentions {
		user, host, _ := splitHandle(m.Handle)
		handle := "@" + user + "@" + host
		if seen[m.ActorID] {
			continue
		}
		seen[m.ActorID] = true
		tags = append(tags, vocab.Ref{Object: &vocab.Object{Type: vocab.Types{"Mention"}, Href: m.ActorID, Name: handle}})
		if linked(body, m.ActorID) {
			continue
		}
		links = append(links, mentionLink(m.ActorID, user))
	}
	for _, t := range a.Tags {
		t = strings.TrimPrefix(t, "#")
		key := "#" + strings.ToLower(t)
		if seen[key] {
			continue
		}
		seen[key] = true
		href := tagURL(t)
		tags = append(tags, vocab.Ref{Object: &vocab.Object{Type: vocab.Types{"Hashtag"}, Href: href, Name: "#" + t}})
		if linked(body, href) {
			continue
		}
		links = append(links, `<a href="`+html.EscapeString(href)+`" class="mention hashtag" rel="tag">#<span>`+
			html.EscapeString(t)+`</span></a>`)
	}
	if len(links) == 0 {
		return tags, ""
	}
	return tags, "<p>" + strings.Join(links, " ") + "</p>"
}

// mentionLink is Mastodon's markup of a mention of the account actorID, whose username is user.
func mentionLink(actorID, user string) string {
	return `<span class="h-card"><a href="` + html.EscapeString(actorID) + `" class="u-url mention">@<span>` +
		html.EscapeString(user) + `</span></a></span>`
}

// linked reports whether sanitized HTML has a link to href (bluemonday writes attributes with
// double quotes and escapes them as html.EscapeString does).
func linked(body, href string) bool {
	return body != "" && strings.Contains(body, `href="`+html.EscapeString(href)+`"`)
}

func imageAttachment(img Image) *vocab.Object {
	o := &vocab.Object{Type: vocab.Types{"Image"}, MediaType: imageMediaType(img), Name: strings.ToValidUTF8(img.Alt, "\uFFFD")}
	// url as a plain string, the form every server reads for media.
	o.Extra = map[string]json.RawMessage{"url": mustJSON(img.URL)}
	if img.Width > 0 && img.Height > 0 {
		o.Extra["width"] = mustJSON(img.Width)
		o.Extra["height"] = mustJSON(img.Height)
	}
	return o
}

func imageMediaType(img Image) string {
	if img.MediaType != "" {
		return img.MediaType
	}
	u, err := url.Parse(img.URL)
	if err != nil {
		return ""
	}
	return mime.TypeByExtension(strings.ToLower(path.Ext(u.Path)))
}

// htmlPolicy allows the elements and attributes Mastodon keeps in remote HTML (its
// Sanitize::Config::MASTODON_STRICT): text structure, links, lists, quotes, code and headings.
// Images, scripts, styles and event handlers are dropped. A bluemonday policy is safe for
// concurrent use once built, and this one is never changed after initialisation.
var htmlPolicy = newHTMLPolicy()

func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "s", "pre", "code", "em", "strong", "b", "i", "u",
		"ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	// The microformat and mention classes Mastodon keeps, so hashtags and mentions render as such.
	p.AllowAttrs("class").Matching(regexp.MustCompile(
		`^(?:(?:h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible)(?: (?:(?:h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible))*$`)).
		OnElements("a", "span")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^(?:tag|me|nofollow|noopener|noreferrer)(?: (?:tag|me|nofollow|noopener|noreferrer))*$`)).
		OnElements("a")
	p.AllowAttrs("start", "reversed").OnElements("ol")
	p.AllowAttrs("value").Matching(bluemonday.Integer).OnElements("li")
	return p
}

// sanitize returns HTML restricted to htmlPolicy, trimmed.
func sanitize(s string) string {
	if s == "" {
		return ""
	}
	return strings.TrimSpace(htmlPolicy.Sanitize(s))
}

// sanitizeBlock sanitizes s and wraps it in a paragraph unless it already starts with a block.
func sanitizeBlock(s string) string {
	s = sanitize(s)
	if s == "" || strings.HasPrefix(s, "<p") || strings.HasPrefix(s, "<blockquote") || strings.HasPrefix(s, "<ul") ||
		strings.HasPrefix(s, "<ol") {
		return s
	}
	return "<p>" + s + "</p>"
}

// excerptOf derives a plain-text excerpt from an HTML body: its text with block boundaries as
// spaces, cut at a word boundary after at most maxExcerptRunes runes, escaped and in a paragraph.
// It returns "" for a body without text.
func excerptOf(body string) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(body))
	skip := 0 // inside script or style
	for b.Len() < 4*maxExcerptRunes {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		switch tt {
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == xhtml.StartTagToken {
					skip++
				} else if tt == xhtml.EndTagToken && skip > 0 {
					skip--
				}
			case "a", "span", "em", "strong", "b", "i", "u", "code", "del", "s", "small", "sub", "sup", "abbr":
			default:
				b.WriteByte(' ')
			}
		}
	}
	text := strings.Join(strings.FieldsFunc(b.String(), unicode.IsSpace), " ")
	if text == "" {
		return ""
	}
	if utf8.RuneCountInString(text) > maxExcerptRunes {
		cut := text
		n := 0
		for i := range text {
			if n == maxExcerptRunes {
				cut = text[:i]
				break
			}
			n++
		}
		if sp := strings.LastIndexByte(cut, ' '); sp > len(cut)/2 {
			cut = cut[:sp]
		}
		text = strings.TrimRight(cut, " ,;:.-") + "…"
	}
	return "<p>" + html.EscapeString(text) + "</p>"
}

// hashtagRE is the hashtag syntax fedsite accepts: letters, marks, digits and '_', not only
// digits, a subset of what Mastodon links.
var hashtagRE = regexp.MustCompile(`^[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*$`)

// languageRE is a loose BCP 47 shape: a 2–3 letter language and optional subtags.
var languageRE = regexp.MustCompile(`^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$`)

// splitHandle splits "@user@host" or "user@host".
func splitHandle(h string) (user, host string, ok bool) {
	user, host, ok = strings.Cut(strings.TrimPrefix(h, "@"), "@")
	if !ok || user == "" || host == "" || !utf8.ValidString(h) || strings.ContainsAny(user, "@/ <>\"'&") || strings.ContainsAny(host, "@/ <>\"'&") {
		return "", "", false
	}
	return user, host, true
}

// absHTTP reports whether s is an absolute http(s) URL with a host.
func absHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// publicAddressing is the addressing of what a site actor publishes: to the public, cc its
// followers collection, the addressing Mastodon needs to show a post on public timelines. Each call
// returns new slices, which the caller may extend.
func publicAddressing(followers string) (to, cc vocab.Refs) {
	return vocab.Refs{{IRI: vocab.PublicIRI}}, vocab.Refs{{IRI: followers}}
}
