package inboxfleet

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"net/http"
	"os"
	"os/exec"
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

// post sends a Create to inbox through c, signed with key if sign is set, and returns the status.
func post(t *testing.T, c *http.Client, inbox string, key crypto.Signer, keyID string, sign bool) int {
	t.Helper()
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

func testFleet(t *testing.T, f *Fleet, c *http.Client, key crypto.Signer, keyID string) {
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
		if got := post(t, c, tt.inbox, key, keyID, tt.sign); got != tt.want {
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

// envProcess makes the test binary serve a fleet for TestProcess.
const envProcess = "INBOXFLEET_TEST_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(envProcess) != "" {
		if err := ServeProcess(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestProcess runs a fleet in a process of its own with an address per host: each host is a
// distinct server to a plain client, with connections of its own, and WaitAccepted returns once
// the deliveries are in.
func TestProcess(t *testing.T) {
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://a.test/actor#main-key"
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envProcess+"=1")
	p, err := StartProcess(cmd, Config{Key: key.Public(), KeyID: keyID, Hosts: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &http.Client{}
	tests := []struct {
		h, i int
		want int
	}{
		{0, 0, http.StatusAccepted},
		{1, 1, http.StatusAccepted},
		{2, 2, http.StatusAccepted},
		{1, 1, http.StatusAccepted},
	}
	for _, tt := range tests {
		inbox := HostInbox(p.Port(), tt.h, tt.i)
		if got := post(t, c, inbox, key, keyID, true); got != tt.want {
			t.Errorf("POST %s: %d, want %d", inbox, got, tt.want)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := p.WaitAccepted(ctx, len(tests))
	if err != nil {
		t.Fatal(err)
	}
	// Three hosts, three servers: a connection each, the fourth request reusing host 1's.
	if want := (Stats{Accepted: 4, Distinct: 3, Total: 4, Checked: 4, Conns: 3}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	// A host beyond Hosts has no server.
	if _, err := c.Post(HostInbox(p.Port(), 3, 3), "application/activity+json", nil); err == nil {
		t.Error("host 3 answered")
	}
}
