package fedifypeer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseNodeVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"v22.23.3\n", 22, false},
		{"v20.20.2", 20, false},
		{"  v24.0.0-nightly  ", 24, false},
		{"v9", 9, false},
		{"22.1.0", 0, true},
		{"vX.1.0", 0, true},
		{"v-1.0.0", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseNodeVersion(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseNodeVersion(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseReady(t *testing.T) {
	tests := []struct {
		in      string
		wantURL string
		wantErr bool
	}{
		{`{"ready":true,"url":"http://127.0.0.1:41234"}`, "http://127.0.0.1:41234", false},
		{"  {\"ready\":true,\"url\":\"http://127.0.0.1:1\"}\r\n", "http://127.0.0.1:1", false},
		{`{"ready":false,"url":"http://127.0.0.1:1"}`, "", true},
		{`{"ready":true,"url":"http://example.com:80"}`, "", true},
		{`{"ready":true,"url":"https://127.0.0.1:443"}`, "", true},
		{`{"ready":true,"url":"http://127.0.0.1"}`, "", true},
		{`{"ready":true,"url":"http://127.0.0.1:5/x"}`, "", true},
		{`listening on 3000`, "", true},
		{``, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseReady([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseReady(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got.URL != tt.wantURL {
				t.Errorf("parseReady(%q).URL = %q, want %q", tt.in, got.URL, tt.wantURL)
			}
		})
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		max    int
		writes []string
		want   string
	}{
		{10, nil, ""},
		{10, []string{"abc"}, "abc"},
		{5, []string{"abc", "defg"}, "cdefg"},
		{3, []string{"abcdefgh"}, "fgh"},
	}
	for _, tt := range tests {
		tl := newTail(tt.max)
		for _, w := range tt.writes {
			if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", w, n, err)
			}
		}
		if got := tl.String(); got != tt.want {
			t.Errorf("tail(%d) after %q = %q, want %q", tt.max, tt.writes, got, tt.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Run("env", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(CacheEnv, dir)
		cfg, err := Config{}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CacheDir != dir || cfg.Logger == nil || cfg.StartTimeout != DefaultStartTimeout {
			t.Errorf("withDefaults() = %+v, want CacheDir %s, a logger, StartTimeout %v", cfg, dir, DefaultStartTimeout)
		}
	})
	t.Run("user cache", func(t *testing.T) {
		t.Setenv(CacheEnv, "")
		t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-fedifypeer-test")
		cfg, err := Config{}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join("/tmp/xdg-fedifypeer-test", "fedsite", "fedify"); cfg.CacheDir != want {
			t.Errorf("CacheDir = %q, want %q", cfg.CacheDir, want)
		}
	})
	t.Run("explicit wins", func(t *testing.T) {
		t.Setenv(CacheEnv, "/somewhere/else")
		in := Config{CacheDir: "/x/y", StartTimeout: time.Second}
		cfg, err := in.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CacheDir != "/x/y" || cfg.StartTimeout != time.Second {
			t.Errorf("withDefaults() = %+v", cfg)
		}
		if in.Logger != nil {
			t.Error("withDefaults wrote into the caller's Config")
		}
	})
}

// fakeTools puts fake npm and node scripts first on PATH. The fake npm
// counts its runs in dir/npm-calls and creates the file Install checks for;
// with FAKE_NPM_FAIL set it fails. The fake node answers --version with
// version and otherwise runs peerBody as the peer.
func fakeTools(t *testing.T, version, peerBody string) (bin, calls string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	calls = filepath.Join(dir, "npm-calls")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	npm := `#!/bin/sh
echo "$@" >> '` + calls + `'
if [ -n "$FAKE_NPM_FAIL" ]; then echo "npm ERR! fake failure" >&2; exit 1; fi
mkdir -p node_modules/@fedify/fedify && echo '{}' > node_modules/@fedify/fedify/package.json
`
	node := `#!/bin/sh
if [ "$1" = "--version" ]; then echo ` + version + `; exit 0; fi
` + peerBody + "\n"
	for name, body := range map[string]string{"npm": npm, "node": node} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+"/usr/bin:/bin")
	return bin, calls
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestInstallIdempotent(t *testing.T) {
	bin, calls := fakeTools(t, "v22.5.0", "")
	cfg := Config{CacheDir: t.TempDir()}
	for i := range 3 {
		node, err := Install(t.Context(), cfg)
		if err != nil {
			t.Fatalf("Install #%d: %v", i+1, err)
		}
		if want := filepath.Join(bin, "node"); node != want {
			t.Errorf("Install #%d = %q, want the system node %q", i+1, node, want)
		}
	}
	if n := countLines(t, calls); n != 1 {
		t.Errorf("npm ran %d times over 3 installs, want 1", n)
	}
	script, err := os.ReadFile(filepath.Join(cfg.CacheDir, peerDirName, peerScript))
	if err != nil || !strings.Contains(string(script), `"ready"`) {
		t.Errorf("peer script not installed: %v", err)
	}
}

func TestInstallErrors(t *testing.T) {
	t.Run("no npm", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := Install(t.Context(), Config{CacheDir: t.TempDir()})
		if !errors.Is(err, ErrNPMNotFound) {
			t.Errorf("Install without npm: %v, want ErrNPMNotFound", err)
		}
	})
	t.Run("npm fails", func(t *testing.T) {
		fakeTools(t, "v22.5.0", "")
		t.Setenv("FAKE_NPM_FAIL", "1")
		_, err := Install(t.Context(), Config{CacheDir: t.TempDir()})
		oe, ok := errors.AsType[*OutputError](err)
		if !ok {
			t.Fatalf("Install with failing npm: %v (%T), want *OutputError", err, err)
		}
		if !strings.Contains(oe.Output, "npm ERR! fake failure") || !strings.Contains(err.Error(), "npm ci") {
			t.Errorf("OutputError = %q, want npm's output and the command", err)
		}
	})
}

func TestStartProcess(t *testing.T) {
	tests := []struct {
		name    string
		peer    string
		timeout time.Duration
		wantErr error  // matched with errors.Is, nil for success
		wantOut string // must appear in the error text
	}{
		{
			name: "ready",
			peer: `echo "starting" >&2; echo '{"ready":true,"url":"http://127.0.0.1:9"}'; sleep 60 & wait`,
		},
		{
			name:    "exits early",
			peer:    `echo "boom: cannot find module" >&2; exit 3`,
			wantErr: ErrExited,
			wantOut: "boom: cannot find module",
		},
		{
			name:    "never ready",
			peer:    `echo "still loading" >&2; echo 'not json'; sleep 60`,
			timeout: 300 * time.Millisecond,
			wantOut: "no ready line within 300ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeTools(t, "v22.5.0", tt.peer)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			p, err := Start(ctx, Config{CacheDir: t.TempDir(), StartTimeout: tt.timeout})
			if tt.wantOut == "" {
				if err != nil {
					t.Fatalf("Start: %v", err)
				}
				if p.URL() != "http://127.0.0.1:9" || p.ActorID() != "http://127.0.0.1:9/users/alice" {
					t.Errorf("URL() = %q, ActorID() = %q", p.URL(), p.ActorID())
				}
				begin := time.Now()
				if err := p.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				// Close killed the group, the background sleep included:
				// otherwise Wait would block for a minute on the open pipe.
				if d := time.Since(begin); d > 5*time.Second {
					t.Errorf("Close took %v", d)
				}
				if err := p.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
				if !strings.Contains(p.Stderr(), "starting") {
					t.Errorf("Stderr() = %q, want the peer's stderr", p.Stderr())
				}
				if _, err := p.Received(ctx); !errors.Is(err, ErrClosed) {
					t.Errorf("Received after Close: %v, want ErrClosed", err)
				}
				return
			}
			if err == nil {
				p.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Start: %v, want errors.Is %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantOut) {
				t.Errorf("Start error %q does not contain %q", err, tt.wantOut)
			}
		})
	}
}
