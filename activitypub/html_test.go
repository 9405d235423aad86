package activitypub_test

import (
	"fmt"
	"html/template"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
)

func TestHTMLHelpers(t *testing.T) {
	fed := newRenderFed(t, activitypub.ModeDefault)
	cases := []struct {
		name string
		got  template.HTML
		want template.HTML
	}{
		{"alternate", fed.AlternateLink(renderBase + "/articles/a?x=1&y=2"),
			`<link rel="alternate" type="application/activity+json" href="https://news.example.com/articles/a?x=1&amp;y=2">`},
		{"alternate on another host", fed.AlternateLink("https://elsewhere.example/articles/a"), ""},
		{"alternate relative", fed.AlternateLink("/articles/a"), ""},
		{"alternate script", fed.AlternateLink("javascript:alert(1)"), ""},
		{"creator", activitypub.CreatorMeta("@alice@social.example"), `<meta name="fediverse:creator" content="@alice@social.example">`},
		{"creator without @", activitypub.CreatorMeta("alice@social.example"), `<meta name="fediverse:creator" content="@alice@social.example">`},
		{"creator of a site actor", activitypub.CreatorMeta(fed.Handle("news")), `<meta name="fediverse:creator" content="@news@news.example.com">`},
		{"creator without host", activitypub.CreatorMeta("@alice"), ""},
		{"creator injection", activitypub.CreatorMeta(`@a"><script>@x`), ""},
		{"me", activitypub.MeLink("https://social.example/@alice"), `<link rel="me" href="https://social.example/@alice">`},
		{"me relative", activitypub.MeLink("/about"), ""},
		{"me script", activitypub.MeLink("javascript:alert(1)"), ""},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	if h := fed.Handle("news"); h != "@news@news.example.com" {
		t.Errorf("Handle = %s", h)
	}
}

// A site puts the helpers in the <head> of an article page.
func ExampleFederation_AlternateLink() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   newTestStore(),
		Actors:  activitypub.ActorSourceFunc(nil),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(fed.AlternateLink("https://news.example.com/articles/hello"))
	fmt.Println(activitypub.CreatorMeta(fed.Handle("news")))
	fmt.Println(activitypub.MeLink(fed.ActorID("news")))
	// Output:
	// <link rel="alternate" type="application/activity+json" href="https://news.example.com/articles/hello">
	// <meta name="fediverse:creator" content="@news@news.example.com">
	// <link rel="me" href="https://news.example.com/ap/users/news">
}
