package corpus

import (
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// sourceRowRE matches a file's row in data/SOURCES.md: "| `folder/name` | origin |".
var sourceRowRE = regexp.MustCompile("(?m)^\\| `([^`]+)` \\| (.+) \\|$")

// TestSources: every payload of the corpus has its origin in data/SOURCES.md, and every file named
// there is in the corpus.
func TestSources(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range sourceRowRE.FindAllStringSubmatch(string(ReadFile(t, "SOURCES.md")), -1) {
		if listed[m[1]] {
			t.Errorf("SOURCES.md lists %s twice", m[1])
		}
		listed[m[1]] = true
	}
	var files []string
	err := fs.WalkDir(data, "data", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "data/SOURCES.md" {
			files = append(files, strings.TrimPrefix(p, "data/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[f] {
			t.Errorf("%s has no origin in SOURCES.md", f)
		}
		delete(listed, f)
	}
	for f := range listed {
		t.Errorf("SOURCES.md lists %s, which is not in the corpus", f)
	}
	if len(files) < 500 {
		t.Errorf("only %d files in the corpus", len(files))
	}
}

// TestJSON: JSON returns the .json files under a folder, named from the corpus root, with the
// bytes ReadFile returns for the same name.
func TestJSON(t *testing.T) {
	tests := []struct {
		dir string
		min int
	}{
		{".", 500},
		{"fedify", 20},
		{"mastodon", 50},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			files := JSON(t, tt.dir)
			if len(files) < tt.min {
				t.Fatalf("%d files, want at least %d", len(files), tt.min)
			}
			for _, f := range files {
				if !strings.HasSuffix(f.Name, ".json") || tt.dir != "." && !strings.HasPrefix(f.Name, tt.dir+"/") {
					t.Errorf("%s is not a .json file under %s", f.Name, tt.dir)
				}
				if got := ReadFile(t, f.Name); !bytes.Equal(got, f.Data) {
					t.Errorf("%s: JSON and ReadFile disagree", f.Name)
				}
			}
		})
	}
}
