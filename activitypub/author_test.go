package activitypub

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestAuthorFromCachedActor reads comment authors from real actor documents (testdata/actors,
// see SOURCES there) as the actor cache holds them: icon as an object, an array or a bare URL,
// names empty or blank, url absent.
func TestAuthorFromCachedActor(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	f, err := New(Config{BaseURL: "https://news.example", Store: st,
		Actors: ActorSourceFunc(func(context.Context, string) (*Actor, error) { return nil, ErrNotFound })})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want Author
	}{
		{"mastodon_objects_person.json", Author{
			ID: "https://masto.qa.urbanwildlife.biz/users/mastodon", Name: "Mastodon",
			Handle:     "@mastodon@masto.qa.urbanwildlife.biz",
			AvatarURL:  "https://masto.qa.urbanwildlife.biz/system/accounts/avatars/109/105/103/301/739/269/original/2cf61ff96e94cb1d.png",
			ProfileURL: "https://masto.qa.urbanwildlife.biz/@mastodon"}},
		{"bridgy-fed_akkoma_bridgy_actor.json", Author{
			ID: "https://fed.brid.gy/jk.nipponalba.scot", Name: "J K 🇯🇵🏴󠁧󠁢󠁳󠁣󠁴󠁿",
			Handle:     "@jk.nipponalba.scot@fed.brid.gy",
			AvatarURL:  "https://jk.nipponalba.scot/images/profile.jpg",
			ProfileURL: "https://fed.brid.gy/r/https://jk.nipponalba.scot"}},
		{"mastodon_mastodon-spec_activitypub-actor-noinbox.json", Author{
			ID: "https://ap.example.com/users/foo", Name: "foo", Handle: "@foo@ap.example.com",
			AvatarURL:  "https://quitter.no/avatar/7477-300-20160211190340.png",
			ProfileURL: "https://ap.example.com/users/foo"}},
		{"akkoma_akkoma_mewmew_no_name.json", Author{
			ID: "https://princess.cat/users/mewmew", Name: "mewmew", Handle: "@mewmew@princess.cat",
			AvatarURL:  "https://princess.cat/media/12794fb50e86911e65be97f69196814049dcb398a2f8b58b99bb6591576e648c.png?name=blobcatpresentpink.png",
			ProfileURL: "https://princess.cat/users/mewmew"}},
		{"lemmy_objects_person.json", Author{
			ID: "https://enterprise.lemmy.ml/u/picard", Name: "Jean-Luc Picard", Handle: "@picard@enterprise.lemmy.ml",
			AvatarURL:  "https://enterprise.lemmy.ml/pictrs/image/ed9ej7.jpg",
			ProfileURL: "https://enterprise.lemmy.ml/u/picard"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", "actors", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutRemoteActor(ctx, store.RemoteActor{ID: tt.want.ID, Inbox: tt.want.ID + "/inbox",
				Document: doc, FetchedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			got, err := lookupAuthor(ctx, f.log, f.cfg.Store, tt.want.ID)
			if err != nil || got != tt.want {
				t.Errorf("author = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}

	t.Run("not cached", func(t *testing.T) {
		id := "https://social.example/users/nobody"
		got, err := lookupAuthor(ctx, f.log, f.cfg.Store, id)
		if want := (Author{ID: id, ProfileURL: id}); err != nil || got != want {
			t.Errorf("author = %+v, %v, want %+v", got, err, want)
		}
	})
	t.Run("hostile document", func(t *testing.T) {
		id := "https://evil.example/users/mallory"
		doc := `{"id":"` + id + `","type":"Person","preferredUsername":"mallory","name":"Mallory",` +
			`"url":"https://bank.example/login","icon":{"type":"Image","url":"javascript:alert(1)"}}`
		if err := st.PutRemoteActor(ctx, store.RemoteActor{ID: id, Inbox: id + "/inbox", Document: []byte(doc), FetchedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		got, err := lookupAuthor(ctx, f.log, f.cfg.Store, id)
		// A url on another host and an icon that is no http(s) URL are dropped.
		want := Author{ID: id, Name: "Mallory", Handle: "@mallory@evil.example", ProfileURL: id}
		if err != nil || got != want {
			t.Errorf("author = %+v, %v, want %+v", got, err, want)
		}
	})
}
