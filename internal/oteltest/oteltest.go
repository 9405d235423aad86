package oteltest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Metrics is one collection of a reader's metrics.
type Metrics struct {
	rm metricdata.ResourceMetrics
}

// Collect collects reader's metrics, failing the test if it cannot.
func Collect(t testing.TB, reader sdkmetric.Reader) Metrics {
	t.Helper()
	var m Metrics
	if err := reader.Collect(context.Background(), &m.rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	return m
}

// Has reports whether an instrument of that name reported anything.
func (m Metrics) Has(name string) bool {
	_, ok := m.find(name)
	return ok
}

// Int returns the value of an integer counter, up-down counter or gauge for the data point whose
// attributes are exactly attrs, and whether there is one.
func (m Metrics) Int(name string, attrs ...attribute.KeyValue) (int64, bool) {
	d, ok := m.find(name)
	if !ok {
		return 0, false
	}
	want := attribute.NewSet(attrs...)
	var points []metricdata.DataPoint[int64]
	switch a := d.Data.(type) {
	case metricdata.Sum[int64]:
		points = a.DataPoints
	case metricdata.Gauge[int64]:
		points = a.DataPoints
	}
	for _, p := range points {
		if p.Attributes.Equals(&want) {
			return p.Value, true
		}
	}
	return 0, false
}

// Count returns how many values a float histogram recorded with exactly attrs.
func (m Metrics) Count(name string, attrs ...attribute.KeyValue) uint64 {
	d, ok := m.find(name)
	if !ok {
		return 0
	}
	h, ok := d.Data.(metricdata.Histogram[float64])
	if !ok {
		return 0
	}
	want := attribute.NewSet(attrs...)
	for _, p := range h.DataPoints {
		if p.Attributes.Equals(&want) {
			return p.Count
		}
	}
	return 0
}

// Attributes returns the attribute sets of an instrument's data points.
func (m Metrics) Attributes(name string) []attribute.Set {
	d, ok := m.find(name)
	if !ok {
		return nil
	}
	var sets []attribute.Set
	switch a := d.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range a.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range a.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range a.DataPoints {
			sets = append(sets, p.Attributes)
		}
	}
	return sets
}

func (m Metrics) find(name string) (metricdata.Metrics, bool) {
	for _, sm := range m.rm.ScopeMetrics {
		for _, d := range sm.Metrics {
			if d.Name == name {
				return d, true
			}
		}
	}
	return metricdata.Metrics{}, false
}
