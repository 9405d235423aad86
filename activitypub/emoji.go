package activitypub

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Emoji reactions: Pleroma's and Akkoma's EmojiReact, and Misskey's Like with _misskey_reaction
// (and content), each naming a Unicode emoji or a custom one (":shortcode:") described by an
// Emoji tag with its image.

// Emoji is the emoji of a reaction, as a comment list shows it.
type Emoji struct {
	// Name is a Unicode emoji itself, without variation selectors, or a custom emoji's
	// shortcode between colons, such as ":blobcat:".
	Name string
	// Host is the server a custom emoji belongs to; "" for a Unicode emoji. Custom emoji of one
	// shortcode on two servers are two emoji.
	Host string
	// IconURL is a custom emoji's image, as its server last described it; "" for a Unicode emoji,
	// or a custom one whose image was not given.
	IconURL string
}

// Custom reports whether e is a custom emoji (an image) rather than a Unicode one.
func (e Emoji) Custom() bool { return e.Host != "" }

// key is e as the store keeps it (store.Interaction.Emoji): a Unicode emoji itself, a custom
// one as ":shortcode@host:".
func (e Emoji) key() string {
	if !e.Custom() {
		return e.Name
	}
	return strings.TrimSuffix(e.Name, ":") + "@" + e.Host + ":"
}

// emojiOf reads a kept reaction's emoji back from its key and document (the Emoji tag of a
// custom emoji).
func emojiOf(key string, doc []byte) Emoji {
	m := customKey.FindStringSubmatch(key)
	if m == nil {
		return Emoji{Name: key}
	}
	e := Emoji{Name: ":" + m[1] + ":", Host: m[2]}
	if len(doc) > 0 {
		if o, err := vocab.Decode(doc); err == nil {
			e.IconURL = emojiIcon(o)
		}
	}
	return e
}

var (
	// shortcode is a custom emoji's name between colons, as Mastodon and Misskey allow it, with
	// Misskey's "@host" for an emoji of another server.
	shortcode = regexp.MustCompile(`^:([A-Za-z0-9_+-]{1,64})(?:@([A-Za-z0-9.-]{1,253}))?:$`)
	// customKey is a custom emoji's key.
	customKey = regexp.MustCompile(`^:([A-Za-z0-9_+-]{1,64})@([a-z0-9.-]{1,253}):$`)
)

// maxEmojiRunes bounds a Unicode emoji: the longest in Unicode 16 (a family of four with skin
// tones, or a subdivision flag) has 11 code points.
const maxEmojiRunes = 16

// reactionOf reads the reaction an activity carries: a Dislike, an emoji reaction (EmojiReact,
// or a Like with _misskey_reaction or content), or a plain Like (ok false then, and the emoji
// zero). A Like whose reaction is no emoji is a plain Like, as Misskey and Mastodon read it; an
// EmojiReact whose content is none is an error matching ErrInvalid.
func reactionOf(act *vocab.Object) (kind store.InteractionKind, e Emoji, err error) {
	switch {
	case act.Type.Has("Dislike"):
		return store.InteractionDislike, Emoji{}, nil
	case act.Type.Has("EmojiReact"):
		e, ok := parseEmoji(act, act.Content)
		if !ok {
			return "", Emoji{}, invalid("content", "EmojiReact content %q is not one emoji", act.Content)
		}
		return store.InteractionReaction, e, nil
	}
	text := act.Content
	var misskey string
	if ok, err := act.DecodeExtra("_misskey_reaction", &misskey); ok && err == nil && misskey != "" {
		text = misskey
	}
	if e, ok := parseEmoji(act, text); ok {
		return store.InteractionReaction, e, nil
	}
	return store.InteractionLike, Emoji{}, nil
}

// parseEmoji reads the reaction text of act: a custom emoji's ":shortcode:" or one Unicode emoji,
// normalized without its variation selectors. A custom emoji is the reacting actor's server's,
// whose Emoji tag gives its image; one named with another server (Misskey's ":shortcode@host:")
// is that server's, kept without an image, as the actor's server cannot speak for it.
func parseEmoji(act *vocab.Object, text string) (Emoji, bool) {
	text = strings.TrimSpace(text)
	if m := shortcode.FindStringSubmatch(text); m != nil {
		actorHost, ok := store.HostOf(act.Actor.ID())
		if !ok {
			return Emoji{}, false
		}
		e := Emoji{Name: ":" + m[1] + ":", Host: strings.ToLower(strings.TrimSuffix(m[2], "."))}
		if e.Host == "" || e.Host == actorHost {
			e.Host = actorHost
			if tag := emojiTag(act, e.Name); tag != nil {
				e.IconURL = emojiIcon(tag)
			}
		}
		return e, customKey.MatchString(e.key()) && len(e.key()) <= store.MaxEmojiBytes
	}
	name := strings.Map(func(r rune) rune {
		if r == '\uFE0F' || r == '\uFE0E' {
			return -1
		}
		return r
	}, text)
	return Emoji{Name: name}, oneEmoji(name)
}

// emojiTag returns the Emoji tag of act named name, or nil.
func emojiTag(act *vocab.Object, name string) *vocab.Object {
	for _, t := range act.Tag {
		if t.Object != nil && t.Object.Type.Has("Emoji") && t.Object.Name == name {
			return t.Object
		}
	}
	return nil
}

// emojiIcon is the http(s) image of an Emoji tag, "" for none.
func emojiIcon(tag *vocab.Object) string {
	for _, ic := range tag.Icon {
		u := ic.IRI
		if ic.Object != nil {
			u = ic.Object.URLString()
		}
		if absHTTP(u) {
			return u
		}
	}
	return ""
}

// oneEmoji reports whether s (without variation selectors) is one emoji: one or more pictographs
// joined by zero-width joiners, each with its modifiers (skin tones, tag characters of a
// subdivision flag), a pair of regional indicators (a flag), or a keycap. Text, punctuation and
// two emoji side by side are not.
func oneEmoji(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxEmojiRunes {
		return false
	}
	for part := range strings.SplitSeq(s, "\u200D") {
		if !emojiPart([]rune(part)) {
			return false
		}
	}
	return true
}

// emojiPart reports whether rs is one emoji between zero-width joiners.
func emojiPart(rs []rune) bool {
	switch {
	case len(rs) == 0:
		return false
	case len(rs) == 2 && regional(rs[0]) && regional(rs[1]):
		return true // a flag
	case len(rs) == 2 && strings.ContainsRune("0123456789#*", rs[0]) && rs[1] == '\u20E3':
		return true // a keycap
	case !unicode.Is(unicode.So, rs[0]) || regional(rs[0]):
		return false
	}
	for _, r := range rs[1:] {
		skinTone := r >= 0x1F3FB && r <= 0x1F3FF
		tagChar := r >= 0xE0020 && r <= 0xE007F
		if !skinTone && !tagChar && r != '\u20E3' {
			return false
		}
	}
	return true
}

func regional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// emojiDocument is what the store keeps of a custom emoji: its Emoji tag, with only the name and
// image; nil for a Unicode emoji.
func emojiDocument(e Emoji) ([]byte, error) {
	if !e.Custom() || e.IconURL == "" {
		return nil, nil
	}
	return json.Marshal(&vocab.Object{Type: vocab.Types{"Emoji"}, Name: e.Name,
		Icon: vocab.Refs{{Object: &vocab.Object{Type: vocab.Types{"Image"}, URL: vocab.Refs{{IRI: e.IconURL}}}}}})
}
