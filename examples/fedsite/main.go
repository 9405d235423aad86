package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h printed the usage
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `Usage:
  fedsite serve -feed URL -base-url URL [flags]   federate the site's feed (a sidecar)
  fedsite serve -config fedsite.toml [flags]      federate its feeds and webhook as the file says
  fedsite lookup [flags] @user@host | URL         show an actor or object as a remote server sees it
  fedsite diagnose [flags] https://example.com    check a deployment from outside, as a remote server would
  fedsite audit export [flags]                    write the record of activities as JSON Lines
  fedsite audit verify FILE                       check an export's hash chain
  fedsite -version                                print the version

Run "fedsite COMMAND -h" for a command's flags.
`

// run runs the command line args (without the program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("fedsite: no command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "lookup":
		return lookup(ctx, args[1:], stdout, stderr)
	case "diagnose":
		return diagnose(ctx, args[1:], stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], stdout, stderr)
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "fedsite", version())
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("fedsite: unknown command %q", args[0])
}

// version is the module version the binary was built from ("(devel)" in a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// logger builds the command's logger from the flags.
func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("fedsite: -log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("fedsite: -log-format %q: want text or json", c.LogFormat)
}

// local returns the addresses a local trial may reach, over plain http too: loopback, when the
// base URL is on loopback (http or https, as behind a local TLS proxy); nil (https only, no
// special addresses) otherwise.
func (c *config) local() ([]netip.Prefix, error) {
	if c.BaseURL == "" {
		return nil, errors.New("fedsite: -base-url is required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("fedsite: -base-url %q: want an origin such as https://example.com", c.BaseURL)
	}
	if ip, err := netip.ParseAddr(u.Hostname()); (err != nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		if u.Scheme == "https" {
			return nil, nil
		}
		return nil, fmt.Errorf("fedsite: -base-url %q: plain http only on loopback, for local trials", c.BaseURL)
	}
	return loopback(), nil
}

// loopback are the prefixes of this machine, which local trials reach.
func loopback() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
