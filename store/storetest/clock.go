package storetest

import (
	"sync"
	"time"
)

// clock is the fake time of the queue suite: it stands still until a test moves it on, so lease
// ends, retry times and NotBefore are reached without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock returns a clock at the current time, to the millisecond (the precision adapters keep).
func newClock() *clock {
	return &clock{t: time.Now().Truncate(time.Millisecond)}
}

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
