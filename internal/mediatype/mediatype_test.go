package mediatype

import "testing"

func TestIsActivityStreams(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"application/activity+json", true},
		{"Application/Activity+JSON; charset=utf-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{`application/ld+json;profile="https://www.w3.org/ns/activitystreams";charset=utf-8`, true},
		{`application/ld+json; charset=utf-8; profile="https://www.w3.org/ns/activitystreams"`, true},
		{`application/ld+json; profile="https://example.com/p https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json; profile=https://www.w3.org/ns/activitystreams", false}, // unquoted "/" is no token
		{"application/ld+json", false},
		{`application/ld+json; profile="https://example.com/p"`, false},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams#"`, false},
		{`application/json; profile="https://www.w3.org/ns/activitystreams"`, false},
		{"application/json", false},
		{"text/html; charset=utf-8", false},
		{"application/activity+json; charset", false}, // malformed parameter
		{"", false},
	}
	for _, tt := range tests {
		if got := IsActivityStreams(tt.contentType); got != tt.want {
			t.Errorf("IsActivityStreams(%q) = %v, want %v", tt.contentType, got, tt.want)
		}
	}
}
