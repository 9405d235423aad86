package signing

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

func TestMultibaseRoundTrip(t *testing.T) {
	edKey, err := GenerateEd25519Key()
	if err != nil {
		t.Fatal(err)
	}
	bob := bobKey(t)
	for _, tt := range []struct {
		name   string
		pub    crypto.PublicKey
		prefix string
	}{
		{"ed25519", edKey.Public(), "z6Mk"},
		{"ed25519 zero key", ed25519.PublicKey(make([]byte, 32)), "z6Mk"},
		{"rsa-2048", &bob.PublicKey, "z4MX"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := EncodePublicKeyMultibase(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s, tt.prefix) {
				t.Errorf("%s does not start with %s", s, tt.prefix)
			}
			got, err := ParsePublicKeyMultibase(s)
			if err != nil {
				t.Fatal(err)
			}
			if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.pub) {
				t.Error("round trip changed the key")
			}
		})
	}
}

// TestMultibaseCorpus decodes every publicKeyMultibase in the corpus
// actors, re-encodes it to the same string, and checks an RSA Multikey
// against the actor's publicKeyPem of the same id.
func TestMultibaseCorpus(t *testing.T) {
	for _, f := range []string{
		"fedify/wizard.casa_users_hongminhee.json",
		"fedify/server.example_users_alice.json",
		"fedify/example.com_person2.json",
	} {
		t.Run(f, func(t *testing.T) {
			var doc asDoc
			if err := json.Unmarshal(corpus.ReadFile(t, f), &doc); err != nil {
				t.Fatal(err)
			}
			var ms []Multikey
			if err := json.Unmarshal(doc.AssertionMethod, &ms); err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				t.Fatal("no assertionMethod")
			}
			for _, m := range ms {
				pub, err := ParsePublicKeyMultibase(m.PublicKeyMultibase)
				if err != nil {
					t.Fatalf("%s: %v", m.ID, err)
				}
				again, err := EncodePublicKeyMultibase(pub)
				if err != nil || again != m.PublicKeyMultibase {
					t.Errorf("%s: re-encoded to %q (%v)", m.ID, again, err)
				}
				if m.Type != MultikeyType || m.Controller != doc.ID {
					t.Errorf("%s: type %q controller %q", m.ID, m.Type, m.Controller)
				}
				if _, ok := pub.(*rsa.PublicKey); !ok {
					continue
				}
				// Fedify lists its RSA key twice; the same id (modulo the
				// person2 fixture's "peson2" typo) has the PEM.
				id := strings.Replace(m.ID, "peson2", "person2", 1)
				e, err := findKey(doc.PublicKey, id)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				pem, err := ParsePublicKey([]byte(e.PublicKeyPem))
				if err != nil {
					t.Fatal(err)
				}
				if !pub.(*rsa.PublicKey).Equal(pem) {
					t.Errorf("%s: multibase and PEM keys differ", id)
				}
			}
		})
	}
}

func TestParseMultibaseRejects(t *testing.T) {
	ed := "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	for _, tt := range []struct {
		name, in    string
		unsupported bool
	}{
		{"empty", "", false},
		{"only z", "z", false},
		{"base64 multibase", "m" + ed[1:], false},
		{"invalid base58 character", ed[:10] + "0" + ed[11:], false},
		{"ed25519 too short", "z" + base58Encode(append([]byte{0xed, 0x01}, make([]byte, 31)...)), false},
		{"ed25519 too long", "z" + base58Encode(append([]byte{0xed, 0x01}, make([]byte, 33)...)), false},
		{"unknown multicodec (secp256k1-pub)", "z" + base58Encode(append([]byte{0xe7, 0x01}, make([]byte, 33)...)), true},
		{"rsa prefix, bad DER", "z" + base58Encode([]byte{0x85, 0x24, 1, 2, 3}), false},
		{"huge", "z" + strings.Repeat("2", 5000), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePublicKeyMultibase(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupportedKey) != tt.unsupported || !strings.HasPrefix(err.Error(), "signing: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
	if _, err := EncodePublicKeyMultibase("not a key"); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePublicKeyMultibase(string) = %v", err)
	}
}

func TestNewMultikeyJSON(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	m, err := NewMultikey("https://a.example/u#ed25519-key", "https://a.example/u", pub)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"https://a.example/u#ed25519-key","type":"Multikey","controller":"https://a.example/u","publicKeyMultibase":"` + m.PublicKeyMultibase + `"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	if _, err := NewMultikey("", "c", pub); err == nil {
		t.Error("empty id accepted")
	}
}

func TestResolverMultikey(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(t *testing.T, d *docServer)
		keyPath string
		owner   string
		ed      bool
		err     string
	}{
		{"Fedify actor, Ed25519 in assertionMethod", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/hongminhee", "fedify/wizard.casa_users_hongminhee.json", "https://wizard.casa")
		}, "/users/hongminhee#ed25519-key", "/users/hongminhee", true, ""},
		{"Fedify actor, RSA key listed twice resolves from publicKey", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/hongminhee", "fedify/wizard.casa_users_hongminhee.json", "https://wizard.casa")
		}, "/users/hongminhee#main-key", "/users/hongminhee", false, ""},
		{"actor with assertionMethod only", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/alice", "fedify/server.example_users_alice.json", "https://server.example")
		}, "/users/alice#ed25519-key", "/users/alice", true, ""},
		{"controller is another actor", func(t *testing.T, d *docServer) {
			doc := strings.ReplaceAll(string(corpus.ReadFile(t, "fedify/server.example_users_alice.json")), "https://server.example", d.URL)
			doc = strings.Replace(doc, `"controller": "`+d.URL+`/users/alice"`, `"controller": "`+d.URL+`/users/mallory"`, 1)
			d.set("/users/alice", doc)
		}, "/users/alice#ed25519-key", "", true, `key owner "` + "URL" + `/users/mallory" is not actor`},
		{"bare Multikey confirmed by its controller", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/alice", "fedify/server.example_users_alice.json", "https://server.example")
			d.set("/keys/alice", `{"id":"`+d.URL+`/keys/alice","type":"Multikey","controller":"`+d.URL+`/users/alice","publicKeyMultibase":"z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}`)
			doc := strings.ReplaceAll(string(corpus.ReadFile(t, "fedify/server.example_users_alice.json")), "https://server.example", d.URL)
			d.set("/users/alice", strings.Replace(doc, d.URL+"/users/alice#ed25519-key", d.URL+"/keys/alice", 1))
		}, "/keys/alice", "/users/alice", true, ""},
		{"bare Multikey its controller does not list", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/alice", "fedify/server.example_users_alice.json", "https://server.example")
			d.set("/keys/alice", `{"id":"`+d.URL+`/keys/alice","type":"Multikey","controller":"`+d.URL+`/users/alice","publicKeyMultibase":"z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}`)
		}, "/keys/alice", "", true, "does not list"},
		{"bare Multikey, controller lists another key", func(t *testing.T, d *docServer) {
			d.set("/keys/alice", `{"id":"`+d.URL+`/keys/alice","type":"Multikey","controller":"`+d.URL+`/users/alice","publicKeyMultibase":"z6MkhVPuyvgG1RkMv67azDqDCDERPXVrUg1i3qchXY5EACE3"}`)
			doc := strings.ReplaceAll(string(corpus.ReadFile(t, "fedify/server.example_users_alice.json")), "https://server.example", d.URL)
			d.set("/users/alice", strings.Replace(doc, d.URL+"/users/alice#ed25519-key", d.URL+"/keys/alice", 1))
		}, "/keys/alice", "", true, "lists a different key"},
		{"bad multibase", func(t *testing.T, d *docServer) {
			doc := strings.ReplaceAll(string(corpus.ReadFile(t, "fedify/server.example_users_alice.json")), "https://server.example", d.URL)
			d.set("/users/alice", strings.Replace(doc, `"z6Mk`, `"m6Mk`, 1))
		}, "/users/alice#ed25519-key", "", true, "not a base58btc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocServer(t)
			tt.setup(t, d)
			r := d.resolver(t, ResolverConfig{})
			k, err := r.ResolveKey(ctx, d.URL+tt.keyPath, false)
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "URL", d.URL)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, isEd := k.Key.(ed25519.PublicKey); isEd != tt.ed || k.Owner != d.URL+tt.owner {
				t.Errorf("got %+v (%T)", k, k.Key)
			}
		})
	}
}

// TestEd25519EndToEnd publishes an Ed25519 Multikey on an actor, signs with
// SignRFC9421 and verifies through the Resolver.
func TestEd25519EndToEnd(t *testing.T) {
	edKey, err := GenerateEd25519Key()
	if err != nil {
		t.Fatal(err)
	}
	d := newDocServer(t)
	actor := d.URL + "/users/ed"
	mk, err := NewMultikey(actor+"#ed25519-key", actor, edKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"id": actor, "type": "Person", "assertionMethod": []Multikey{mk}})
	d.set("/users/ed", string(doc))
	v, err := NewVerifier(VerifierConfig{Keys: d.resolver(t, ResolverConfig{})})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"Create"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := v.Verify(r.Context(), r, body)
		if err != nil || got.Algorithm != AlgorithmEd25519 || got.Owner != actor {
			http.Error(w, "bad", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/inbox", strings.NewReader(string(body)))
	if err := SignRFC9421(req, Key{ID: mk.ID, Signer: edKey}, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
