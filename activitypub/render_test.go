package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store/memstore"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

const renderBase = "https://news.example.com"

// newRenderFed is a Federation on a fixed base URL with the actors "news" and "desk".
func newRenderFed(t testing.TB, mode activitypub.Mode) *activitypub.Federation {
	t.Helper()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL:    renderBase,
		Store:      memstore.New(),
		Publishing: activitypub.Publishing{Mode: mode},
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" && name != "desk" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: name, Type: "Organization", Name: "Example News"}, nil
		}),
		Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return fed
}

// goldenArticle is the fixed article of the golden tests: hostile markup in the body, an excerpt,
// hashtags (one repeated with another case), a mention, a lead image and an attachment.
func goldenArticle() activitypub.Article {
	return activitypub.Article{
		URL:     renderBase + "/articles/river-path",
		Title:   "Council approves the river path",
		Excerpt: "The long-debated cycle and footpath along the river will be built next spring.",
		Content: `<h2>A long debate</h2><p onclick="steal()">After three years the council voted <strong>31 to 9</strong>.</p>` +
			`<script>alert(1)</script><img src="https://news.example.com/x.jpg">` +
			`<p>Read the <a href="javascript:alert(1)">minutes</a> or the <a href="https://news.example.com/minutes" target="_blank">record</a>.</p>`,
		Tags:      []string{"RiverPath", "#cycling", "riverpath"},
		Mentions:  []activitypub.Mention{{ActorID: "https://social.example/users/alice", Handle: "@alice@social.example"}},
		Language:  "en",
		ImageURL:  renderBase + "/media/river.jpg",
		Images:    []activitypub.Image{{URL: renderBase + "/media/river.jpg", Alt: "The river bank at dawn", Width: 1200, Height: 800}},
		Published: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode activitypub.Mode
	}{
		{"article", activitypub.ModeArticle},
		{"note", activitypub.ModeNote},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := goldenArticle()
			a.Mode = tc.mode
			obj, err := newRenderFed(t, activitypub.ModeDefault).Render(context.Background(), "news", a)
			if err != nil {
				t.Fatal(err)
			}
			// Indent the object's own encoding, which leaves HTML unescaped and readable.
			raw, err := obj.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			got := append(buf.Bytes(), '\n')
			file := filepath.Join("testdata", "render_"+tc.name+".json")
			if *updateGolden {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRenderGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendering differs from %s:\n%s", file, got)
			}
		})
	}
}

// view is what a server shows of a post, following the rules in shared/research/INTEROP.md.
type view struct {
	warning string // content warning the body is hidden behind; "" when the text shows at once
	text    string // HTML of the text shown
}

// mastodonView: §1.7 — Article (a converted type) shows <h2>name</h2>, summary and a link to url,
// ignores content, and can have no content warning; a Note shows content under summary as the
// warning.
func mastodonView(o *vocab.Object) view {
	if o.Type.First() == "Note" {
		return view{warning: o.Summary, text: o.Content}
	}
	parts := []string{}
	if o.Name != "" {
		parts = append(parts, "<h2>"+o.Name+"</h2>")
	}
	if o.Summary != "" {
		parts = append(parts, o.Summary)
	}
	parts = append(parts, o.URLString())
	return view{text: strings.Join(parts, "\n\n")}
}

// gotosocialView: §2.2 — every statusable keeps content; the warning is summary, else name.
func gotosocialView(o *vocab.Object) view {
	w := o.Summary
	if w == "" {
		w = o.Name
	}
	return view{warning: w, text: o.Content}
}

// misskeyView: §2.3 — summary is the warning for every type, name is not shown, content is the
// text.
func misskeyView(o *vocab.Object) view { return view{warning: o.Summary, text: o.Content} }

// akkomaView: §2.4 — Article, Note and Page alike: full content under summary as the warning,
// with <p><a href=url>name</a></p> prepended when name is set.
func akkomaView(o *vocab.Object) view {
	text := o.Content
	if o.Name != "" {
		text = `<p><a href="` + o.URLString() + `">` + o.Name + "</a></p>" + text
	}
	return view{warning: o.Summary, text: text}
}

// TestRenderViews checks the renderings field by field against each server's rules: what it hides
// behind a warning, and whether the title, the text and the link reach the reader.
func TestRenderViews(t *testing.T) {
	a := goldenArticle()
	title := a.Title
	type expect struct {
		warning     string // "" for none
		title, link bool   // shown at once (or, for GoToSocial's Article, as the warning line)
		body        bool   // the article body itself is in the text
	}
	cases := []struct {
		name    string
		mode    activitypub.Mode
		cw      string
		servers map[string]expect
	}{
		{"article", activitypub.ModeArticle, "", map[string]expect{
			"mastodon":   {title: true, link: true},
			"gotosocial": {warning: title, title: true, body: true}, // the documented exception
			"misskey":    {body: true},
			"akkoma":     {title: true, link: true, body: true},
		}},
		{"note", activitypub.ModeNote, "", map[string]expect{
			"mastodon":   {title: true, link: true},
			"gotosocial": {title: true, link: true},
			"misskey":    {title: true, link: true},
			"akkoma":     {title: true, link: true},
		}},
		{"article with warning", activitypub.ModeArticle, "Flooding photos", map[string]expect{
			"mastodon":   {title: true, link: true}, // shown as the teaser: Mastodon cannot hide an Article
			"gotosocial": {warning: "Flooding photos", body: true},
			"misskey":    {warning: "Flooding photos", body: true},
			"akkoma":     {warning: "Flooding photos", title: true, link: true, body: true},
		}},
		{"note with warning", activitypub.ModeNote, "Flooding photos", map[string]expect{
			"mastodon":   {warning: "Flooding photos", title: true, link: true},
			"gotosocial": {warning: "Flooding photos", title: true, link: true},
			"misskey":    {warning: "Flooding photos", title: true, link: true},
			"akkoma":     {warning: "Flooding photos", title: true, link: true},
		}},
	}
	views := map[string]func(*vocab.Object) view{
		"mastodon": mastodonView, "gotosocial": gotosocialView, "misskey": misskeyView, "akkoma": akkomaView,
	}
	fed := newRenderFed(t, activitypub.ModeDefault)
	for _, tc := range cases {
		a := goldenArticle()
		a.Mode, a.ContentWarning = tc.mode, tc.cw
		obj, err := fed.Render(context.Background(), "news", a)
		if err != nil {
			t.Fatal(err)
		}
		// Decode what goes on the wire, as a receiver would.
		doc, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		obj, err = vocab.Decode(doc)
		if err != nil {
			t.Fatal(err)
		}
		for server, want := range tc.servers {
			t.Run(tc.name+"/"+server, func(t *testing.T) {
				v := views[server](obj)
				if v.warning != want.warning {
					t.Errorf("warning = %q, want %q", v.warning, want.warning)
				}
				shown := v.text
				if v.warning == title {
					shown += v.warning
				}
				if got := strings.Contains(shown, title); got != want.title {
					t.Errorf("title shown = %v, want %v in %q", got, want.title, shown)
				}
				if got := strings.Contains(v.text, a.URL); got != want.link {
					t.Errorf("link shown = %v, want %v in %q", got, want.link, v.text)
				}
				if got := strings.Contains(v.text, "31 to 9"); got != want.body {
					t.Errorf("body shown = %v, want %v in %q", got, want.body, v.text)
				}
			})
		}
		if tc.cw != "" && !obj.Sensitive {
			t.Errorf("%s: not sensitive despite the warning", tc.name)
		}
		if tc.cw == "" && obj.Sensitive {
			t.Errorf("%s: sensitive without a warning", tc.name)
		}
	}
}

// TestRenderFields checks the properties every server reads the same way (INTEROP §1.11, §6).
func TestRenderFields(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeDefault)
	for _, mode := range []activitypub.Mode{activitypub.ModeArticle, activitypub.ModeNote} {
		t.Run(mode.String(), func(t *testing.T) {
			a := goldenArticle()
			a.Mode = mode
			obj, err := fed.Render(context.Background(), "news", a)
			if err != nil {
				t.Fatal(err)
			}
			newsID := fed.ActorID("news")
			var hashtags, mentions []string
			for _, r := range obj.Tag {
				switch r.Object.Type.First() {
				case "Hashtag":
					hashtags = append(hashtags, r.Object.Name+" "+r.Object.Href)
				case "Mention":
					mentions = append(mentions, r.Object.Name+" "+r.Object.Href)
				}
			}
			att := obj.Attachment
			checks := []struct {
				name      string
				got, want any
			}{
				{"id", obj.ID, a.URL},
				{"url", obj.URLString(), a.URL},
				{"attributedTo", strings.Join(obj.AttributedTo.IDs(), " "), newsID},
				{"to", strings.Join(obj.To.IDs(), " "), vocab.PublicIRI},
				{"cc", strings.Join(obj.Cc.IDs(), " "), newsID + "/followers https://social.example/users/alice"},
				{"hashtags (deduplicated, href to the tag page)", strings.Join(hashtags, ", "),
					"#RiverPath https://news.example.com/tags/riverpath, #cycling https://news.example.com/tags/cycling"},
				{"mentions", strings.Join(mentions, ", "), "@alice@social.example https://social.example/users/alice"},
				{"hashtag linked in content", strings.Contains(obj.Content,
					`<a href="https://news.example.com/tags/cycling" class="mention hashtag" rel="tag">#<span>cycling</span></a>`), true},
				{"mention linked in content", strings.Contains(obj.Content,
					`<a href="https://social.example/users/alice" class="u-url mention">@<span>alice</span></a>`), true},
				{"contentMap en", obj.ContentMap["en"], obj.Content},
				{"attachments", len(att), 1},
				{"attachment type", att[0].Object.Type.First(), "Image"},
				{"attachment mediaType", att[0].Object.MediaType, "image/jpeg"},
				{"attachment alt", att[0].Object.Name, "The river bank at dawn"},
				{"attachment url", string(att[0].Object.Extra["url"]), `"https://news.example.com/media/river.jpg"`},
				{"image", obj.Image[0].Object.URLString(), a.ImageURL},
				{"published", obj.Published, a.Published},
				{"summary", obj.Summary, ""},
				{"no script", strings.Contains(obj.Content, "script") || strings.Contains(obj.Content, "alert"), false},
				{"no onclick", strings.Contains(obj.Content, "onclick"), false},
				{"no img", strings.Contains(obj.Content, "<img"), false},
			}
			if mode == activitypub.ModeArticle {
				checks = append(checks, []struct {
					name      string
					got, want any
				}{
					{"type", obj.Type.First(), "Article"},
					{"name", obj.Name, a.Title},
					{"nameMap en", obj.NameMap["en"], a.Title},
					{"content keeps the body", strings.Contains(obj.Content, "<h2>A long debate</h2>"), true},
					{"preview", string(obj.Extra["preview"]), `{"type":"Note","attributedTo":["` + newsID +
						`"],"content":"<p>The long-debated cycle and footpath along the river will be built next spring.</p>"}`},
				}...)
			} else {
				checks = append(checks, []struct {
					name      string
					got, want any
				}{
					{"type", obj.Type.First(), "Note"},
					{"no name (GoToSocial would make it the warning)", obj.Name, ""},
					{"content", strings.SplitAfter(obj.Content, "</p>")[:3], []string{
						"<p><strong>Council approves the river path</strong></p>",
						"<p>The long-debated cycle and footpath along the river will be built next spring.</p>",
						`<p><a href="https://news.example.com/articles/river-path">https://news.example.com/articles/river-path</a></p>`,
					}},
				}...)
			}
			for _, c := range checks {
				if !equalJSON(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestRenderSanitize(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeArticle)
	cases := []struct{ in, want string }{
		{`<p>plain</p>`, `<p>plain</p>`},
		{`<p onclick="x()" style="color:red">styled</p>`, `<p>styled</p>`},
		{`<script>alert(1)</script><p>after</p>`, `<p>after</p>`},
		{`<a href="javascript:alert(1)">js</a>`, `js`},
		{`<a href="https://a.example/" target="_blank" rel="nofollow">ok</a>`, `<a href="https://a.example/" rel="nofollow">ok</a>`},
		{`<img src="https://a.example/i.png" alt="x"><p>text</p>`, `<p>text</p>`},
		{`<span class="h-card"><a class="u-url mention" href="https://a.example/u">@u</a></span>`,
			`<span class="h-card"><a class="u-url mention" href="https://a.example/u">@u</a></span>`},
		{`<span class="evil">x</span>`, `<span>x</span>`},
		{`<iframe src="https://a.example/"></iframe><p>x</p>`, `<p>x</p>`},
		{`<ol start="3"><li value="3">three</li></ol>`, `<ol start="3"><li value="3">three</li></ol>`},
		{`<blockquote><pre><code>a &lt; b</code></pre></blockquote>`, `<blockquote><pre><code>a &lt; b</code></pre></blockquote>`},
		{`<h1>A</h1><h6>F</h6><del>d</del><u>u</u>`, `<h1>A</h1><h6>F</h6><del>d</del><u>u</u>`},
		{`<table><tr><td>cell</td></tr></table>`, `cell`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			obj, err := fed.Render(context.Background(), "news",
				activitypub.Article{URL: renderBase + "/a", Title: "T", Content: c.in, Excerpt: "e"})
			if err != nil {
				t.Fatal(err)
			}
			if obj.Content != c.want {
				t.Errorf("content = %q, want %q", obj.Content, c.want)
			}
		})
	}
}

func TestRenderExcerpt(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeNote)
	long := strings.Repeat("word ", 100)
	cases := []struct {
		name string
		a    activitypub.Article
		want string // the second paragraph of the Note
	}{
		{"excerpt given", activitypub.Article{Excerpt: "Short & sweet.", Content: "<p>Body</p>"}, "<p>Short &amp; sweet.</p>"},
		{"excerpt HTML kept", activitypub.Article{Excerpt: "<p>An <em>early</em> start</p>"}, "<p>An <em>early</em> start</p>"},
		{"summary as the default", activitypub.Article{Summary: "From the summary.", Content: "<p>Body</p>"}, "<p>From the summary.</p>"},
		{"derived from the body, blocks spaced", activitypub.Article{Content: "<h2>Head</h2><p>First.</p><p>Se<em>c</em>ond &amp; more.</p>"},
			"<p>Head First. Second &amp; more.</p>"},
		{"derived and cut at a word", activitypub.Article{Content: "<p>" + long + "</p>"},
			"<p>" + strings.TrimSpace(strings.Repeat("word ", 56)) + "…</p>"},
		{"scripts are not text", activitypub.Article{Content: "<script>var x</script><style>p{}</style><p>Visible</p>"}, "<p>Visible</p>"},
		{"nothing to excerpt", activitypub.Article{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.a.URL, c.a.Title = renderBase+"/a", "T"
			obj, err := fed.Render(context.Background(), "news", c.a)
			if err != nil {
				t.Fatal(err)
			}
			want := "<p><strong>T</strong></p>" + c.want + `<p><a href="https://news.example.com/a">https://news.example.com/a</a></p>`
			if obj.Content != want {
				t.Errorf("content = %q, want %q", obj.Content, want)
			}
		})
	}
}

func TestRenderInvalid(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeDefault)
	img := activitypub.Image{URL: renderBase + "/i.png"}
	cases := []struct {
		name  string
		edit  func(*activitypub.Article)
		field string
	}{
		{"five images", func(a *activitypub.Article) { a.Images = []activitypub.Image{img, img, img, img, img} }, "Article.Images"},
		{"relative image", func(a *activitypub.Article) { a.Images = []activitypub.Image{{URL: "/i.png"}} }, "Article.Images[0].URL"},
		{"unknown image type", func(a *activitypub.Article) { a.Images = []activitypub.Image{{URL: renderBase + "/i"}} }, "Article.Images[0].MediaType"},
		{"not an image", func(a *activitypub.Article) {
			a.Images = []activitypub.Image{{URL: renderBase + "/i", MediaType: "text/html"}}
		}, "Article.Images[0].MediaType"},
		{"bad lead image", func(a *activitypub.Article) { a.ImageURL = "javascript:x" }, "Article.ImageURL"},
		{"hashtag with a space", func(a *activitypub.Article) { a.Tags = []string{"two words"} }, "Article.Tags[0]"},
		{"digits-only hashtag", func(a *activitypub.Article) { a.Tags = []string{"#2026"} }, "Article.Tags[0]"},
		{"empty hashtag", func(a *activitypub.Article) { a.Tags = []string{"#"} }, "Article.Tags[0]"},
		{"mention without a host", func(a *activitypub.Article) {
			a.Mentions = []activitypub.Mention{{ActorID: "https://s.example/u", Handle: "@alice"}}
		}, "Article.Mentions[0].Handle"},
		{"mention without an IRI", func(a *activitypub.Article) {
			a.Mentions = []activitypub.Mention{{Handle: "@alice@s.example"}}
		}, "Article.Mentions[0].ActorID"},
		{"language", func(a *activitypub.Article) { a.Language = "english please" }, "Article.Language"},
		{"mode", func(a *activitypub.Article) { a.Mode = 9 }, "Article.Mode"},
		{"quote policy", func(a *activitypub.Article) { a.QuotePolicy = 9 }, "Article.QuotePolicy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := activitypub.Article{URL: renderBase + "/a", Title: "T"}
			c.edit(&a)
			_, err := fed.Render(context.Background(), "news", a)
			inv, ok := errors.AsType[*activitypub.InvalidError](err)
			if !ok || inv.Field != c.field {
				t.Fatalf("err = %v, want an *InvalidError on %s", err, c.field)
			}
			if err := fed.Publish(context.Background(), "news", a); !errors.As(err, &inv) {
				t.Errorf("Publish: err = %v, want an *InvalidError", err)
			}
		})
	}
	if _, err := fed.Render(context.Background(), "nobody", activitypub.Article{URL: renderBase + "/a", Title: "T"}); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("unknown actor: err = %v, want ErrNotFound", err)
	}
}

// TestRenderModeDefaults checks the mode resolution: Article.Mode, else Config.Publishing.Mode,
// else Article.
func TestRenderModeDefaults(t *testing.T) {
	cases := []struct {
		config, article activitypub.Mode
		want            string
	}{
		{activitypub.ModeDefault, activitypub.ModeDefault, "Article"},
		{activitypub.ModeNote, activitypub.ModeDefault, "Note"},
		{activitypub.ModeNote, activitypub.ModeArticle, "Article"},
		{activitypub.ModeArticle, activitypub.ModeNote, "Note"},
	}
	for _, c := range cases {
		obj, err := newRenderFed(t, c.config).Render(context.Background(), "news",
			activitypub.Article{URL: renderBase + "/a", Title: "T", Mode: c.article})
		if err != nil {
			t.Fatal(err)
		}
		if got := obj.Type.First(); got != c.want {
			t.Errorf("config %v, article %v: type %s, want %s", c.config, c.article, got, c.want)
		}
	}
}

// TestPublishNoteMode publishes in Note mode and checks the stored object and its Create.
func TestPublishNoteMode(t *testing.T) {
	st := memstore.New()
	fed := newFederation(t, activitypub.Config{BaseURL: renderBase, Store: st})
	a := goldenArticle()
	a.Mode = activitypub.ModeNote
	ctx := context.Background()
	if err := fed.Publish(ctx, "news", a); err != nil {
		t.Fatal(err)
	}
	o, err := st.Object(ctx, a.URL)
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != "Note" {
		t.Errorf("stored type %q, want Note", o.Type)
	}
	activities := outbox(t, st, fed.ActorID("news"))
	if len(activities) != 1 {
		t.Fatalf("outbox holds %d activities, want the one Create", len(activities))
	}
	create := activities[0]
	// The Create carries the extension context, so JSON-LD readers keep Hashtag and sensitive.
	ctxDoc, _ := json.Marshal(create.Context)
	if !strings.Contains(string(ctxDoc), `"Hashtag":"as:Hashtag"`) {
		t.Errorf("Create @context = %s, want the Hashtag term", ctxDoc)
	}
	if create.Object.Object == nil || create.Object.Object.Type.First() != "Note" {
		t.Errorf("Create object = %+v, want the Note", create.Object)
	}
	if !create.Cc.Has("https://social.example/users/alice") {
		t.Errorf("Create cc = %v, want the mentioned actor", create.Cc.IDs())
	}
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)`)

// FuzzRender renders arbitrary HTML bodies, seeded with the content of real posts from the corpus,
// and checks that the rendering marshals, decodes back and keeps only allowed elements.
func FuzzRender(f *testing.F) {
	for _, seed := range corpusContents(f) {
		f.Add(seed, seed)
	}
	f.Add(`<p onclick=x>a</p><script>b</script>`, `<a href="javascript:x">e</a>`)
	fed := newRenderFed(f, activitypub.ModeDefault)
	allowed := map[string]bool{"p": true, "br": true, "a": true, "span": true, "del": true, "s": true, "pre": true,
		"code": true, "em": true, "strong": true, "b": true, "i": true, "u": true, "ul": true, "ol": true, "li": true,
		"blockquote": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}
	f.Fuzz(func(t *testing.T, content, excerpt string) {
		for _, mode := range []activitypub.Mode{activitypub.ModeArticle, activitypub.ModeNote} {
			obj, err := fed.Render(context.Background(), "news", activitypub.Article{
				URL: renderBase + "/a", Title: "T", Content: content, Excerpt: excerpt, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tagRE.FindAllStringSubmatch(obj.Content, -1) {
				if !allowed[strings.ToLower(m[2])] {
					t.Fatalf("element %s kept in %q", m[2], obj.Content)
				}
			}
			if strings.Contains(strings.ToLower(obj.Content), "javascript:") && strings.Contains(obj.Content, "href=\"javascript") {
				t.Fatalf("javascript link kept in %q", obj.Content)
			}
			doc, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			back, err := vocab.Decode(doc)
			if err != nil {
				t.Fatalf("decode own rendering: %v\n%s", err, doc)
			}
			if back.Content != obj.Content || back.ID != obj.ID {
				t.Fatalf("round trip changed the rendering")
			}
		}
	})
}

// corpusContents returns the HTML content of the corpus's posts from several servers.
func corpusContents(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, sub := range []string{"mastodon", "gotosocial", "akkoma", "pleroma", "wordpress", "ghost", "lemmy", "mastodon-docs"} {
		for _, c := range corpus.JSON(tb, sub) {
			o, err := vocab.Decode(c.Data)
			if err != nil {
				continue
			}
			if o.Content != "" {
				out = append(out, o.Content)
			}
			if inner := o.Object.Object; inner != nil && inner.Content != "" {
				out = append(out, inner.Content)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no post content found in the corpus")
	}
	return out
}

// TestRenderInlineHashtags renders an article whose text already links some of its hashtags, as
// a #word typed in the body becomes: each is tagged once, and the closing tag line links only the
// others, so no hashtag shows twice.
func TestRenderInlineHashtags(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeDefault)
	inline := `<a href="` + renderBase + `/tags/riverpath" class="mention hashtag" rel="tag">#<span>RiverPath</span></a>`
	a := activitypub.Article{URL: renderBase + "/articles/inline", Title: "Inline", Published: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
		Content: `<p>Funding for the ` + inline + ` passed.</p>`, Tags: []string{"RiverPath", "Riverside"}}
	for _, mode := range []activitypub.Mode{activitypub.ModeArticle, activitypub.ModeNote} {
		t.Run(mode.String(), func(t *testing.T) {
			a.Mode = mode
			obj, err := fed.Render(context.Background(), "news", a)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tag := range obj.Tag {
				if tag.Object != nil && tag.Object.Type.Has("Hashtag") {
					names = append(names, tag.Object.Name+" "+tag.Object.Href)
				}
			}
			if want := []string{"#RiverPath " + renderBase + "/tags/riverpath", "#Riverside " + renderBase + "/tags/riverside"}; !slices.Equal(names, want) {
				t.Errorf("Hashtag tags = %q, want %q", names, want)
			}
			// Article mode: inline in the body, Note mode (the body stays on the site): in the tag line.
			if n := strings.Count(obj.Content, `href="`+renderBase+`/tags/riverpath"`); n != 1 {
				t.Errorf("#RiverPath linked %d times in %s", n, obj.Content)
			}
			if n := strings.Count(obj.Content, `href="`+renderBase+`/tags/riverside"`); n != 1 {
				t.Errorf("#Riverside linked %d times in %s", n, obj.Content)
			}
		})
	}
}

// A site previews what followers will see of an article in Note mode, the mode that every server
// shows in full without a content warning.
func ExampleFederation_Render() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL:    "https://news.example.com",
		Store:      memstore.New(),
		Publishing: activitypub.Publishing{Mode: activitypub.ModeNote},
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
	})
	if err != nil {
		panic(err)
	}
	obj, err := fed.Render(context.Background(), "news", activitypub.Article{
		URL:     "https://news.example.com/articles/library",
		Title:   "Library extends its hours",
		Excerpt: "Open until 10 pm on weekdays.",
		Tags:    []string{"library"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(obj.Type.First())
	fmt.Println(strings.ReplaceAll(obj.Content, "</p>", "</p>\n"))
	// Output:
	// Note
	// <p><strong>Library extends its hours</strong></p>
	// <p>Open until 10 pm on weekdays.</p>
	// <p><a href="https://news.example.com/articles/library">https://news.example.com/articles/library</a></p>
	// <p><a href="https://news.example.com/tags/library" class="mention hashtag" rel="tag">#<span>library</span></a></p>
}

// BenchmarkRender renders the golden article and marshals it, as Publish does.
func BenchmarkRender(b *testing.B) {
	for _, mode := range []activitypub.Mode{activitypub.ModeArticle, activitypub.ModeNote} {
		b.Run(mode.String(), func(b *testing.B) {
			fed := newRenderFed(b, activitypub.ModeDefault)
			a := goldenArticle()
			a.Mode = mode
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				obj, err := fed.Render(ctx, "news", a)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
