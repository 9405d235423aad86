package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestExampleConfig: fedsite.example.toml parses, strictly, to the defaults, and documents every
// key of the file, the feeds' and the actors' included.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile("fedsite.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseConfig("fedsite.example.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	if want := defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("the example file says\n%+v\nthe defaults are\n%+v", got, want)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[config](), reflect.TypeFor[feedConfig](), reflect.TypeFor[actorConfig]()} {
		for f := range typ.Fields() {
			key := f.Tag.Get("toml")
			if !regexp.MustCompile(`(?m)^(# )?(\[\[|\[)?` + key + `( = |\]\]|\]$)`).Match(b) {
				t.Errorf("the example file does not document %s", key)
			}
		}
	}
}

// TestConfigFile: the file is read strictly, the flags override it, and the feeds and authors
// are checked.
func TestConfigFile(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		args       []string
		wantErr    string
		check      func(t *testing.T, c config)
	}{
		{"unknown key", "base_url = \"https://example.com\"\nwebhok_secret = \"x\"\n", nil, "webhok_secret", nil},
		{"unknown feed key", "base_url = \"https://example.com\"\n[[feeds]]\nurl = \"https://example.com/f\"\nhandle = \"x\"\n", nil, "handle", nil},
		{"bad duration", "base_url = \"https://example.com\"\ninterval = \"often\"\n", nil, "often", nil},
		{"not TOML", "base_url = \n", nil, "fedsite: config", nil},
		{"nothing to federate", "base_url = \"https://example.com\"\n", nil, "nothing to federate", nil},
		{"feed actor unknown", "base_url = \"https://example.com\"\n[[feeds]]\nurl = \"https://example.com/f\"\nactor = \"jane\"\n", nil, `actor "jane"`, nil},
		{"author mapped to nobody", "base_url = \"https://example.com\"\nwebhook_secret = \"s\"\n[authors]\n\"Jane\" = \"jane\"\n", nil, `"Jane" maps to "jane"`, nil},
		{"feed twice", "base_url = \"https://example.com\"\n[[feeds]]\nurl = \"https://example.com/f\"\n[[feeds]]\nurl = \"https://example.com/f\"\n", nil, "listed twice", nil},
		{"file and defaults", `base_url = "https://example.com"
handle = "paper"
interval = "2m"
[[feeds]]
url = "https://example.com/feed.xml"
[[feeds]]
url = "https://example.com/author/jane/feed"
actor = "jane"
interval = "1h"
[[actors]]
handle = "jane"
name = "Jane Doe"
[authors]
"Jane@Example.com" = "jane"
`, nil, "", func(t *testing.T, c config) {
			want := []feedConfig{{"https://example.com/feed.xml", "paper", duration(2 * time.Minute)}, {"https://example.com/author/jane/feed", "jane", duration(time.Hour)}}
			if !reflect.DeepEqual(c.Feeds, want) {
				t.Errorf("feeds %+v, want %+v", c.Feeds, want)
			}
			if c.Addr != "127.0.0.1:8090" || c.MaxFeedBytes != 10<<20 {
				t.Errorf("addr %q, max feed bytes %d: want the defaults", c.Addr, c.MaxFeedBytes)
			}
			if a := c.authorMap().actor("paper", "jane@example.com"); a != "jane" {
				t.Errorf("the author's actor is %q, want jane", a)
			}
		}},
		{"flags override", "base_url = \"https://example.com\"\naddr = \"127.0.0.1:1\"\nhandle = \"paper\"\n[[feeds]]\nurl = \"https://example.com/a\"\n[[feeds]]\nurl = \"https://example.com/b\"\n",
			[]string{"-addr", "127.0.0.1:2", "-feed", "https://example.com/only", "-interval", "1m"}, "", func(t *testing.T, c config) {
				if c.Addr != "127.0.0.1:2" || c.Handle != "paper" || len(c.Feeds) != 1 || c.Feeds[0] != (feedConfig{"https://example.com/only", "paper", duration(time.Minute)}) {
					t.Errorf("addr %q, handle %q, feeds %+v: want the flags over the file", c.Addr, c.Handle, c.Feeds)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fedsite.toml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := parseServe(append([]string{"-config", path}, tc.args...), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
