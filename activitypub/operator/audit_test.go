package operator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAuditPage checks the audit page's filters against the fixture's log: bob's follow, the
// article, the block, and carol's report, which the moderation page shows too.
func TestAuditPage(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.carol.Flag(t.Context(), "spam in the replies", articleURL); err != nil {
		t.Fatal(err)
	}
	b := fx.browser(t, "editor")
	today := time.Now().UTC().Format("2006-01-02")
	tests := []struct {
		query  string
		status int
		want   []string
		not    []string
	}{
		{"", 200, []string{"<td>follow</td>", "<td>publish</td>", "<td>block</td>", "<td>flag</td>", `<label for="audit-direction">`}, nil},
		{"?action=follow", 200, []string{"<td>follow</td>", fx.bob.ID()}, []string{"<td>publish</td>"}},
		{"?direction=in", 200, []string{"<td>follow</td>", "<td>flag</td>"}, []string{"<td>publish</td>", "<td>block</td>"}},
		{"?direction=out", 200, []string{"<td>publish</td>", "<td>block</td>"}, []string{"<td>flag</td>"}},
		{"?actor=other.example", 200, []string{"<td>flag</td>", "spam in the replies"}, []string{"<td>publish</td>"}},
		{"?since=" + today + "&until=" + today, 200, []string{"<td>publish</td>"}, nil},
		{"?until=2000-01-01", 200, []string{"No entry."}, []string{"<td>publish</td>"}},
		{"?direction=sideways", 400, nil, nil},
		{"?since=yesterday", 400, nil, nil},
		{"?cursor=nonsense", 400, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			b.checkPage(t, "audit"+tt.query, tt.status, tt.want, tt.not)
		})
	}
	status, body := b.get("moderation")
	if status != http.StatusOK || !strings.Contains(body, "<h2>Reports received</h2>") || !strings.Contains(body, "spam in the replies") {
		t.Errorf("moderation page: status %d, want carol's report in %s", status, body)
	}
}
