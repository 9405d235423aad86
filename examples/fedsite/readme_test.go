package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the first fenced block of the given language after marker in the README.
func readmeBlock(t *testing.T, readme, marker, lang string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, marker)
	if !ok {
		t.Fatalf("the README has no %q", marker)
	}
	_, block, ok := strings.Cut(after, "```"+lang+"\n")
	if !ok {
		t.Fatalf("no %s block after %q", lang, marker)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestREADMEWebhook: the README's webhook payload is testdata/fedsite-publish.json, and its curl
// example, run as written (with bash, openssl and curl) against a sidecar on loopback, publishes.
func TestREADMEWebhook(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	payload := readTestdata(t, "fedsite-publish.json")
	if got := readmeBlock(t, readme, "### The webhook", "json"); strings.TrimSpace(got) != strings.TrimSpace(string(payload)) {
		t.Errorf("the README's payload\n%s\nis not testdata/fedsite-publish.json\n%s", got, payload)
	}
	script := readmeBlock(t, readme, "Try it with curl", "sh")
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s to run the README's curl example", tool)
		}
	}
	fs, r, hook := startHooked(t)
	body := filepath.Join(t.TempDir(), "article.json")
	if err := os.WriteFile(body, []byte(strings.ReplaceAll(string(payload), "https://example.com", fs.srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "examples/fedsite/testdata/fedsite-publish.json", body)
	script = strings.ReplaceAll(script, "https://example.com/hooks/publish", hook.url)
	out, err := exec.CommandContext(t.Context(), "bash", "-c", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"status":"published"`) {
		t.Fatalf("the README's curl example: %v\n%s", err, out)
	}
	if err := r.rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := r.sent(); len(s) != 1 || !strings.HasPrefix(s[0], "Create ") {
		t.Errorf("sent %q, want the Create", s)
	}
}
