package vocab_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// TestTolerance proves each tolerance rule against a real corpus file (or, where the corpus has no
// example, a payload shaped like the one the named implementation sends).
func TestTolerance(t *testing.T) {
	tests := []struct {
		name  string
		file  string // corpus file; empty means inline
		json  string // inline payload
		check func(t *testing.T, o *vocab.Object)
	}{
		{
			name: "as:Public compact IRI in a string to (Ghost)",
			file: "ghost/activitypub_publish-note-create-activity.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(To)", len(o.To), 1)
				want(t, "To[0]", o.To[0].IRI, "as:Public")
				want(t, "To.Has(PublicIRI)", o.To.Has(vocab.PublicIRI), true)
				want(t, "To.HasPublic()", o.To.HasPublic(), true)
				want(t, "Cc IDs", strings.Join(o.Cc.IDs(), " "), "https://example.com/user/foo/followers")
				want(t, "Cc.HasPublic()", o.Cc.HasPublic(), false)
			},
		},
		{
			name: "full public IRI in an array (Mastodon)",
			file: "mastodon/activities_create_note.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Cc.Has(as:Public)", o.Cc.Has("as:Public"), true)
				want(t, "Cc.Has(Public)", o.Cc.Has("Public"), true)
				want(t, "To.HasPublic()", o.To.HasPublic(), false)
			},
		},
		{
			name: "bare Public term",
			json: `{"type":"Note","to":"Public","cc":["https://a.example/followers"]}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "To.HasPublic()", o.To.HasPublic(), true)
				want(t, "IsPublic(Public)", vocab.IsPublic("Public"), true)
				want(t, "IsPublic(followers)", vocab.IsPublic("https://a.example/followers"), false)
			},
		},
		{
			name: "type array",
			file: "mastodon/mastodon-spec_activitypub-actor-individual.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Type", strings.Join(o.Type, ","), "Person,vcard:individual")
				want(t, "IsActor", o.IsActor(), true)
				want(t, "Type.Has(vcard:individual)", o.Type.Has("vcard:individual"), true)
				out, _ := o.MarshalJSON()
				if !strings.Contains(string(out), `"type":["Person","vcard:individual"]`) {
					t.Errorf("type array not kept: %s", out)
				}
			},
		},
		{
			name: "publicKey array (Fedify)",
			file: "fedify/example.com_person.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(PublicKey)", len(o.PublicKey), 2)
				want(t, "PublicKey[1].ID", o.PublicKey[1].ID, "https://example.com/key2")
				want(t, "PublicKey[0].Owner", o.PublicKey[0].Owner, "https://example.com/person")
				want(t, "PEM prefix", strings.HasPrefix(o.PublicKey[0].PublicKeyPem, "-----BEGIN PUBLIC KEY-----"), true)
				want(t, "key type kept", string(o.PublicKey[0].Extra["type"]), `"CryptographicKey"`)
			},
		},
		{
			name: "publicKey object (Mastodon)",
			file: "mastodon/mastodon-spec_activitypub-actor.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(PublicKey)", len(o.PublicKey), 1)
				want(t, "key id is actor#main-key", o.PublicKey[0].ID, o.ID+"#main-key")
			},
		},
		{
			name: "icon and image arrays (Bridgy Fed)",
			file: "bridgy-fed/akkoma_bridgy_actor.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(Icon)", len(o.Icon), 1)
				want(t, "icon url", o.Icon[0].Object.URLString(), "https://jk.nipponalba.scot/images/profile.jpg")
				want(t, "icon name", o.Icon[0].Object.Name, "profile picture")
				want(t, "len(Image)", len(o.Image), 1)
			},
		},
		{
			name: "single icon object and bare image string (Akkoma, Ghost)",
			file: "akkoma/akkoma_mewmew_no_name.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(Icon)", len(o.Icon), 1)
				want(t, "icon type", o.Icon[0].Object.Type.First(), "Image")
			},
		},
		{
			name: "attributedTo array of IRI and object (AS2 spec, PeerTube shape)",
			file: "as2-spec-examples/example68_Image.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(AttributedTo)", len(o.AttributedTo), 2)
				want(t, "AttributedTo[0]", o.AttributedTo[0].IRI, "http://joe.example.org")
				want(t, "AttributedTo[1] name", o.AttributedTo[1].Object.Name, "Sally")
			},
		},
		{
			name: "attributedTo Person and Group (PeerTube video)",
			json: `{"type":"Video","id":"https://tube.example/videos/watch/1","attributedTo":[{"type":"Person","id":"https://tube.example/accounts/a"},{"type":"Group","id":"https://tube.example/video-channels/c"}],"icon":[{"type":"Image","url":"https://tube.example/s.jpg","width":280},{"type":"Image","url":"https://tube.example/l.jpg","width":560}],"url":[{"type":"Link","mediaType":"application/x-mpegURL","href":"https://tube.example/m.m3u8"},{"type":"Link","mediaType":"text/html","href":"https://tube.example/w/1"}]}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "AttributedTo IDs", strings.Join(o.AttributedTo.IDs(), " "), "https://tube.example/accounts/a https://tube.example/video-channels/c")
				want(t, "len(Icon)", len(o.Icon), 2)
				want(t, "URLString picks text/html", o.URLString(), "https://tube.example/w/1")
				want(t, "icon width kept", string(o.Icon[1].Object.Extra["width"]), "560")
			},
		},
		{
			name: "embedded actor and object (AS2 spec Accept)",
			file: "as2-spec-examples/example10_Accept.json",
			check: func(t *testing.T, o *vocab.Object) {
				if o.Actor.Object == nil || o.Object.Object == nil || o.Target.Object == nil {
					t.Fatalf("embedded objects not decoded: %+v", o)
				}
				want(t, "actor name", o.Actor.Object.Name, "Sally")
				want(t, "actor is actor", o.Actor.Object.IsActor(), true)
				want(t, "target type", o.Target.Object.Type.First(), "Group")
			},
		},
		{
			name: "embedded Follow with id in Undo (Mastodon)",
			file: "mastodon/activities_undo_follow.json",
			check: func(t *testing.T, o *vocab.Object) {
				if o.Object.Object == nil {
					t.Fatal("Undo object not embedded")
				}
				want(t, "inner type", o.Object.Object.Type.First(), "Follow")
				want(t, "Object.ID() = inner id", o.Object.ID(), o.Object.Object.ID)
				want(t, "inner actor = outer actor", o.Object.Object.Actor.ID(), o.Actor.ID())
			},
		},
		{
			name: "url as Link object",
			file: "as2-spec-examples/example110_Document.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "URLString", o.URLString(), "http://example.org/4q-sales-forecast.pdf")
				want(t, "URL[0] is Link", o.URL[0].Object.Type.First(), "Link")
			},
		},
		{
			name: "url as array of Links, HTML preferred",
			file: "as2-spec-examples/example111_Document.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "len(URL)", len(o.URL), 2)
				want(t, "URLString", o.URLString(), "http://example.org/4q-sales-forecast.html")
			},
		},
		{
			name: "url as string (Ghost)",
			file: "ghost/activitypub_publish-post-create-activity.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "URLString", o.Object.Object.URLString(), "https://example.com/post/456")
				want(t, "bare image string", o.Object.Object.Image[0].IRI, "https://example.com/img/456_feature.jpg")
			},
		},
		{
			name: "null summary, inReplyTo and attachment name (Mastodon)",
			file: "mastodon/akkoma_mastodon-create-with-attachment.json",
			check: func(t *testing.T, o *vocab.Object) {
				n := o.Object.Object
				want(t, "Summary", n.Summary, "")
				want(t, "InReplyTo zero", n.InReplyTo.IsZero(), true)
				if _, ok := n.Extra["summary"]; ok {
					t.Error("null summary kept in Extra")
				}
				want(t, "unknown null kept", string(n.Extra["inReplyToAtomUri"]), "null")
				want(t, "attachment name", n.Attachment[0].Object.Name, "")
			},
		},
		{
			name: "null sensitive (Akkoma)",
			file: "akkoma/akkoma_tesla_mock_p.helene.moe-AM7S6vZQmL6pI9TgPY.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Sensitive", o.Sensitive, false)
				want(t, "empty attachment array kept", o.Attachment != nil && len(o.Attachment) == 0, true)
			},
		},
		{
			name: "null sharedInbox and endpoints (Misskey actor shape)",
			json: `{"type":"Person","id":"https://mk.example/users/1","inbox":"https://mk.example/users/1/inbox","sharedInbox":"https://mk.example/inbox","endpoints":{"sharedInbox":"https://mk.example/inbox"},"name":null,"summary":null,"icon":null,"image":null,"publicKey":{"id":"https://mk.example/users/1#main-key","type":"Key","owner":"https://mk.example/users/1","publicKeyPem":"PEM"},"isCat":true,"manuallyApprovesFollowers":null,"discoverable":null,"attachment":null,"tag":null,"_misskey_summary":null}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "SharedInboxIRI", o.SharedInboxIRI(), "https://mk.example/inbox")
				want(t, "Icon", o.Icon == nil, true)
				want(t, "Discoverable", o.Discoverable == nil, true)
				want(t, "isCat kept", string(o.Extra["isCat"]), "true")
				want(t, "Extra size", len(o.Extra), 2)
			},
		},
		{
			name: "top-level sharedInbox only (Discourse, as Misskey sends it)",
			file: "discourse/objects_person.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "SharedInboxIRI", o.SharedInboxIRI(), "https://socialhub.activitypub.rocks/ap/users/inbox")
			},
		},
		{
			name: "single-object attachment (Ghost)",
			file: "ghost/helpers_activitypub_note-with-image-create-activity.json",
			check: func(t *testing.T, o *vocab.Object) {
				n := o.Object.Object
				want(t, "len(Attachment)", len(n.Attachment), 1)
				want(t, "attachment alt", n.Attachment[0].Object.Name, "alt text for image")
				want(t, "attachment url", n.Attachment[0].Object.URLString(), "https://example.com/images/test.jpg")
				want(t, "cc string", len(n.Cc), 1)
			},
		},
		{
			name: "single-object tag (Ghost mention)",
			file: "ghost/activitypub_publish-note-create-activity-with-mentions.json",
			check: func(t *testing.T, o *vocab.Object) {
				n := o.Object.Object
				want(t, "len(Tag)", len(n.Tag), 1)
				want(t, "tag type", n.Tag[0].Object.Type.First(), "Mention")
			},
		},
		{
			name: "contentMap without content (Mastodon via Akkoma)",
			file: "mastodon/akkoma_mastodon-post-activity-contentmap.json",
			check: func(t *testing.T, o *vocab.Object) {
				n := o.Object.Object
				want(t, "Content", n.Content, "")
				want(t, "contentMap en", strings.HasPrefix(n.ContentMap["en"], `<p><span class="h-card">`), true)
			},
		},
		{
			name: "dates with +00:00 and microseconds (lotide)",
			file: "lotide/objects_note.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Published", o.Published.Format(time.RFC3339Nano), "2020-12-31T06:47:24.470801Z")
			},
		},
		{
			name: "dates with +02:00 (GoToSocial)",
			file: "gotosocial/internaltoas__TestStatusToAS__Note__L553.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Published", o.Published.Format(time.RFC3339), "2021-10-20T12:40:37+02:00")
				want(t, "instant", o.Published.UTC().Format(time.RFC3339), "2021-10-20T10:40:37Z")
			},
		},
		{
			name: "dates without offset, unparseable dates kept",
			json: `{"type":"Note","published":"2024-05-01T10:00:00","updated":"last tuesday"}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Published", o.Published.Format(time.RFC3339), "2024-05-01T10:00:00Z")
				want(t, "Updated zero", o.Updated.IsZero(), true)
				want(t, "raw updated", string(o.Extra["updated"]), `"last tuesday"`)
			},
		},
		{
			name: "floats kept exactly (AS2 spec Place)",
			file: "as2-spec-examples/example112_Place.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "longitude", string(o.Extra["longitude"]), "119.7667")
				var lat any
				if _, err := o.DecodeExtra("latitude", &lat); err != nil {
					t.Fatal(err)
				}
				want(t, "latitude json.Number", lat, any(json.Number("36.75")))
			},
		},
		{
			name: "big numeric ids stay exact",
			json: `{"type":"Like","id":"https://threads.example/ap/users/17841400000000001/#likes/1","statusId":18446744073709551617,"nested":{"n":12345678901234567890}}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "raw", string(o.Extra["statusId"]), "18446744073709551617")
				var n json.Number
				if _, err := o.DecodeExtra("statusId", &n); err != nil {
					t.Fatal(err)
				}
				want(t, "json.Number", n.String(), "18446744073709551617")
				var nested map[string]any
				if _, err := o.DecodeExtra("nested", &nested); err != nil {
					t.Fatal(err)
				}
				want(t, "nested", nested["n"], any(json.Number("12345678901234567890")))
				out, _ := o.MarshalJSON()
				if !strings.Contains(string(out), `"statusId":18446744073709551617`) {
					t.Errorf("number changed on encode: %s", out)
				}
			},
		},
		{
			name: "totalItems as number, float and string",
			json: `{"type":"Collection","totalItems":"5","first":{"type":"CollectionPage","totalItems":5.0,"next":["https://a.example/p2"]},"last":{"totalItems":7}}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "string", *o.TotalItems, 5)
				want(t, "float", *o.First.Object.TotalItems, 5)
				want(t, "int", *o.Last.Object.TotalItems, 7)
				want(t, "Ref from array", o.First.Object.Next.IRI, "https://a.example/p2")
			},
		},
		{
			name: "collections as objects or arrays, unusable shapes kept",
			json: `{"type":"Person","id":"https://a.example/u","inbox":{"id":"https://a.example/u/inbox","type":"OrderedCollection"},"outbox":["https://a.example/u/outbox"],"followers":42,"name":{"en":"x"},"totalItems":1.5}`,
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "Inbox", o.Inbox, "https://a.example/u/inbox")
				want(t, "Outbox", o.Outbox, "https://a.example/u/outbox")
				want(t, "Followers", o.Followers, "")
				want(t, "followers raw", string(o.Extra["followers"]), "42")
				want(t, "name raw", string(o.Extra["name"]), `{"en":"x"}`)
				want(t, "totalItems raw", string(o.Extra["totalItems"]), "1.5")
			},
		},
		{
			name: "expanded JSON-LD decodes into Extra (Fedify fixture)",
			file: "fedify/example.com_hong-gildong.json",
			check: func(t *testing.T, o *vocab.Object) {
				want(t, "ID", o.ID, "")
				if _, ok := o.Extra["@id"]; !ok {
					t.Error("@id not kept in Extra")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.json)
			if tc.file != "" {
				data = corpus.ReadFile(t, tc.file)
			}
			o, err := vocab.Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tc.check(t, o)
		})
	}
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, vocab.MaxDepth) + "1" + strings.Repeat("}", vocab.MaxDepth)
	tooDeep := strings.Repeat(`{"a":`, vocab.MaxDepth+1) + "1" + strings.Repeat("}", vocab.MaxDepth+1)
	arrays := `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}"
	tests := []struct {
		name  string
		input string
		is    error // nil: must succeed
		fails bool
	}{
		{"deepest allowed", deep, nil, false},
		{"one level too deep", tooDeep, vocab.ErrTooDeep, true},
		{"deep arrays", arrays, vocab.ErrTooDeep, true},
		{"brackets inside strings do not count", `{"a":"` + strings.Repeat("[{", 100) + `"}`, nil, false},
		{"array", `[{"type":"Note"}]`, vocab.ErrNotObject, true},
		{"string", `"https://a.example/"`, vocab.ErrNotObject, true},
		{"null", `null`, vocab.ErrNotObject, true},
		{"empty", ``, nil, true},
		{"truncated", `{"type":"Note"`, nil, true},
		{"trailing data", `{"type":"Note"} {}`, nil, true},
		{"whitespace around", " \n{\"type\":\"Note\"}\n ", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := vocab.Decode([]byte(tc.input))
			if !tc.fails {
				if err != nil || o == nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "vocab: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
		})
	}
	var syn *json.SyntaxError
	if _, err := vocab.Decode([]byte(`{"a":}`)); !errors.As(err, &syn) {
		t.Errorf("syntax error not wrapped: %v", err)
	}
}
