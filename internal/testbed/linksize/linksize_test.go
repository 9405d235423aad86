package linksize

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestPostgresLinksNoSQLite: a program that opens sqlstore on PostgreSQL only does not depend on
// the SQLite driver, and the SQLite program does.
func TestPostgresLinksNoSQLite(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, tc := range []struct {
		pkg  string
		want bool
	}{{"./postgres", false}, {"./sqlite", true}} {
		out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", tc.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		deps := strings.Fields(string(out))
		if got := slices.Contains(deps, "modernc.org/sqlite"); got != tc.want {
			t.Errorf("%s depends on modernc.org/sqlite: %v, want %v", tc.pkg, got, tc.want)
		}
	}
}
