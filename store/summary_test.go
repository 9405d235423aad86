package store_test

import (
	"testing"

	"github.com/fedsite/fedsite/store"
)

// TestHostDeliveriesCompare checks the order CountDeliveries returns: by host, then by state, both
// in byte order.
func TestHostDeliveriesCompare(t *testing.T) {
	hd := func(host string, state store.DeliveryState) store.HostDeliveries {
		return store.HostDeliveries{Host: host, State: state, Count: 1}
	}
	tests := []struct {
		name string
		a, b store.HostDeliveries
		want int
	}{
		{"host first", hd("a.example", store.DeliveryQueued), hd("b.example", store.DeliveryDelivered), -1},
		{"then state", hd("a.example", store.DeliveryFailed), hd("a.example", store.DeliveryDelivered), 1},
		{"bytes, not case-folded", hd("B.example", store.DeliveryFailed), hd("a.example", store.DeliveryFailed), -1},
		{"count ignored", hd("a.example", store.DeliveryFailed), store.HostDeliveries{Host: "a.example", State: store.DeliveryFailed, Count: 9}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Compare(tt.b); got != tt.want {
				t.Errorf("%+v.Compare(%+v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Compare(tt.a); got != -tt.want {
				t.Errorf("%+v.Compare(%+v) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}
