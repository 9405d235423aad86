package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/mediatype"
	"github.com/fedsite/fedsite/internal/ssrf"
	"github.com/fedsite/fedsite/signing"
)

// diagnoseOptions are the settings of fedsite diagnose.
type diagnoseOptions struct {
	config
	site, article    string
	insecureLocal    bool
	timeout, maxSkew time.Duration
}

func parseDiagnose(args []string, stderr io.Writer) (diagnoseOptions, error) {
	var o diagnoseOptions
	c, fs, err := flags("fedsite diagnose", args, stderr, func(fs *flag.FlagSet, c *config) {
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "Usage: fedsite diagnose [flags] https://example.com")
			fmt.Fprintln(fs.Output(), "Checks a deployment from outside as a remote server would; exits 1 on any fault.")
			fs.PrintDefaults()
		}
		fs.Lookup("base-url").Usage = "origin of the sidecar whose instance key signs the signed fetch (default: the actor's origin)"
		fs.StringVar(&c.Handle, "handle", c.Handle, "username of the actor to check, as in @news@example.com")
		fs.StringVar(&o.article, "article", "", "URL of an article to check (default: the newest in the actor's outbox)")
		fs.BoolVar(&o.insecureLocal, "insecure-local", false, "allow loopback addresses and plain http, for trials on this machine (a local CA is trusted with SSL_CERT_FILE)")
		fs.DurationVar(&o.timeout, "timeout", 15*time.Second, "time limit of each request")
		fs.DurationVar(&o.maxSkew, "max-skew", time.Minute, "largest clock difference to the server accepted")
	})
	o.config = c
	if err != nil {
		return o, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return o, errors.New("fedsite diagnose: want one site URL, such as https://example.com")
	}
	u, err := url.Parse(fs.Arg(0))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return o, fmt.Errorf("fedsite diagnose: %q: want a site URL such as https://example.com", fs.Arg(0))
	}
	if u.Scheme == "http" && !o.insecureLocal {
		return o, fmt.Errorf("fedsite diagnose: %q: remote servers reach the site over https only (plain http needs -insecure-local)", fs.Arg(0))
	}
	if o.timeout <= 0 || o.maxSkew <= 0 {
		return o, errors.New("fedsite diagnose: -timeout and -max-skew must be positive")
	}
	o.site = u.Scheme + "://" + u.Host
	return o, nil
}

// diagnose checks the deployment at the site URL of args as a remote server sees it and prints
// one line per check to stdout; it returns an error when any check found a fault.
func diagnose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDiagnose(args, stderr)
	if err != nil {
		return err
	}
	var allow []netip.Prefix
	if o.insecureLocal {
		allow = loopback()
	}
	d := &diagnosis{
		o:      o,
		client: ssrf.NewClient(ssrf.Config{Allow: allow, Timeout: o.timeout}),
		out:    stdout,
		stderr: stderr,
	}
	d.run(ctx)
	if d.faults > 0 {
		return fmt.Errorf("fedsite diagnose: %d fault(s) found", d.faults)
	}
	return nil
}

// diagnosis is one run of diagnose: what the checks found so far and what later ones need.
type diagnosis struct {
	o      diagnoseOptions
	client *http.Client
	out    io.Writer
	stderr io.Writer
	faults int

	actorID  string        // from WebFinger's self link
	actor    *vocab.Object // the actor document, once fetched
	actorDoc []byte        // its bytes
	skew     time.Duration // server Date minus local time, from the first answer with a Date
	dated    bool          // skew was measured
}

// How the output names what a check found.
const (
	lineOK    = "ok   "
	lineFault = "FAULT"
	lineSkip  = "skip "
	// lineNote is advice that is no fault: what an opt-in service (Bridgy Fed) asks.
	lineNote = "note "
)

func (d *diagnosis) ok(check, format string, args ...any) {
	fmt.Fprintf(d.out, "%s %s: %s\n", lineOK, check, fmt.Sprintf(format, args...))
}

// fault reports what is wrong and how to fix it.
func (d *diagnosis) fault(check, what, fix string) {
	d.faults++
	fmt.Fprintf(d.out, "%s %s: %s; fix: %s\n", lineFault, check, what, fix)
}

// note reports what an opt-in service would need, without counting it as a fault.
func (d *diagnosis) note(check, what, fix string) {
	fmt.Fprintf(d.out, "%s %s: %s; fix: %s\n", lineNote, check, what, fix)
}

func (d *diagnosis) skip(check, why string) {
	fmt.Fprintf(d.out, "%s %s: not checked: %s\n", lineSkip, check, why)
}

// The fixes the faults point to; deploy/ in the fedsite source has the proxy configurations.
const (
	fixProxy     = "send %s to the sidecar (see the nginx and Caddy configurations in examples/fedsite/deploy)"
	fixProxyAS2  = "send GETs of article URLs whose Accept is application/activity+json or application/ld+json with the ActivityStreams profile to the sidecar (see examples/fedsite/deploy)"
	fixVary      = `add "Vary: Accept" to every answer for article URLs, HTML and AS2 alike, so that caches keep them apart (see examples/fedsite/deploy)`
	fixAlternate = `put <link rel="alternate" type="application/activity+json" href="ARTICLE URL"> in the article's <head>, so that a pasted link finds its ActivityPub form`
	fixClock     = "synchronize the server's clock with NTP (chrony or systemd-timesyncd); remote servers reject signatures dated too far off"
	fixSidecar   = "check that fedsite serve runs with -base-url set to the public origin and that the proxy passes the request unchanged (Host, path and query)"
)

// run runs every check in order; a check whose input an earlier one could not find is skipped.
func (d *diagnosis) run(ctx context.Context) {
	d.checkWebFinger(ctx)
	d.checkHostMeta(ctx)
	d.checkNodeInfo(ctx)
	if d.actorID == "" {
		for _, c := range []string{"actor", "keys", "signed fetch"} {
			d.skip(c, "WebFinger gave no actor")
		}
	} else {
		d.checkActor(ctx)
		d.checkSignedFetch(ctx)
	}
	if d.actor == nil {
		d.skip("bluesky", "no actor document")
	} else {
		d.checkBluesky()
	}
	article := d.o.article
	switch {
	case article == "" && d.actor == nil:
		d.skip("article", "no actor outbox to take one from; name one with -article URL")
	case article == "":
		var err error
		if article, err = d.newestArticle(ctx); err != nil {
			d.fault("article", err.Error(), "publish an article or name one with -article URL")
		}
	}
	if article != "" {
		d.checkArticleAS2(ctx, article)
		d.checkArticleHTML(ctx, article)
	}
	d.checkClock()
}

// response is a fetched answer with its body read (up to maxDiagnoseBody).
type response struct {
	status int
	header http.Header
	body   []byte
}

const maxDiagnoseBody = 1 << 20

// get fetches u with the Accept header accept, unsigned, as a remote server's first look would.
func (d *diagnosis) get(ctx context.Context, u, accept string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "fedsite-diagnose/"+version())
	sent := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiagnoseBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil && !d.dated {
		d.skew, d.dated = date.Sub(sent.Truncate(time.Second)), true
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// checkWebFinger looks the handle up on the site's own domain, as remote servers do, and
// remembers the actor its self link names.
func (d *diagnosis) checkWebFinger(ctx context.Context) {
	host := strings.TrimPrefix(strings.TrimPrefix(d.o.site, "https://"), "http://")
	resource := "acct:" + d.o.Handle + "@" + host
	u := d.o.site + "/.well-known/webfinger?resource=" + url.QueryEscape(resource)
	fix := fmt.Sprintf(fixProxy, "/.well-known/webfinger (with its query)")
	r, err := d.get(ctx, u, "application/jrd+json")
	if err != nil {
		d.fault("webfinger", err.Error(), fix)
		return
	}
	if r.status != http.StatusOK {
		d.fault("webfinger", fmt.Sprintf("GET %s answered %d", u, r.status), fix)
		return
	}
	var jrd struct {
		Subject string
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal(r.body, &jrd); err != nil {
		d.fault("webfinger", fmt.Sprintf("%s is not a JSON Resource Descriptor (%s): %v", u, r.header.Get("Content-Type"), err), fix)
		return
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && mediatype.IsActivityStreams(l.Type) {
			if a, err := url.Parse(l.Href); err == nil && a.IsAbs() && a.Host != "" {
				d.actorID = l.Href
				break
			}
		}
	}
	if d.actorID == "" {
		d.fault("webfinger", fmt.Sprintf("%s has no self link of type application/activity+json", resource), fixSidecar)
		return
	}
	if jrd.Subject != "" && !strings.EqualFold(jrd.Subject, resource) {
		d.fault("webfinger", fmt.Sprintf("%s answers subject %s: servers show the handle of the subject", resource, jrd.Subject),
			"with the sidecar on another host than the handles, set its WebFinger domain to "+host+" (-webfinger-domain)")
		return
	}
	d.ok("webfinger", "%s is %s", resource, d.actorID)
}

// checkHostMeta checks the XRD that older servers read to find the WebFinger endpoint.
func (d *diagnosis) checkHostMeta(ctx context.Context) {
	u := d.o.site + "/.well-known/host-meta"
	fix := fmt.Sprintf(fixProxy, "/.well-known/host-meta")
	r, err := d.get(ctx, u, "application/xrd+xml")
	if err != nil {
		d.fault("host-meta", err.Error(), fix)
		return
	}
	var xrd struct {
		Links []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if r.status != http.StatusOK {
		d.fault("host-meta", fmt.Sprintf("GET %s answered %d", u, r.status), fix)
		return
	}
	if err := xml.Unmarshal(r.body, &xrd); err != nil {
		d.fault("host-meta", fmt.Sprintf("%s is not an XRD document: %v", u, err), fix)
		return
	}
	for _, l := range xrd.Links {
		if l.Rel == "lrdd" && strings.Contains(l.Template, "/.well-known/webfinger?resource={uri}") {
			d.ok("host-meta", "lrdd template %s", l.Template)
			return
		}
	}
	d.fault("host-meta", u+" has no lrdd link to /.well-known/webfinger", fix)
}

// NodeInfo's discovery relations (nodeinfo.diaspora.software); fedsite links 2.0 and 2.1.
const nodeInfoRelPrefix = "http://nodeinfo.diaspora.software/ns/schema/"

// checkNodeInfo follows /.well-known/nodeinfo to a NodeInfo document, on the actor's server:
// with a split domain the handles' domain need not serve it.
func (d *diagnosis) checkNodeInfo(ctx context.Context) {
	origin := d.o.site
	if d.actorID != "" {
		origin = originOf(d.actorID)
	}
	u := origin + "/.well-known/nodeinfo"
	fix := fmt.Sprintf(fixProxy, "/.well-known/nodeinfo and /ap/")
	r, err := d.get(ctx, u, "application/json")
	if err != nil {
		d.fault("nodeinfo", err.Error(), fix)
		return
	}
	var links struct{ Links []struct{ Rel, Href string } }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &links) != nil {
		d.fault("nodeinfo", fmt.Sprintf("GET %s answered %d, not NodeInfo links", u, r.status), fix)
		return
	}
	var doc string
	for _, l := range links.Links {
		if strings.HasPrefix(l.Rel, nodeInfoRelPrefix) {
			doc = l.Href
		}
	}
	if doc == "" {
		d.fault("nodeinfo", u+" links no NodeInfo schema", fix)
		return
	}
	r, err = d.get(ctx, doc, "application/json")
	if err != nil {
		d.fault("nodeinfo", err.Error(), fix)
		return
	}
	var info struct {
		Version  string
		Software struct{ Name, Version string }
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &info) != nil || info.Version == "" || info.Software.Name == "" {
		d.fault("nodeinfo", fmt.Sprintf("GET %s answered %d, not a NodeInfo document", doc, r.status), fix)
		return
	}
	d.ok("nodeinfo", "%s: NodeInfo %s, software %s %s", doc, info.Version, info.Software.Name, info.Software.Version)
}

// as2Accept is the Accept header Mastodon sends for ActivityPub documents.
const as2Accept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// getAS2 fetches u as a remote server fetches an ActivityPub document and decodes it. The error
// says what was wrong with the answer.
func (d *diagnosis) getAS2(ctx context.Context, u, accept string) (*vocab.Object, *response, error) {
	r, err := d.get(ctx, u, accept)
	if err != nil {
		return nil, nil, err
	}
	ct := r.header.Get("Content-Type")
	switch {
	case r.status != http.StatusOK:
		return nil, r, fmt.Errorf("GET %s (Accept: %s) answered %d", u, accept, r.status)
	case !mediatype.IsActivityStreams(ct):
		return nil, r, fmt.Errorf("GET %s (Accept: %s) answered Content-Type %q, not application/activity+json", u, accept, ct)
	}
	var o vocab.Object
	if err := json.Unmarshal(r.body, &o); err != nil {
		return nil, r, fmt.Errorf("GET %s: %w", u, err)
	}
	return &o, r, nil
}

// checkActor fetches the actor WebFinger named and checks its content type and keys.
func (d *diagnosis) checkActor(ctx context.Context) {
	a, resp, err := d.getAS2(ctx, d.actorID, as2Accept)
	if err != nil {
		d.fault("actor", err.Error(), fmt.Sprintf(fixProxy, "/ap/"))
		d.skip("keys", "no actor document")
		return
	}
	d.actorDoc = resp.body
	if a.ID != d.actorID || a.Inbox == "" {
		d.fault("actor", fmt.Sprintf("%s has id %q and inbox %q; want its own URL and an inbox", d.actorID, a.ID, a.Inbox), fixSidecar)
	} else {
		d.ok("actor", "%s is a %s with inbox %s", a.ID, strings.Join(a.Type, ","), a.Inbox)
	}
	d.actor = a
	d.checkKeys(a)
}

// checkBluesky checks the actor document against Bridgy Fed's requirements for bridging into
// Bluesky. Bridging is opt-in, so what it lacks is noted, not counted as a fault.
func (d *diagnosis) checkBluesky() {
	r, err := activitypub.CheckBridgyFedActor(d.actorDoc, time.Now())
	if err != nil {
		d.note("bluesky", err.Error(), "serve the actor document as fedsite renders it")
		return
	}
	for _, c := range r.Checks {
		if !c.Met {
			kind := "advice"
			if c.Required {
				kind = "required"
			}
			d.note("bluesky", fmt.Sprintf("Bridgy Fed %s %q not met", kind, c.Name), c.Fix)
		}
	}
	if r.Ready {
		d.ok("bluesky", "%s meets Bridgy Fed's requirements (bridging is opt-in)", r.Actor)
	}
}

// checkKeys checks the actor's HTTP-signature key and its FEP-521a assertion methods.
func (d *diagnosis) checkKeys(a *vocab.Object) {
	fix := "the keys are the sidecar's own: check that nothing between it and the network rewrites the actor document"
	if len(a.PublicKey) == 0 {
		d.fault("keys", a.ID+" has no publicKey; servers cannot check its signatures", fix)
		return
	}
	var problems []string
	for _, k := range a.PublicKey {
		if _, err := signing.ParsePublicKey([]byte(k.PublicKeyPem)); err != nil {
			problems = append(problems, fmt.Sprintf("publicKey %s: PEM does not parse: %v", k.ID, err))
		}
		if k.Owner != a.ID {
			problems = append(problems, fmt.Sprintf("publicKey %s: owner %q is not the actor", k.ID, k.Owner))
		}
	}
	var methods []signing.Multikey
	if _, err := a.DecodeExtra("assertionMethod", &methods); err != nil {
		problems = append(problems, fmt.Sprintf("assertionMethod: %v", err))
	}
	for _, m := range methods {
		if _, err := signing.ParsePublicKeyMultibase(m.PublicKeyMultibase); err != nil {
			problems = append(problems, fmt.Sprintf("assertionMethod %s: %v", m.ID, err))
		}
		if m.Controller != a.ID {
			problems = append(problems, fmt.Sprintf("assertionMethod %s: controller %q is not the actor", m.ID, m.Controller))
		}
	}
	if len(problems) > 0 {
		d.fault("keys", strings.Join(problems, "; "), fix)
		return
	}
	d.ok("keys", "publicKey %s parses and is owned by the actor; %d assertionMethod key(s) (FEP-521a)", a.PublicKey[0].ID, len(methods))
}

// checkSignedFetch fetches the actor with a GET signed by the sidecar's instance key, as
// servers in authorized-fetch mode require: a proxy that changes the Host, path or query, or
// drops the Signature header, breaks it.
func (d *diagnosis) checkSignedFetch(ctx context.Context) {
	c := d.o.config
	if c.BaseURL == "" {
		c.BaseURL = originOf(d.actorID)
	}
	log, err := c.logger(d.stderr)
	if err != nil {
		d.fault("signed fetch", err.Error(), "check -log-level")
		return
	}
	fed, closeStore, err := openFederation(ctx, c, nil, log, func(cfg *activitypub.Config) {
		if d.o.insecureLocal {
			cfg.Insecure = activitypub.Insecure{AllowHTTP: true, AllowAddresses: loopback()}
		}
	})
	if err != nil {
		d.fault("signed fetch", err.Error(), "run diagnose with the sidecar's -config (or -data and -store), and -base-url its origin")
		return
	}
	defer closeStore()
	if _, err := fed.Fetch(ctx, d.actorID); err != nil {
		d.fault("signed fetch", fmt.Sprintf("GET %s signed by %s: %v", d.actorID, fed.InstanceActorID(), err), fixSidecar)
		return
	}
	d.ok("signed fetch", "GET %s signed by %s", d.actorID, fed.InstanceActorID())
}

// originOf returns the origin of u, an absolute URL (checked so by checkWebFinger).
func originOf(u string) string {
	p, _ := url.Parse(u)
	return p.Scheme + "://" + p.Host
}

// checkClock compares the server's Date with this machine's clock.
func (d *diagnosis) checkClock() {
	if !d.dated {
		d.fault("clock", "no answer had a Date header", "let the proxy send Date (nginx and Caddy do by default)")
		return
	}
	// Date has whole seconds: a second of difference is rounding.
	if d.skew > d.o.maxSkew+time.Second || d.skew < -d.o.maxSkew-time.Second {
		d.fault("clock", fmt.Sprintf("the server's Date is %s off this machine's clock (over %s)", d.skew, d.o.maxSkew), fixClock)
		return
	}
	d.ok("clock", "the server's Date is within %s of this machine's clock", max(d.skew, -d.skew).Round(time.Second))
}

// newestArticle takes the newest article the actor's outbox has a Create of.
func (d *diagnosis) newestArticle(ctx context.Context) (string, error) {
	if d.actor.Outbox == "" {
		return "", errors.New("no article to check: the actor has no outbox")
	}
	coll, _, err := d.getAS2(ctx, d.actor.Outbox, as2Accept)
	if err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	page := coll
	if !coll.First.IsZero() {
		if page = coll.First.Object; page == nil {
			if page, _, err = d.getAS2(ctx, coll.First.IRI, as2Accept); err != nil {
				return "", fmt.Errorf("outbox: %w", err)
			}
		}
	}
	for _, it := range slices.Concat(page.OrderedItems, page.Items) {
		// The newest Create of an article not deleted since; an activity given by id only is skipped.
		if it.Object == nil || !slices.Contains(it.Object.Type, "Create") {
			continue
		}
		obj := it.Object.Object
		switch {
		case obj.Object != nil && slices.Contains(obj.Object.Type, "Tombstone"):
		case obj.Object != nil && obj.Object.URLString() != "":
			return obj.Object.URLString(), nil
		case obj.ID() != "":
			return obj.ID(), nil
		}
	}
	return "", fmt.Errorf("no article to check: the outbox %s has none", d.actor.Outbox)
}

// varyAccept reports whether h has Accept (or *) among its Vary values.
func varyAccept(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "Accept") || f == "*" {
				return true
			}
		}
	}
	return false
}

// checkArticleAS2 fetches the article as AS2, with each of the two media types servers ask for.
func (d *diagnosis) checkArticleAS2(ctx context.Context, article string) {
	for _, accept := range []string{mediatype.Activity, mediatype.ActivityLD} {
		o, r, err := d.getAS2(ctx, article, accept)
		if err != nil {
			d.fault("article as2", err.Error(), fixProxyAS2)
			continue
		}
		if o.ID == "" {
			d.fault("article as2", article+" answered an AS2 document without id", fixSidecar)
			continue
		}
		if !varyAccept(r.header) {
			d.fault("vary", fmt.Sprintf("the AS2 answer of %s has no \"Vary: Accept\"", article), fixVary)
			continue
		}
		d.ok("article as2", "%s (Accept: %s) is %s %s, with Vary: Accept", article, accept, strings.Join(o.Type, ","), o.ID)
	}
}

// checkArticleHTML fetches the article as a browser does: HTML, with Vary: Accept and a
// rel=alternate link to its AS2 form.
func (d *diagnosis) checkArticleHTML(ctx context.Context, article string) {
	r, err := d.get(ctx, article, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	if err != nil {
		d.fault("article html", err.Error(), "check that the site answers its article URLs")
		return
	}
	ct := r.header.Get("Content-Type")
	if r.status != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		d.fault("article html", fmt.Sprintf("GET %s as a browser answered %d %q, not HTML", article, r.status, ct),
			"send requests that do not ask for AS2 to the site, not to the sidecar (see examples/fedsite/deploy)")
		return
	}
	if !varyAccept(r.header) {
		d.fault("vary", fmt.Sprintf("the HTML answer of %s has no \"Vary: Accept\"", article), fixVary)
	} else {
		d.ok("vary", "the HTML answer of %s has Vary: Accept", article)
	}
	href := alternateAS2(r.body)
	if href == "" {
		d.fault("rel=alternate", article+" has no <link rel=\"alternate\" type=\"application/activity+json\">", fixAlternate)
		return
	}
	base, _ := url.Parse(article) // fetched: parses
	ref, err := base.Parse(href)
	if err != nil {
		d.fault("rel=alternate", fmt.Sprintf("%s: alternate href %q: %v", article, href, err), fixAlternate)
		return
	}
	d.ok("rel=alternate", "%s links its AS2 form %s", article, ref)
}

// alternateAS2 returns the href of the first <link rel="alternate"> with an ActivityStreams
// type in the document's head, or "".
func alternateAS2(doc []byte) string {
	z := xhtml.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			t := z.Token()
			if t.Data == "body" {
				return ""
			}
			if t.Data != "link" {
				continue
			}
			var rel, typ, href string
			for _, a := range t.Attr {
				switch a.Key {
				case "rel":
					rel = a.Val
				case "type":
					typ = a.Val
				case "href":
					href = a.Val
				}
			}
			if slices.Contains(strings.Fields(strings.ToLower(rel)), "alternate") && mediatype.IsActivityStreams(typ) && href != "" {
				return href
			}
		}
	}
}
