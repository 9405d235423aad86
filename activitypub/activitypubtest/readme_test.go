package activitypubtest_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExample checks that the README's section "Testing your site's federation" shows the
// package's Example as it is, so the code there compiles and its output is checked.
func TestREADMEExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "func Example() {")
	end := strings.Index(string(src)[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("example_test.go has no func Example")
	}
	example := string(src)[start : start+end+3]
	if !strings.Contains(string(readme), "```go\n"+example+"```\n") {
		t.Errorf("README.md does not show the Example as it is:\n%s", example)
	}
	if n := strings.Count(example, "\n"); n > 21 {
		t.Errorf("the README example has %d lines, want at most 20 inside func Example", n-2)
	}
}
