package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

// e2eEnv turns the end-to-end test on; .ci/run sets it.
const e2eEnv = "FEDSITE_E2E"

// TestEndToEnd runs the deployment the README describes with real parts: a static site and its
// RSS feed on loopback, the real nginx in front of it with the shipped configuration (only its
// ports, paths and certificate changed) and TLS from a CA made here, fedsite serve built with
// go build behind it, and a Fedify server following @news@localhost:PORT through nginx. A new
// feed item reaches Fedify as a verified Create, an edited one as an Update, a delete by the
// webhook as a Delete; backfilled items never reach it. fedsite diagnose then passes the deployment and names each fault of
// deliberately broken configurations; the shipped Caddy configuration passes it too.
func TestEndToEnd(t *testing.T) {
	e := newE2E(t, requireE2E(t, "nginx"))
	e.startSidecar(t)
	e.startNginx(t, e.nginxConfig(t, "fedsite.conf", nil))
	e.waitOutbox(t, 2) // the feed's two items, backfilled

	peer := fedifypeer.StartForTestWith(t, fedifypeer.Config{ExtraCACerts: e.caFile})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	handle := "@news@" + e.host
	if _, err := peer.Follow(ctx, handle); err != nil {
		t.Fatalf("Fedify follows %s through nginx: %v\nsidecar:\n%s", handle, err, e.sidecarLog)
	}
	if _, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool { return a.Type == "Accept" && a.Verified }); err != nil {
		t.Fatalf("no verified Accept: %v", err)
	}

	e.site.add(siteItem{"council", "Council votes", "<p>It passed.</p>", "Wed, 03 Dec 2026 09:00:00 GMT"})
	created := e.waitActivity(t, ctx, peer, "Create", e.origin+"/articles/council")
	e.site.edit("council", "<p>It passed, nine to two.</p>")
	e.waitActivity(t, ctx, peer, "Update", e.origin+"/articles/council")
	e.webhook(t, map[string]any{"action": "delete", "url": e.origin + "/articles/council"})
	e.waitActivity(t, ctx, peer, "Delete", e.origin+"/articles/council")
	if !strings.Contains(string(created.Document), "Council votes") {
		t.Errorf("the Create does not carry the article: %s", created.Document)
	}
	got, err := peer.Received(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if !a.Verified {
			t.Errorf("Fedify could not verify %s %s: %s", a.Type, a.ID, a.Reason)
		}
		for _, old := range []string{"/articles/bridge", "/articles/market"} {
			if strings.Contains(string(a.Document), e.origin+old) {
				t.Errorf("the backfilled %s reached Fedify in a %s", old, a.Type)
			}
		}
	}

	t.Run("diagnose passes", func(t *testing.T) {
		out, err := e.diagnose(t, e.origin)
		if err != nil || strings.Contains(out, lineFault) {
			t.Fatalf("diagnose: %v\n%s", err, out)
		}
		t.Log(out)
	})
	for _, tc := range []struct {
		name      string
		breakConf func(conf string) string
		want      string
	}{
		{"no Vary", func(c string) string { return mustCut(t, c, "add_header Vary Accept always;") }, "FAULT vary: the HTML answer of " + e.origin + "/articles/"},
		{"AS2 requests served HTML", func(c string) string { return mustCut(t, c, "if ($fedsite_as2) { return 418; }") }, "FAULT article as2: GET " + e.origin + "/articles/"},
		{"WebFinger not forwarded", func(c string) string {
			return mustCut(t, c, "location = /.well-known/webfinger { proxy_pass http://fedsite; }")
		}, "FAULT webfinger: GET " + e.origin + "/.well-known/webfinger"},
	} {
		t.Run("diagnose names "+tc.name, func(t *testing.T) {
			e.stopProxy(t)
			e.startNginx(t, e.nginxConfig(t, "fedsite.conf", tc.breakConf))
			out, err := e.diagnose(t, e.origin)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("diagnose: %v, want exit 1 and a line starting %q:\n%s", err, tc.want, out)
			}
			t.Log(out)
		})
	}

	t.Run("Caddy", func(t *testing.T) {
		caddy := requireE2E(t, "caddy")
		e.stopProxy(t)
		e.startCaddy(t, caddy)
		out, err := e.diagnose(t, e.origin)
		if err != nil || strings.Contains(out, lineFault) {
			t.Fatalf("diagnose through Caddy: %v\n%s", err, out)
		}
		t.Log(out)
	})

	t.Run("split domain", func(t *testing.T) {
		// @news@127.0.0.1:PORT: nginx redirects WebFinger on 127.0.0.1 to localhost, where the
		// site and the sidecar are. Last, as the sidecar it restarts stops with it.
		main := "127.0.0.1:" + strconv.Itoa(e.port)
		restarted := time.Now()
		e.stopSidecar()
		e.startSidecar(t, "-webfinger-domain", main)
		e.stopProxy(t)
		e.startNginx(t, e.nginxConfig(t, "fedsite-split.conf", nil))
		handle := "@news@" + main
		if _, err := peer.Follow(ctx, handle); err != nil {
			t.Fatalf("Fedify follows %s: %v", handle, err)
		}
		if _, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool {
			return a.Type == "Accept" && a.Verified && a.ReceivedAt.After(restarted)
		}); err != nil {
			t.Fatalf("no verified Accept of the Follow of %s: %v", handle, err)
		}
		out, err := e.diagnose(t, "https://"+main)
		if err != nil || strings.Contains(out, lineFault) {
			t.Fatalf("diagnose: %v\n%s", err, out)
		}
		t.Log(out)
		caddy := requireE2E(t, "caddy")
		if out, err := exec.Command(caddy, "adapt", "--config", "deploy/caddy/Caddyfile.split", "--adapter", "caddyfile").CombinedOutput(); err != nil {
			t.Errorf("caddy adapt Caddyfile.split: %v\n%s", err, out)
		}
	})
}

// requireE2E skips the test unless FEDSITE_E2E is set, and returns the path of the program name;
// under CI=true a missing program fails the test.
func requireE2E(t *testing.T, name string) string {
	t.Helper()
	if os.Getenv(e2eEnv) == "" {
		t.Skipf("set %s=1 to run the end-to-end test (needs nginx and, with FEDSITE_FEDIFY=1, npm)", e2eEnv)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		path, err = exec.LookPath("/usr/sbin/" + name)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return path
}

func mustCut(t *testing.T, conf, line string) string {
	t.Helper()
	if !strings.Contains(conf, line) {
		t.Fatalf("the shipped configuration no longer has %q", line)
	}
	return strings.ReplaceAll(conf, line, "")
}

// e2e is one deployment under test.
type e2e struct {
	nginx                     string // path of the program
	dir                       string
	bin                       string
	caFile, certFile, keyFile string
	port                      int    // of the proxy, on 127.0.0.1
	host, origin              string // localhost:PORT and https://localhost:PORT
	sidecarAddr               string
	site                      *staticSite
	client                    *http.Client // trusts the CA
	sidecarLog                *syncBuffer

	stopSidecar func()

	proxy     *exec.Cmd
	proxyDone chan struct{}
	proxyLog  *syncBuffer
}

func newE2E(t *testing.T, nginx string) *e2e {
	t.Helper()
	e := &e2e{nginx: nginx, dir: t.TempDir(), port: freePort(t), sidecarAddr: "127.0.0.1:" + strconv.Itoa(freePort(t)), sidecarLog: new(syncBuffer)}
	e.host = "localhost:" + strconv.Itoa(e.port)
	e.origin = "https://" + e.host
	e.caFile, e.certFile, e.keyFile = makeCA(t, e.dir)
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(e.caFile)
	pool.AppendCertsFromPEM(ca)
	e.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(e.client.CloseIdleConnections)
	e.site = newStaticSite(t, e.origin)
	e.bin = filepath.Join(e.dir, "fedsite")
	if out, err := exec.Command("go", "build", "-o", e.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return e
}

// freePort returns a loopback port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// makeCA makes a CA and, signed by it, a certificate for localhost and 127.0.0.1, and writes
// them as PEM files in dir.
func makeCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fedsite e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "PRIVATE KEY", keyDER)
}

// siteItem is one article of the static site.
type siteItem struct {
	slug, title, body, date string
}

// staticSite is the site fedsite federates: its feed and its article pages, served on loopback
// and reached through the proxy at origin.
type staticSite struct {
	srv    *httptest.Server
	origin string

	mu    sync.Mutex
	items []siteItem // newest first
}

func newStaticSite(t *testing.T, origin string) *staticSite {
	s := &staticSite{origin: origin, items: []siteItem{
		{"market", "Market day", "<p>Stalls.</p>", "Tue, 02 Dec 2026 09:00:00 GMT"},
		{"bridge", "Bridge reopens", "<p>The bridge is open.</p>", "Mon, 01 Dec 2026 09:00:00 GMT"},
	}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *staticSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := append([]siteItem(nil), s.items...)
	s.mu.Unlock()
	if r.URL.Path == "/feed.xml" {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>The Test Gazette</title><link>%s/</link><description>News</description><language>en</language>`, s.origin)
		for _, it := range items {
			fmt.Fprintf(w, `<item><title>%s</title><link>%s/articles/%s</link><guid>%[2]s/articles/%[3]s</guid><description>%s</description><pubDate>%s</pubDate></item>`,
				it.title, s.origin, it.slug, html.EscapeString(it.body), it.date)
		}
		io.WriteString(w, `</channel></rss>`)
		return
	}
	for _, it := range items {
		if r.URL.Path == "/articles/"+it.slug {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><title>%s</title><link rel="alternate" type="application/activity+json" href="%s%s"></head><body>%s</body></html>`,
				it.title, s.origin, r.URL.Path, it.body)
			return
		}
	}
	http.NotFound(w, r)
}

func (s *staticSite) add(it siteItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append([]siteItem{it}, s.items...)
}

func (s *staticSite) edit(slug, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.items {
		if s.items[i].slug == slug {
			s.items[i].body = body
		}
	}
}

// env is the environment of the programs the test starts: the CA trusted by Go's TLS.
func (e *e2e) env() []string { return append(os.Environ(), "SSL_CERT_FILE="+e.caFile) }

// startSidecar starts fedsite serve, with args after the test's own, and waits until it
// answers; it stops when the test ends or at stopSidecar.
func (e *e2e) startSidecar(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(e.bin, append([]string{"serve", "-feed", e.origin + "/feed.xml", "-base-url", e.origin, "-webhook-secret", e2eSecret,
		"-addr", e.sidecarAddr, "-data", filepath.Join(e.dir, "data"), "-interval", "300ms", "-log-level", "debug"}, args...)...)
	cmd.Env = e.env()
	cmd.Stdout, cmd.Stderr = e.sidecarLog, e.sidecarLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.stopSidecar = sync.OnceFunc(func() { stopProcess(cmd, done) })
	t.Cleanup(func() {
		e.stopSidecar()
		if t.Failed() {
			t.Logf("fedsite serve:\n%s", e.sidecarLog)
		}
	})
	waitFor(t, "fedsite serve", func() error {
		resp, err := http.Get("http://" + e.sidecarAddr + "/.well-known/nodeinfo")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// stopProcess interrupts cmd, kills it if it has not exited 15 s later, and waits until done
// says it has.
func stopProcess(cmd *exec.Cmd, done <-chan struct{}) {
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// waitFor retries check for up to 20 s.
func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replaceAll replaces each old of pairs by its new in s; each old must occur.
func replaceAll(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the shipped configuration no longer has %q", pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// nginxConfig writes the shipped nginx configuration name (in deploy/nginx), with this test's
// ports, paths and certificate, and with change (when not nil) applied to the server and routes
// together, and returns the path of the main configuration file that includes it.
func (e *e2e) nginxConfig(t *testing.T, name string, change func(string) string) string {
	t.Helper()
	dir := filepath.Join(e.dir, "nginx")
	for _, d := range []string{"tmp", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	server, err := os.ReadFile(filepath.Join("deploy", "nginx", name))
	if err != nil {
		t.Fatal(err)
	}
	routes, err := os.ReadFile("deploy/nginx/fedsite-routes.conf")
	if err != nil {
		t.Fatal(err)
	}
	pairs := []string{
		"listen 443 ssl;", "listen 127.0.0.1:" + strconv.Itoa(e.port) + " ssl;",
		"/etc/letsencrypt/live/example.com/fullchain.pem", e.certFile,
		"/etc/letsencrypt/live/example.com/privkey.pem", e.keyFile,
		"server 127.0.0.1:8090;", "server " + e.sidecarAddr + ";",
		"server 127.0.0.1:8080;", "server " + strings.TrimPrefix(e.site.srv.URL, "http://") + ";",
		"include /etc/nginx/snippets/fedsite-routes.conf;", string(routes),
	}
	if name == "fedsite.conf" {
		pairs = append(pairs, "server_name example.com;", "server_name localhost;")
	} else { // the site on localhost, the handles on 127.0.0.1, the other loopback name
		pairs = append(pairs, "/etc/letsencrypt/live/social.example.com/fullchain.pem", e.certFile,
			"/etc/letsencrypt/live/social.example.com/privkey.pem", e.keyFile,
			"server_name social.example.com;", "server_name localhost;",
			"server_name example.com;", "server_name 127.0.0.1;",
			"https://social.example.com", e.origin,
			"root /var/www/example.com;", "root "+e.dir+";")
	}
	conf := replaceAll(t, string(server), pairs...)
	if change != nil {
		conf = change(conf)
	}
	var userLine string
	if os.Geteuid() == 0 { // workers would switch to nobody, who cannot use the test's files
		if u, err := user.Current(); err == nil {
			userLine = "user " + u.Username + ";"
		}
	}
	main := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log warn;
events { worker_connections 128; }
http {
    access_log %[2]s/logs/access.log;
    client_body_temp_path %[2]s/tmp/body;
    proxy_temp_path %[2]s/tmp/proxy;
    fastcgi_temp_path %[2]s/tmp/fastcgi;
    uwsgi_temp_path %[2]s/tmp/uwsgi;
    scgi_temp_path %[2]s/tmp/scgi;
    default_type application/octet-stream;
%s
}
`, userLine, dir, conf)
	p := filepath.Join(dir, "nginx-"+name) // the main file including name
	if err := os.WriteFile(p, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startNginx runs nginx in the foreground with conf and waits until it answers over TLS.
func (e *e2e) startNginx(t *testing.T, conf string) {
	t.Helper()
	dir := filepath.Dir(conf)
	e.startProxy(t, exec.Command(e.nginx, "-p", dir, "-e", filepath.Join(dir, "logs", "error.log"), "-c", conf, "-g", "daemon off;"))
}

// startCaddy runs Caddy with the shipped Caddyfile, given this test's ports and certificate.
func (e *e2e) startCaddy(t *testing.T, caddy string) {
	t.Helper()
	dir := filepath.Join(e.dir, "caddy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile("deploy/caddy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	conf := "{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system " + filepath.Join(dir, "data") + "\n}\n\n" +
		replaceAll(t, string(shipped),
			"example.com {", e.origin+" {\n\ttls "+e.certFile+" "+e.keyFile,
			"127.0.0.1:8090", e.sidecarAddr,
			"127.0.0.1:8080", strings.TrimPrefix(e.site.srv.URL, "http://"))
	p := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--config", p, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	e.startProxy(t, cmd)
}

// startProxy starts cmd, the TLS proxy, and waits until the site answers through it.
func (e *e2e) startProxy(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	e.proxyLog = new(syncBuffer)
	cmd.Stdout, cmd.Stderr = e.proxyLog, e.proxyLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.proxy, e.proxyDone = cmd, done
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(cmd.Path), e.proxyLog)
			if log, err := os.ReadFile(filepath.Join(e.dir, "nginx", "logs", "error.log")); err == nil {
				t.Logf("nginx error.log:\n%s", log)
			}
		}
		e.stopProxy(t)
	})
	waitFor(t, filepath.Base(cmd.Path), func() error {
		select {
		case <-done:
			return fmt.Errorf("exited: %s", e.proxyLog)
		default:
		}
		resp, err := e.client.Get(e.origin + "/feed.xml")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /feed.xml: %s", resp.Status)
		}
		return nil
	})
}

// stopProxy stops the running proxy, if any, and waits for it to exit.
func (e *e2e) stopProxy(t *testing.T) {
	t.Helper()
	if e.proxy == nil {
		return
	}
	stopProcess(e.proxy, e.proxyDone)
	e.proxy = nil
	e.client.CloseIdleConnections()
}

// e2eSecret is the webhook's shared secret in the end-to-end test.
const e2eSecret = "e2e-secret"

// webhook posts the payload, signed, to the webhook through the proxy, as a CMS does.
func (e *e2e) webhook(t *testing.T, payload map[string]any) {
	t.Helper()
	body, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.origin+hookPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = sign(e2eSecret, time.Now(), body)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook %v: %s %s", payload, resp.Status, answer)
	}
}

// waitOutbox waits until the actor's outbox, read through the proxy, holds n items.
func (e *e2e) waitOutbox(t *testing.T, n int) {
	t.Helper()
	waitFor(t, "the backfill", func() error {
		req, _ := http.NewRequest(http.MethodGet, e.origin+"/ap/users/news/outbox", nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var coll struct{ TotalItems int }
		if err := json.NewDecoder(resp.Body).Decode(&coll); err != nil {
			return err
		}
		if coll.TotalItems != n {
			return fmt.Errorf("outbox has %d items, want %d", coll.TotalItems, n)
		}
		return nil
	})
}

// waitActivity waits until Fedify received a verified activity of type typ about object.
func (e *e2e) waitActivity(t *testing.T, ctx context.Context, peer *fedifypeer.Peer, typ, object string) fedifypeer.Activity {
	t.Helper()
	a, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool {
		if a.Type != typ || !a.Verified {
			return false
		}
		var doc struct{ Object json.RawMessage }
		return json.Unmarshal(a.Document, &doc) == nil && bytes.Contains(doc.Object, []byte(`"`+object+`"`))
	})
	if err != nil {
		t.Fatalf("no verified %s of %s: %v", typ, object, err)
	}
	return a
}

// diagnose runs fedsite diagnose against the deployment at site and returns its output; err is
// its exit error.
func (e *e2e) diagnose(t *testing.T, site string) (string, error) {
	t.Helper()
	cmd := exec.Command(e.bin, "diagnose", "-insecure-local", "-data", filepath.Join(e.dir, "diagnose-data"), site)
	cmd.Env = e.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), err
}

// TestREADMEProxySnippet: every line of the nginx snippet in the README is in the shipped
// configuration, which the end-to-end test runs.
func TestREADMEProxySnippet(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, snippet, ok := strings.Cut(string(readme), "```nginx\n")
	snippet, _, ok2 := strings.Cut(snippet, "```")
	if !ok || !ok2 {
		t.Fatal("the README has no nginx snippet")
	}
	var shipped []string
	for _, name := range []string{"fedsite.conf", "fedsite-routes.conf"} {
		b, err := os.ReadFile(filepath.Join("deploy", "nginx", name))
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			shipped = append(shipped, strings.TrimSpace(line))
		}
	}
	for line := range strings.Lines(snippet) {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" && !slices.Contains(shipped, line) {
			t.Errorf("README line %q is not in deploy/nginx", line)
		}
	}
}
