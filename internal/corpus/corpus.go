package corpus

import (
	"embed"
	"io/fs"
	"path"
	"strings"
	"testing"
)

//go:embed data
var data embed.FS

// File is one payload of the corpus.
type File struct {
	Name string // slash-separated path inside the corpus, such as "fedify/example.com_key.json"
	Data []byte
}

// ReadFile returns the corpus file called name, failing tb if there is none.
func ReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := fs.ReadFile(data, path.Join("data", name))
	if err != nil {
		tb.Fatalf("corpus: read %s: %v", name, err)
	}
	return b
}

// JSON returns every .json file under the corpus folder dir and its subfolders, in the order
// [fs.WalkDir] visits them; dir "." is the whole corpus. It fails tb if there is none.
func JSON(tb testing.TB, dir string) []File {
	tb.Helper()
	root := path.Join("data", dir)
	var files []File
	err := fs.WalkDir(data, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := fs.ReadFile(data, p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: strings.TrimPrefix(p, "data/"), Data: b})
		return nil
	})
	if err != nil {
		tb.Fatalf("corpus: walk %s: %v", dir, err)
	}
	if len(files) == 0 {
		tb.Fatalf("corpus: no .json file under %s", dir)
	}
	return files
}

// Seed adds every .json file under the corpus folder dir, as [JSON] finds them, to f's seed
// corpus, for a fuzz target that takes one []byte.
func Seed(f *testing.F, dir string) {
	f.Helper()
	for _, file := range JSON(f, dir) {
		f.Add(file.Data)
	}
}
