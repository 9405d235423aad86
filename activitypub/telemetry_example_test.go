package activitypub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store/memstore"
)

// Config.Telemetry takes the site's OpenTelemetry providers. Here a manual reader collects the
// metrics after an unsigned POST to the inbox, which is refused: the site would hand the reader
// to an exporter, such as Prometheus's, instead.
func ExampleTelemetry() {
	reader := sdkmetric.NewManualReader()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
		Telemetry: activitypub.Telemetry{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))},
	})
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "https://news.example.com/ap/users/news/inbox",
		strings.NewReader(`{"id":"https://a.example/1","type":"Follow","actor":"https://a.example/users/a","object":"https://news.example.com/ap/users/news"}`))
	req.Header.Set("Content-Type", "application/activity+json")
	fed.Middleware(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != "fedsite.inbox.requests" {
			continue
		}
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			status, _ := p.Attributes.Value("http.response.status_code")
			reason, _ := p.Attributes.Value(attribute.Key("fedsite.inbox.refusal"))
			fmt.Println(m.Name, status.String(), reason.String(), p.Value)
		}
	}
	// Output:
	// fedsite.inbox.requests 401 signature_missing 1
}
