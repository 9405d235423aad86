package activitypub_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// corpusActivity is a corpus payload made r's and pointed at article (see readdress).
func corpusActivity(t *testing.T, name string, r *activitypubtest.Remote, article string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(corpus.ReadFile(t, name), &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readdress(m, r.ActorID(), article, ""), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReactionDialects sends each software's reaction, as the corpus has it, then takes it back
// with an Undo that embeds it and with one that names its id: each is counted per emoji, apart
// from likes, and withdrawn.
func TestReactionDialects(t *testing.T) {
	const hanapogIcon = "https://misskey.local.live/files/webpublic-8f8a9768-7264-4171-88d6-2356aabeadcd"
	tests := []struct {
		name    string
		payload string
		edit    func(m map[string]any) // a change to the corpus payload, nil for none
		want    func(host string) activitypub.Counts
		hook    string
	}{
		{"Pleroma/Akkoma EmojiReact", "misc-akkoma-fixtures/akkoma_emoji-reaction.json", nil,
			func(string) activitypub.Counts {
				return activitypub.Counts{Reactions: []activitypub.ReactionCount{{Emoji: activitypub.Emoji{Name: "👌"}, Count: 1}}}
			}, "reaction 👌"},
		{"Misskey Like with a custom emoji", "misc-akkoma-fixtures/akkoma_custom-emoji-reaction.json", nil,
			func(host string) activitypub.Counts {
				return activitypub.Counts{Reactions: []activitypub.ReactionCount{
					{Emoji: activitypub.Emoji{Name: ":hanapog:", Host: host, IconURL: hanapogIcon}, Count: 1}}}
			}, "reaction :hanapog:"},
		{"Misskey Like with a Unicode emoji and its variation selector",
			"misc-akkoma-fixtures/akkoma_custom-emoji-reaction.json",
			func(m map[string]any) {
				m["content"], m["_misskey_reaction"] = "❤\uFE0F", "❤\uFE0F"
				delete(m, "tag")
			},
			func(string) activitypub.Counts {
				return activitypub.Counts{Reactions: []activitypub.ReactionCount{{Emoji: activitypub.Emoji{Name: "❤"}, Count: 1}}}
			}, "reaction ❤"},
		{"Misskey Like without a reaction is a like", "misc-akkoma-fixtures/akkoma_custom-emoji-reaction.json",
			func(m map[string]any) {
				delete(m, "content")
				delete(m, "_misskey_reaction")
			},
			func(string) activitypub.Counts { return activitypub.Counts{Likes: 1} }, "like"},
		{"Lemmy Dislike", "lemmy/activities_voting_dislike_page.json", nil,
			func(string) activitypub.Counts { return activitypub.Counts{Dislikes: 1} }, "reaction dislike"},
	}
	for _, tt := range tests {
		for _, undoBy := range []string{"embedded", "id"} {
			t.Run(tt.name+"/undo "+undoBy, func(t *testing.T) {
				log := &hookLog{}
				s, article := interactionSite(t, log, false)
				bob := activitypubtest.NewRemote(t, "bob")
				host, _ := store.HostOf(bob.ActorID())
				react := corpusActivity(t, tt.payload, bob, article)
				if tt.edit != nil {
					tt.edit(react)
				}
				post(t, bob, s, react, http.StatusAccepted)
				if got, want := counts(t, s, article), tt.want(host); !reflect.DeepEqual(got, want) {
					t.Fatalf("counts after the reaction = %+v, want %+v", got, want)
				}
				if got := log.list(); len(got) != 1 || got[0] != tt.hook {
					t.Errorf("hooks heard %q, want %q", got, tt.hook)
				}
				// A redelivery under another id is the same reaction.
				again := maps.Clone(react)
				again["id"] = react["id"].(string) + "-again"
				post(t, bob, s, again, http.StatusAccepted)
				if got, want := counts(t, s, article), tt.want(host); !reflect.DeepEqual(got, want) {
					t.Errorf("counts after a repeat = %+v, want %+v", got, want)
				}
				var object any = react["id"]
				if undoBy == "embedded" {
					object = again // the dropped repeat: its kept twin goes
				}
				post(t, bob, s, map[string]any{"id": bob.ActorID() + "/undo/1", "type": "Undo", "object": object}, http.StatusAccepted)
				if got := counts(t, s, article); !reflect.DeepEqual(got, activitypub.Counts{}) {
					t.Errorf("counts after the Undo = %+v, want none", got)
				}
				if got := log.list(); len(got) != 2 || !strings.HasPrefix(got[1], "undo ") {
					t.Errorf("hooks heard %q, want an undo last", got)
				}
			})
		}
	}
}

// TestReactionsPerEmoji checks the counting across actors and emoji, what Interactions lists of
// reactions, the refusal of what is no emoji, and Config.Inbox.IgnoreDislikes.
func TestReactionsPerEmoji(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	alice, bob := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob")
	react := func(r *activitypubtest.Remote, n, content string) map[string]any {
		return map[string]any{"id": r.ActorID() + "/reactions/" + n, "type": "EmojiReact", "object": article, "content": content}
	}
	post(t, alice, s, react(alice, "1", "👍"), http.StatusAccepted)
	post(t, alice, s, react(alice, "2", "❤️"), http.StatusAccepted) // one actor, two emoji
	post(t, bob, s, react(bob, "1", "❤"), http.StatusAccepted)      // the same heart, without its selector
	post(t, bob, s, react(bob, "2", "👨‍👩‍👧"), http.StatusAccepted)
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/likes/1", "type": "Like", "object": article}, http.StatusAccepted)
	for _, bad := range []string{"~", "👌👌", "hello", "", ":no spaces:"} {
		post(t, bob, s, react(bob, "bad"+bad, bad), http.StatusBadRequest)
	}
	want := activitypub.Counts{Likes: 1, Reactions: []activitypub.ReactionCount{
		{Emoji: activitypub.Emoji{Name: "❤"}, Count: 2},
		{Emoji: activitypub.Emoji{Name: "👨‍👩‍👧"}, Count: 1},
		{Emoji: activitypub.Emoji{Name: "👍"}, Count: 1},
	}}
	if got := counts(t, s, article); !reflect.DeepEqual(got, want) {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	p, err := s.fed.Interactions(t.Context(), article, store.InteractionReaction, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, i := range p.Items {
		if i.Emoji == nil {
			t.Fatalf("reaction %s listed without its emoji", i.ID)
		}
		listed = append(listed, i.Emoji.Name)
	}
	if w := []string{"👨‍👩‍👧", "❤", "❤", "👍"}; !reflect.DeepEqual(listed, w) {
		t.Errorf("listed reactions = %q, want %q, newest first", listed, w)
	}

	ignoring := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.Inbox.IgnoreDislikes = true })
	other := ignoring.url("/articles/a")
	if err := ignoring.fed.Publish(t.Context(), "news", activitypub.Article{URL: other, Title: "A", Content: "<p>A</p>"}); err != nil {
		t.Fatal(err)
	}
	post(t, bob, ignoring, corpusActivity(t, "lemmy/activities_voting_dislike_page.json", bob, other), http.StatusAccepted)
	if got := counts(t, ignoring, other); !reflect.DeepEqual(got, activitypub.Counts{}) {
		t.Errorf("with IgnoreDislikes, counts = %+v, want none", got)
	}
}

// TestCustomEmojiOfAnotherServer checks that a reacting server names only its own custom emoji:
// one it says is another server's keeps that server but not the image it gives.
func TestCustomEmojiOfAnotherServer(t *testing.T) {
	s, article := interactionSite(t, &hookLog{}, false)
	bob := activitypubtest.NewRemote(t, "bob")
	host, _ := store.HostOf(bob.ActorID())
	tag := []any{map[string]any{"type": "Emoji", "name": ":cat:", "icon": map[string]any{"type": "Image", "url": "https://evil.example/cat.png"}}}
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/r/1", "type": "Like", "object": article,
		"_misskey_reaction": ":cat@good.example:", "tag": tag}, http.StatusAccepted)
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/r/2", "type": "EmojiReact", "object": article,
		"content": ":cat:", "tag": tag}, http.StatusAccepted)
	want := []activitypub.ReactionCount{
		{Emoji: activitypub.Emoji{Name: ":cat:", Host: host, IconURL: "https://evil.example/cat.png"}, Count: 1},
		{Emoji: activitypub.Emoji{Name: ":cat:", Host: "good.example"}, Count: 1},
	}
	if got := counts(t, s, article).Reactions; !reflect.DeepEqual(got, want) {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
}
