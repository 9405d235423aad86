package main

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// walSampler records the largest size the SQLite write-ahead log reached, sampling the -wal file
// beside the database every millisecond.
type walSampler struct {
	peak atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
}

// start samples the WAL of the database file at path until stopSampling.
func (w *walSampler) start(path string) {
	w.stop = make(chan struct{})
	w.wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > w.peak.Load() {
				w.peak.Store(fi.Size())
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	})
}

// stopSampling ends the sampling started by start, if any; w may be nil.
func (w *walSampler) stopSampling() {
	if w != nil && w.stop != nil {
		close(w.stop)
		w.wg.Wait()
	}
}
