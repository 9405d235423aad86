package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedsite/fedsite/internal/mediatype"
	"github.com/fedsite/fedsite/signing"
)

// plainPost is a round of -plain: the activity posted to every inbox straight through the HTTP
// client, -workers at a time, without the engine, each request signed beforehand, outside the
// measured window. What it costs per request is what net/http and the kernel take of a delivery:
// the floor under the engine's CPU per delivery beside the signature.
type plainPost struct {
	client  *http.Client
	workers int
	inboxes []string
	headers []http.Header // the signed headers of each inbox's request
	doc     []byte
	err     chan error // the first failure, if any
	posting sync.WaitGroup
}

// newPlainPost signs the requests of a round that posts doc to the distinct inboxes of o.
func newPlainPost(o options, port int, client *http.Client, key signing.Key, doc []byte) (*plainPost, error) {
	p := &plainPost{client: client, workers: o.workers, doc: doc, err: make(chan error, 1)}
	now := time.Now()
	for in := range o.inboxes {
		inbox := inboxURL(o, port, in%o.hosts, in)
		req, err := http.NewRequest(http.MethodPost, inbox, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", mediatype.Activity)
		req.Header.Set("Accept", mediatype.Activity)
		req.Header.Set("User-Agent", "fedsite")
		if err := signing.Sign(req, key, doc, now); err != nil {
			return nil, err
		}
		p.inboxes = append(p.inboxes, inbox)
		p.headers = append(p.headers, req.Header)
	}
	return p, nil
}

// start posts the requests in the background; the first failure, if any, is sent on p.err.
func (p *plainPost) start(ctx context.Context) {
	var next atomic.Int64
	for range p.workers {
		p.posting.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(p.inboxes) {
					return
				}
				if err := p.post(ctx, i); err != nil {
					select {
					case p.err <- err:
					default:
					}
					return
				}
			}
		})
	}
}

// wait returns once every post has returned: the fleet counts a delivery before it answers, and
// a request cancelled before its answer is read closes its connection.
func (p *plainPost) wait() { p.posting.Wait() }

// post sends request i, as the engine does: the body from memory, the answer drained.
func (p *plainPost) post(ctx context.Context, i int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.inboxes[i], bytes.NewReader(p.doc))
	if err != nil {
		return err
	}
	req.Header = p.headers[i]
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("plain post to %s: %s", p.inboxes[i], resp.Status)
	}
	return nil
}
