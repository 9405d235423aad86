package main

import (
	"os"
	"regexp"
	"testing"
)

// TestREADMEShowsFederate checks that the README's "Adding fedsite to a site" shows federate as
// it is in federate.go, comment and all, so the integration a reader copies is the one that runs.
func TestREADMEShowsFederate(t *testing.T) {
	re := regexp.MustCompile(`(?ms)^// federate is.*?^func federate.*?^}\n`)
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m := re.Find(b)
		if m == nil {
			t.Fatalf("%s: no federate function", name)
		}
		return string(m)
	}
	if code, readme := read("federate.go"), read("../../README.md"); code != readme {
		t.Errorf("README.md shows another federate than federate.go:\n--- federate.go\n%s\n--- README.md\n%s", code, readme)
	}
}
