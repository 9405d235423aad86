package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// sideServer serves one handler on a listener of its own, beside the routes the site's proxy
// reaches: the metrics (-metrics-addr) and the operator pages (-admin-addr).
type sideServer struct {
	srv *http.Server
	// done is closed when srv stops serving.
	done chan struct{}
	// url is the base URL it serves, ending in "/".
	url string
}

// serveAside serves h on addr until close; flag names the setting in a listen error, what the
// server in its logs.
func serveAside(addr, flag, what string, h http.Handler, log *slog.Logger) (*sideServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fedsite serve: %s: %w", flag, err)
	}
	s := &sideServer{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{}),
		url: "http://" + ln.Addr().String() + "/"}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("fedsite serve: "+what, "err", err)
		}
	}()
	return s, nil
}

// close stops serving; a nil *sideServer does nothing.
func (s *sideServer) close() {
	if s == nil {
		return
	}
	s.srv.Close()
	<-s.done
}
