package gofed_test

import (
	"os/exec"
	"strings"
	"testing"
)

// activityModule is the module whose generated vocabulary only this package may bring in.
const activityModule = "code.superseriousbusiness.org/activity"

// TestCoreDoesNotImportBridge: no library package of fedsite, nor its tests, depends on go-fed's
// vocabulary; only this package, the example programs and the test harnesses under
// internal/testbed may. This package does, so the check is not vacuous.
func TestCoreDoesNotImportBridge(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	list := func(args ...string) []string {
		t.Helper()
		out, err := exec.CommandContext(t.Context(), goTool, append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	self := list(".")[0]
	module := list("-m")[0]
	var core []string
	for _, p := range list(module + "/...") {
		if p != self && !strings.HasPrefix(p, module+"/examples/") && !strings.HasPrefix(p, module+"/internal/testbed/") {
			core = append(core, p)
		}
	}
	if len(core) < 10 {
		t.Fatalf("only %d library packages found: %v", len(core), core)
	}
	if got := fromModule(list(append([]string{"-deps", "-test"}, core...)...)); len(got) > 0 {
		t.Errorf("library packages depend on %v", got)
	}
	if len(fromModule(list("-deps", "."))) == 0 {
		t.Errorf("%s does not depend on %s", self, activityModule)
	}
}

// fromModule returns the packages of activityModule among pkgs.
func fromModule(pkgs []string) []string {
	var out []string
	for _, p := range pkgs {
		if p == activityModule || strings.HasPrefix(p, activityModule+"/") {
			out = append(out, p)
		}
	}
	return out
}
