package webfinger

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	defaultClientTimeout = 10 * time.Second
	defaultMaxBodyBytes  = 1 << 20
	defaultUserAgent     = "fedsite-webfinger"
)

// Client looks up WebFinger documents on remote hosts. It is safe for concurrent use.
type Client struct {
	http      *http.Client
	scheme    string
	maxBody   int64
	userAgent string
	log       *slog.Logger
}

// NewClient returns a Client for cfg. It fails if MaxBodyBytes is negative.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("webfinger: ClientConfig.MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	c := &Client{
		http:      cfg.HTTPClient,
		scheme:    "https",
		maxBody:   cfg.MaxBodyBytes,
		userAgent: cfg.UserAgent,
		log:       cfg.Logger,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultClientTimeout}
	}
	if cfg.InsecureAllowHTTP {
		c.scheme = "http"
	}
	if c.maxBody == 0 {
		c.maxBody = defaultMaxBodyBytes
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Lookup fetches the WebFinger document for resource, which [ParseResource] must accept, from
// the resource's host: GET /.well-known/webfinger?resource=… with
// "Accept: application/jrd+json, application/json", unsigned.
//
// If that answers 404, Lookup reads /.well-known/host-meta once and retries at its lrdd template,
// as Mastodon does; the error then matches [ErrNotFound] if the fallback finds nothing either.
// A 410 gives an error matching [ErrGone]. Any other status, a body over MaxBodyBytes, a body
// that is not a JSON object, or a document without a subject gives a [*ResponseError]. The
// returned JRD is not checked against resource: callers that trust it for identity should compare
// its Subject and [JRD.ActorID] with what they expect.
func (c *Client) Lookup(ctx context.Context, resource string) (*JRD, error) {
	r, err := ParseResource(resource)
	if err != nil {
		return nil, fmt.Errorf("webfinger: lookup: %w", err)
	}
	origin := c.scheme + "://" + r.Host
	query := url.QueryEscape(r.String())
	jrd, err := c.fetchJRD(ctx, origin+PathWebFinger+"?resource="+query)
	if !errors.Is(err, ErrNotFound) {
		return jrd, err
	}
	template, herr := c.fetchLRDD(ctx, origin+PathHostMeta)
	if herr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("webfinger: lookup %s: %w", r, ctx.Err())
	}
	if herr != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "webfinger: host-meta fallback failed",
			slog.String("host", r.Host), slog.Any("error", herr))
		return nil, err
	}
	target := strings.ReplaceAll(template, "{uri}", query)
	if !c.allowedURL(target) {
		return nil, &ResponseError{URL: origin + PathHostMeta, Reason: fmt.Sprintf("lrdd template %q is not an allowed URL", template)}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "webfinger: retrying at host-meta lrdd template",
		slog.String("host", r.Host), slog.String("url", target))
	return c.fetchJRD(ctx, target)
}

// fetchJRD GETs a JRD from u and checks it has a subject.
func (c *Client) fetchJRD(ctx context.Context, u string) (*JRD, error) {
	body, err := c.get(ctx, u, "application/jrd+json, application/json")
	if err != nil {
		return nil, err
	}
	var jrd JRD
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, &ResponseError{URL: u, StatusCode: http.StatusOK, Reason: "body is not a JRD", Err: err}
	}
	if jrd.Subject == "" {
		return nil, &ResponseError{URL: u, StatusCode: http.StatusOK, Reason: "JRD has no subject"}
	}
	return &jrd, nil
}

// fetchLRDD GETs host-meta from u and returns its lrdd template.
func (c *Client) fetchLRDD(ctx context.Context, u string) (string, error) {
	body, err := c.get(ctx, u, "application/xrd+xml, application/xml, text/xml")
	if err != nil {
		return "", err
	}
	var x xrdIn
	if err := xml.Unmarshal(body, &x); err != nil {
		return "", &ResponseError{URL: u, StatusCode: http.StatusOK, Reason: "body is not an XRD", Err: err}
	}
	t := lrddTemplate(x.Links)
	if t == "" {
		return "", &ResponseError{URL: u, StatusCode: http.StatusOK, Reason: "host-meta has no JSON lrdd template"}
	}
	return t, nil
}

// get GETs u and returns the body of a 200 answer, capped at maxBody.
func (c *Client) get(ctx context.Context, u, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("webfinger: build request for %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webfinger: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	// The client's redirect policy is the caller's; the scheme rule is ours.
	if final := resp.Request.URL.String(); !c.allowedURL(final) {
		return nil, &ResponseError{URL: u, StatusCode: resp.StatusCode, Reason: fmt.Sprintf("redirected to disallowed URL %q", final)}
	}
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		reason := "unexpected status"
		switch resp.StatusCode {
		case http.StatusNotFound:
			reason = "not found"
		case http.StatusGone:
			reason = "gone"
		}
		return nil, &ResponseError{URL: u, StatusCode: resp.StatusCode, Reason: reason}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, &ResponseError{URL: u, StatusCode: resp.StatusCode, Reason: "read body", Err: err}
	}
	if int64(len(body)) > c.maxBody {
		return nil, &ResponseError{URL: u, StatusCode: resp.StatusCode, Reason: fmt.Sprintf("body longer than %d bytes", c.maxBody), Err: ErrTooLarge}
	}
	return body, nil
}

// allowedURL reports whether u is an absolute URL with a host and a scheme the client may use.
func (c *Client) allowedURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	return p.Scheme == "https" || (p.Scheme == "http" && c.scheme == "http")
}

// xrdIn is a host-meta document the Client reads; it matches XRD and Link in any namespace, since
// some servers leave the namespace out.
type xrdIn struct {
	XMLName xml.Name  `xml:"XRD"`
	Links   []xrdLink `xml:"Link"`
}

// lrddTemplate returns the first lrdd template among links that points at a JSON document: one
// with no type or a JSON type. XRD-typed templates are skipped since Lookup reads JRD only.
func lrddTemplate(links []xrdLink) string {
	for _, l := range links {
		if l.Rel != "lrdd" || l.Template == "" {
			continue
		}
		t := strings.ToLower(strings.TrimSpace(l.Type))
		if t == "" || strings.HasPrefix(t, "application/jrd+json") || strings.HasPrefix(t, "application/json") {
			return l.Template
		}
	}
	return ""
}
