package inboxbench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// Config configures a [Harness]. The zero value is the default load.
type Config struct {
	// Requests is how many distinct activities are signed in advance. Default: 2000.
	Requests int
	// RFC9421 signs the requests with RFC 9421 instead of draft-cavage.
	RFC9421 bool
	// Site is the base URL of a site already running in another process, such as the newsroom
	// (go run ./examples/newsroom), whose shared inbox is at /ap/inbox and which fetches actors
	// from loopback over http. Default: the harness runs its own site on memstore.
	Site string
}

// Harness is a running site, remote actor and pool of pre-signed requests.
type Harness struct {
	site, remote *http.Server
	siteURL      string
	reqs         []signedRequest
	client       *http.Client
	next         atomic.Uint64
}

type signedRequest struct {
	body   []byte
	header http.Header
}

// New starts the site and the remote on loopback, signs the requests and warms the key cache
// with one request. Close stops both servers.
func New(ctx context.Context, cfg Config) (*Harness, error) {
	if cfg.Requests <= 0 {
		cfg.Requests = 2000
	}
	key, err := signing.GenerateKey()
	if err != nil {
		return nil, err
	}
	remoteLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	actorID := "http://" + remoteLn.Addr().String() + "/users/alice"
	pub, err := signing.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	actorDoc, err := json.Marshal(map[string]any{"@context": vocab.ContextActivityStreams, "id": actorID, "type": "Person",
		"inbox": actorID + "/inbox", "publicKey": map[string]string{"id": actorID + "#main-key", "owner": actorID, "publicKeyPem": string(pub)}})
	if err != nil {
		return nil, err
	}
	h := &Harness{remote: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", vocab.MediaType)
		w.Write(actorDoc)
	})}}
	go h.remote.Serve(remoteLn)

	if h.siteURL = strings.TrimSuffix(cfg.Site, "/"); h.siteURL == "" {
		if err := h.serveSite(); err != nil {
			h.remote.Close()
			return nil, err
		}
	}

	sk := signing.Key{ID: actorID + "#main-key", Signer: key}
	now := time.Now()
	h.reqs = make([]signedRequest, cfg.Requests)
	var wg sync.WaitGroup
	var signErr atomic.Value
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < cfg.Requests; i += runtime.GOMAXPROCS(0) {
				body := fmt.Appendf(nil, `{"@context":%q,"id":"%s/likes/%d","type":"Like","actor":%q,"object":"%s/articles/%d"}`,
					vocab.ContextActivityStreams, actorID, i, actorID, h.siteURL, i%50)
				req, _ := http.NewRequest(http.MethodPost, h.siteURL+"/ap/inbox", bytes.NewReader(body))
				req.Header.Set("Content-Type", vocab.MediaType)
				sign := signing.Sign
				if cfg.RFC9421 {
					sign = signing.SignRFC9421
				}
				if err := sign(req, sk, body, now); err != nil {
					signErr.Store(err)
					return
				}
				h.reqs[i] = signedRequest{body: body, header: req.Header}
			}
		})
	}
	wg.Wait()
	if err, ok := signErr.Load().(error); ok {
		h.Close()
		return nil, err
	}
	h.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}
	if code, _, err := h.Post(ctx); err != nil || code != http.StatusAccepted {
		h.Close()
		return nil, fmt.Errorf("inboxbench: warm-up request: status %d, %v", code, err)
	}
	return h, nil
}

// serveSite starts the harness's own site, a Federation with the actor news on memstore, on a
// loopback port.
func (h *Harness) serveSite() error {
	siteLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.siteURL = "http://" + siteLn.Addr().String()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: h.siteURL,
		Store:   memstore.New(),
		Logger:  slog.New(slog.DiscardHandler),
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "News"}, nil
		}),
		Insecure: activitypub.Insecure{AllowHTTP: true, AllowAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	})
	if err != nil {
		siteLn.Close()
		return err
	}
	h.site = &http.Server{Handler: fed.Middleware(http.NotFoundHandler())}
	go h.site.Serve(siteLn)
	return nil

}

// Post sends the next pre-signed request and returns the status and latency.
func (h *Harness) Post(ctx context.Context) (int, time.Duration, error) {
	sr := h.reqs[h.next.Add(1)%uint64(len(h.reqs))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.siteURL+"/ap/inbox", bytes.NewReader(sr.body))
	if err != nil {
		return 0, 0, err
	}
	req.Header = sr.header.Clone()
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// Close stops the servers.
func (h *Harness) Close() {
	if h.site != nil {
		h.site.Close()
	}
	h.remote.Close()
	if h.client != nil {
		h.client.CloseIdleConnections()
	}
}

// Result is the outcome of [Harness.Load].
type Result struct {
	Accepted, Failed int
	Elapsed          time.Duration
	PerSecond        float64 // accepted (hence verified) requests per second
	P50, P99, Max    time.Duration
}

// String formats the result as one line of name=value pairs.
func (r Result) String() string {
	return fmt.Sprintf("accepted=%d failed=%d elapsed=%v rate=%.0f/s p50=%v p99=%v max=%v",
		r.Accepted, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50, r.P99, r.Max)
}

// Load sends requests from concurrency workers for d and summarizes them. Only 202 answers count
// as accepted.
func (h *Harness) Load(ctx context.Context, concurrency int, d time.Duration) Result {
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				code, l, err := h.Post(ctx)
				if err != nil || code != http.StatusAccepted {
					failed.Add(1)
					continue
				}
				local = append(local, l)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return summarize(lat, int(failed.Load()), time.Since(start))
}

func summarize(lat []time.Duration, failed int, elapsed time.Duration) Result {
	r := Result{Accepted: len(lat), Failed: failed, Elapsed: elapsed}
	if len(lat) == 0 {
		return r
	}
	slices.Sort(lat)
	r.PerSecond = float64(len(lat)) / elapsed.Seconds()
	r.P50 = lat[len(lat)/2]
	r.P99 = lat[len(lat)*99/100]
	r.Max = lat[len(lat)-1]
	return r
}

// RSAVerifyRate measures raw RSA-2048 PKCS#1 v1.5 SHA-256 verifications per second over all
// GOMAXPROCS for d: the ceiling an inbox verifying every request could reach.
func RSAVerifyRate(d time.Duration) (float64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	sum := sha256.Sum256([]byte("inboxbench"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return 0, err
	}
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
