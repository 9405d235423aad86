package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fedsite/fedsite/internal/ssrf"
	"github.com/fedsite/fedsite/webfinger"
)

// lookup prints the actor (@user@host, found through WebFinger) or object (URL) named by its
// argument as a remote server serves it to the site: fetched with a GET signed by the site's
// instance actor, whose key the sidecar keeps in -data. The remote server fetches that key from
// -base-url to check the signature, so the sidecar must be reachable there.
func lookup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, fs, err := flags("fedsite lookup", args, stderr, func(fs *flag.FlagSet, _ *config) {
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "Usage: fedsite lookup [flags] @user@host | URL")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("fedsite lookup: want one @user@host or URL")
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	local, err := c.local()
	if err != nil {
		return err
	}
	// The instance actor is the only one lookup needs; no site actor exists for it.
	fed, closeStore, err := openFederation(ctx, c, nil, log, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	iri := fs.Arg(0)
	if handle, ok := strings.CutPrefix(iri, "@"); ok || (strings.Contains(iri, "@") && !strings.Contains(iri, "://")) {
		if !ok {
			handle = iri
		}
		wf, err := webfinger.NewClient(webfinger.ClientConfig{
			HTTPClient:        ssrf.NewClient(ssrf.Config{Allow: local, Timeout: 30 * time.Second}),
			InsecureAllowHTTP: local != nil,
			Logger:            log,
		})
		if err != nil {
			return err
		}
		jrd, err := wf.Lookup(ctx, "acct:"+handle)
		if err != nil {
			return fmt.Errorf("fedsite lookup: %w", err)
		}
		if iri, err = jrd.ActorID(); err != nil {
			return fmt.Errorf("fedsite lookup: %s: %w", handle, err)
		}
	}
	doc, err := fed.Fetch(ctx, iri)
	if err != nil {
		return fmt.Errorf("fedsite lookup: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		return fmt.Errorf("fedsite lookup: %w", err)
	}
	out.WriteByte('\n')
	_, err = stdout.Write(out.Bytes())
	return err
}
