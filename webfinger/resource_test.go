package webfinger

import (
	"errors"
	"strings"
	"testing"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		in   string
		want Resource
		str  string // normal form; empty means in
	}{
		{in: "acct:alice@example.com", want: Resource{Scheme: "acct", User: "alice", Host: "example.com"}},
		{in: "acct:Gargron@mastodon.social", want: Resource{Scheme: "acct", User: "Gargron", Host: "mastodon.social"}},
		{in: "ACCT:alice@Example.COM", want: Resource{Scheme: "acct", User: "alice", Host: "example.com"}, str: "acct:alice@example.com"},
		{in: "alice@example.com", want: Resource{Scheme: "acct", User: "alice", Host: "example.com"}, str: "acct:alice@example.com"},
		{in: "@alice@example.com", want: Resource{Scheme: "acct", User: "alice", Host: "example.com"}, str: "acct:alice@example.com"},
		{in: "acct:juliet%40capulet.example@shoppingsite.example", want: Resource{Scheme: "acct", User: "juliet@capulet.example", Host: "shoppingsite.example"}},
		{in: "acct:%61lice@example.com", want: Resource{Scheme: "acct", User: "alice", Host: "example.com"}, str: "acct:alice@example.com"},
		{in: "acct:caf%C3%A9@example.com", want: Resource{Scheme: "acct", User: "café", Host: "example.com"}},
		{in: "acct:a.b_c-d~e+f@example.com", want: Resource{Scheme: "acct", User: "a.b_c-d~e+f", Host: "example.com"}},
		{in: "acct:alice@127.0.0.1:8080", want: Resource{Scheme: "acct", User: "alice", Host: "127.0.0.1:8080"}},
		{in: "acct:alice@[2001:DB8::1]:443", want: Resource{Scheme: "acct", User: "alice", Host: "[2001:db8::1]:443"}, str: "acct:alice@[2001:db8::1]:443"},
		{in: "https://Example.COM/users/Alice", want: Resource{Scheme: "https", Host: "example.com", URL: "https://example.com/users/Alice"}, str: "https://example.com/users/Alice"},
		{in: "HTTP://example.com", want: Resource{Scheme: "http", Host: "example.com", URL: "http://example.com"}, str: "http://example.com"},
		{in: "https://example.com/@alice?x=1#frag", want: Resource{Scheme: "https", Host: "example.com", URL: "https://example.com/@alice?x=1#frag"}},
		{in: "https://127.0.0.1:9999/actor", want: Resource{Scheme: "https", Host: "127.0.0.1:9999", URL: "https://127.0.0.1:9999/actor"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseResource(tt.in)
			if err != nil {
				t.Fatalf("ParseResource(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseResource(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			if got.IsAcct() != (tt.want.Scheme == "acct") {
				t.Errorf("IsAcct() = %v", got.IsAcct())
			}
		})
	}
}

func TestParseResourceRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"too long", "acct:" + strings.Repeat("a", MaxResourceLen) + "@example.com"},
		{"bare too long", strings.Repeat("a", MaxResourceLen-len("@example.com")-2) + "@example.com"},
		{"no at", "acct:alice"},
		{"empty user", "acct:@example.com"},
		{"empty host", "acct:alice@"},
		{"two ats", "acct:alice@evil.example@example.com"},
		{"acct with leading at", "acct:@alice@example.com"},
		{"space", "acct:al ice@example.com"},
		{"leading space", " acct:alice@example.com"},
		{"tab", "acct:alice@example.com\t"},
		{"newline", "acct:alice@example.com\n"},
		{"nul", "acct:alice\x00@example.com"},
		{"del", "acct:alice\x7f@example.com"},
		{"escaped space", "acct:al%20ice@example.com"},
		{"escaped control", "acct:al%0Aice@example.com"},
		{"escaped C1", "acct:al%C2%85ice@example.com"},
		{"bad escape", "acct:al%zzice@example.com"},
		{"bad utf8", "acct:al%FFice@example.com"},
		{"slash in user", "acct:a/b@example.com"},
		{"colon in user", "acct:a:b@example.com"},
		{"non-ascii user", "acct:café@example.com"},
		{"non-ascii host", "acct:alice@bücher.example"},
		{"host with path", "acct:alice@example.com/x"},
		{"host with leading dot", "acct:alice@.example.com"},
		{"host with double dot", "acct:alice@example..com"},
		{"bad port", "acct:alice@example.com:http"},
		{"port zero", "acct:alice@example.com:0"},
		{"port too big", "acct:alice@example.com:65536"},
		{"signed port", "acct:alice@example.com:+80"},
		{"empty port", "acct:alice@example.com:"},
		{"port only", "acct:alice@:80"},
		{"bad ipv6", "acct:alice@[zz::1]"},
		{"ipv4 in brackets", "acct:alice@[127.0.0.1]"},
		{"unclosed ipv6", "acct:alice@[::1"},
		{"mailto", "mailto:alice@example.com"},
		{"ftp", "ftp://example.com/alice"},
		{"no scheme no at", "example.com/users/alice"},
		{"url no host", "https:///users/alice"},
		{"url opaque", "https:example.com"},
		{"url userinfo", "https://alice@example.com/"},
		{"url space", "https://example.com/a b"},
		{"url bad host", "https://exa$mple.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResource(tt.in)
			if err == nil {
				t.Fatalf("ParseResource(%q) = %#v, want error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalidResource) {
				t.Errorf("error %v does not match ErrInvalidResource", err)
			}
			if !strings.HasPrefix(err.Error(), "webfinger: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestParseResourceLimit checks the length bound is on the input and on the normal form.
func TestParseResourceLimit(t *testing.T) {
	host := "@example.com"
	exact := "acct:" + strings.Repeat("a", MaxResourceLen-len("acct:")-len(host)) + host
	if len(exact) != MaxResourceLen {
		t.Fatalf("test setup: len %d", len(exact))
	}
	r, err := ParseResource(exact)
	if err != nil {
		t.Fatalf("ParseResource at the limit: %v", err)
	}
	if r.String() != exact {
		t.Errorf("String() changed a resource at the limit")
	}
	if _, err := ParseResource(exact + "m"); err == nil {
		t.Errorf("ParseResource accepted %d bytes", len(exact)+1)
	}
}

func TestParseResourceCorpus(t *testing.T) {
	// Every acct: subject in the corpus WebFinger answers parses and keeps its normal form.
	for _, name := range corpusJRDFiles {
		j := readCorpusJRD(t, name)
		r, err := ParseResource(j.Subject)
		if err != nil {
			t.Errorf("%s: subject %q: %v", name, j.Subject, err)
			continue
		}
		if r.String() != j.Subject {
			t.Errorf("%s: subject %q normalised to %q", name, j.Subject, r.String())
		}
		for _, a := range j.Aliases {
			if _, err := ParseResource(a); err != nil {
				t.Errorf("%s: alias %q: %v", name, a, err)
			}
		}
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range corpusResourceStrings(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"acct:alice@example.com", "@alice@example.com", "alice@example.com:8443",
		"acct:juliet%40capulet.example@shoppingsite.example", "acct:alice@[::1]:80",
		"https://example.com/users/alice#main-key", "http://EXAMPLE.com:80/%7Euser?q=a%20b",
		"acct:%C3%A9@x", "https://example.com/%zz", "acct:a@b@c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResource(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidResource) {
				t.Fatalf("ParseResource(%q): error %v does not match ErrInvalidResource", s, err)
			}
			return
		}
		if r.Host == "" || (r.Scheme == "acct") == (r.URL != "") || (r.Scheme == "acct") == (r.User == "") {
			t.Fatalf("ParseResource(%q) = %#v: inconsistent fields", s, r)
		}
		norm := r.String()
		if len(norm) > MaxResourceLen {
			t.Fatalf("ParseResource(%q): normal form is %d bytes", s, len(norm))
		}
		r2, err := ParseResource(norm)
		if err != nil {
			t.Fatalf("ParseResource(%q) = %#v, but its String %q does not parse: %v", s, r, norm, err)
		}
		if r2 != r {
			t.Fatalf("round trip of %q: %#v, then %q gave %#v", s, r, norm, r2)
		}
	})
}

func BenchmarkParseResource(b *testing.B) {
	for _, in := range []string{"acct:alice@example.com", "https://example.com/users/alice"} {
		b.Run(in[:5], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseResource(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
