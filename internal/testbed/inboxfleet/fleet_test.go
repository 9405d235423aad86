package inboxfleet

import (
	"bytes"
	"crypto"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/signing"
)

// TestFleet posts to the fleet through both clients: each host's inbox counts its own deliveries
// and signatures over the Host header verify, whether hosts share connections or not.
func TestFleet(t *testing.T) {
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://a.test/actor#main-key"
	for _, client := range []struct {
		name string
		new  func(addr string, n int) *http.Client
	}{{"per-host", Client}, {"shared", SharedClient}} {
		t.Run(client.name, func(t *testing.T) {
			f, err := Start(Config{Key: key.Public(), KeyID: keyID})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			testFleet(t, f, client.new(f.Addr(), 4), key, keyID)
			// Three hosts: a connection each, or the one connection they share.
			if want := map[string]int64{"per-host": 3, "shared": 1}[client.name]; f.Conns() != want {
				t.Errorf("%d connections, want %d", f.Conns(), want)
			}
		})
	}
}

func testFleet(t *testing.T, f *Fleet, c *http.Client, key crypto.Signer, keyID string) {
	post := func(inbox string, sign bool) int {
		body := []byte(`{"type":"Create"}`)
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if sign {
			if err := signing.Sign(req, signing.Key{ID: keyID, Signer: key}, body, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		inbox string
		sign  bool
		want  int
	}{
		{Inbox(1, 1), true, http.StatusAccepted},
		{Inbox(2, 2), true, http.StatusAccepted},
		{Inbox(1, 1), true, http.StatusAccepted},
		{Inbox(3, 3), false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if got := post(tt.inbox, tt.sign); got != tt.want {
			t.Errorf("POST %s signed=%v: %d, want %d", tt.inbox, tt.sign, got, tt.want)
		}
	}
	if f.Received(Inbox(1, 1)) != 2 || f.Received(Inbox(2, 2)) != 1 || f.Received(Inbox(3, 3)) != 0 {
		t.Errorf("counts: %d %d %d", f.Received(Inbox(1, 1)), f.Received(Inbox(2, 2)), f.Received(Inbox(3, 3)))
	}
	if f.Distinct() != 2 || f.Accepted() != 3 || f.Total() != 4 || f.Checked() != 4 || f.BadSignatures() != 1 {
		t.Errorf("distinct %d accepted %d total %d checked %d bad %d", f.Distinct(), f.Accepted(), f.Total(), f.Checked(), f.BadSignatures())
	}
}
