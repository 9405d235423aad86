package promexport

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// TestNew records with the provider and reads the handler's answer: Prometheus names, units and
// labels, and none of the default registry's Go runtime metrics.
func TestNew(t *testing.T) {
	mp, h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	m := mp.Meter("test")
	c, _ := m.Int64Counter("fedsite.deliveries", metric.WithUnit("{delivery}"))
	c.Add(t.Context(), 3, metric.WithAttributes(attribute.String("fedsite.delivery.outcome", "delivered")))
	hist, _ := m.Float64Histogram("fedsite.delivery.duration", metric.WithUnit("s"))
	hist.Record(t.Context(), 0.2)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Result().Body)
	text := string(body)
	for _, want := range []string{
		`fedsite_deliveries_total{fedsite_delivery_outcome="delivered"`,
		`fedsite_delivery_duration_seconds_count{`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the scrape has no %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "go_goroutines") {
		t.Errorf("the scrape has the default registry's metrics:\n%s", text)
	}
}
