package delivery

import (
	"fmt"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestHostMemoryBounds: the cache of healthy hosts and the set of failing hosts each hold at most
// hostCacheSize hosts, and are emptied when full; until then, a failing host is reported first
// once, whatever other hosts fail meanwhile.
func TestHostMemoryBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	host := func(i int) string { return fmt.Sprintf("h%d.test", i) }

	var c hostCache
	for i := range hostCacheSize {
		c.put(host(i), store.HostState{}, now)
	}
	if _, ok := c.get(host(0), now); !ok {
		t.Fatal("a full cache lost a host before it overflowed")
	}
	c.put(host(hostCacheSize), store.HostState{}, now)
	if _, ok := c.get(host(0), now); ok {
		t.Errorf("the cache holds more than %d hosts", hostCacheSize)
	}
	if _, ok := c.get(host(hostCacheSize), now); !ok {
		t.Error("the host put into an emptied cache is missing")
	}

	var f failingHosts
	for i := range hostCacheSize {
		if !f.add(host(i)) {
			t.Fatalf("host %d reported as failing before", i)
		}
	}
	for i := range hostCacheSize {
		if f.add(host(i)) {
			t.Fatalf("host %d reported first again, with %d hosts failing", i, hostCacheSize)
		}
	}
	if !f.add(host(hostCacheSize)) {
		t.Fatal("a new host was not reported first")
	}
	if !f.add(host(0)) {
		t.Errorf("the set holds more than %d hosts", hostCacheSize)
	}
}
