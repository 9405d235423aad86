package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// config is the settings of fedsite: the fields of the config file (-config, TOML), each of which
// a flag of the same name, where there is one, overrides. Every default is in defaultConfig, and
// fedsite.example.toml documents each field with it.
type config struct {
	BaseURL         string   `toml:"base_url"`
	Addr            string   `toml:"addr"`
	MetricsAddr     string   `toml:"metrics_addr"`
	AdminAddr       string   `toml:"admin_addr"`
	AdminUser       string   `toml:"admin_user"`
	AdminPassword   string   `toml:"admin_password"`
	Data            string   `toml:"data"`
	Store           string   `toml:"store"`
	Handle          string   `toml:"handle"`
	WebFingerDomain string   `toml:"webfinger_domain"`
	LogFormat       string   `toml:"log_format"`
	LogLevel        string   `toml:"log_level"`
	Interval        duration `toml:"interval"`
	FeedTimeout     duration `toml:"feed_timeout"`
	MaxFeedBytes    int64    `toml:"max_feed_bytes"`
	WebhookSecret   string   `toml:"webhook_secret"`
	MaxWebhookBytes int64    `toml:"max_webhook_bytes"`
	RecordRetention duration `toml:"record_retention"`
	// OperationalRetention is activitypub.Retention.Operational, with "0s" for ever.
	OperationalRetention duration          `toml:"operational_retention"`
	Feeds                []feedConfig      `toml:"feeds"`
	Actors               []actorConfig     `toml:"actors"`
	Authors              map[string]string `toml:"authors"`
}

// feedConfig is one feed and the actor its items are published as.
type feedConfig struct {
	URL      string   `toml:"url"`
	Actor    string   `toml:"actor"`
	Interval duration `toml:"interval"`
}

// actorConfig describes one of the site's actors.
type actorConfig struct {
	Handle  string `toml:"handle"`
	Name    string `toml:"name"`
	Summary string `toml:"summary"`
	Avatar  string `toml:"avatar"`
	URL     string `toml:"url"`
}

// defaultConfig is every setting's default.
func defaultConfig() config {
	return config{
		Addr:                 "127.0.0.1:8090",
		Data:                 "fedsite-data",
		Handle:               "news",
		AdminUser:            "admin",
		LogFormat:            "text",
		LogLevel:             "info",
		Interval:             duration(5 * time.Minute),
		FeedTimeout:          duration(30 * time.Second),
		MaxFeedBytes:         10 << 20,
		MaxWebhookBytes:      1 << 20,
		OperationalRetention: duration(30 * 24 * time.Hour),
	}
}

// duration is a time.Duration written as Go writes one ("5m", "90s") in the file and the flags.
type duration time.Duration

// UnmarshalText reads the file's duration.
func (d *duration) UnmarshalText(b []byte) error { return d.Set(string(b)) }

// MarshalText writes the duration as the file does.
func (d duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Set reads the flag's duration.
func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) String() string { return time.Duration(d).String() }

// feedFlag is -feed: the organization's one feed, replacing the file's feeds.
type feedFlag struct{ cfg *config }

func (f feedFlag) Set(s string) error {
	f.cfg.Feeds = []feedConfig{{URL: s}}
	return nil
}

func (f feedFlag) String() string {
	if f.cfg == nil || len(f.cfg.Feeds) == 0 {
		return ""
	}
	return f.cfg.Feeds[0].URL
}

// flags parses the command's flags into a config: the defaults, then the -config file, then the
// flags set on the command line, which override the file. register adds the command's own flags.
func flags(name string, args []string, stderr io.Writer, register func(fs *flag.FlagSet, c *config)) (config, *flag.FlagSet, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "TOML config file; the flags override it (see fedsite.example.toml)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public origin of the site, such as https://example.com (required)")
	fs.StringVar(&c.Data, "data", c.Data, "folder for the sidecar's state (created if absent)")
	fs.StringVar(&c.Store, "store", c.Store, "federation store: postgres://…, mysql://…, redis://… or a SQLite file (default: fedsite.db in -data)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	register(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, fs, err
	}
	if *path == "" {
		return c, fs, nil
	}
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	file, err := loadConfig(*path)
	if err != nil {
		return c, fs, err
	}
	c = file
	for name, v := range set { // the flags' Values point into c, now the file's
		if err := fs.Set(name, v); err != nil {
			return c, fs, fmt.Errorf("%s: -%s: %w", fs.Name(), name, err)
		}
	}
	return c, fs, nil
}

// loadConfig reads a config file over the defaults, strictly: a key fedsite does not know, such
// as a misspelt one, is an error naming it.
func loadConfig(path string) (config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return config{}, fmt.Errorf("fedsite: config: %w", err)
	}
	return parseConfig(path, b)
}

func parseConfig(path string, b []byte) (config, error) {
	c := defaultConfig()
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if se, ok := errors.AsType[*toml.StrictMissingError](err); ok {
			return c, fmt.Errorf("fedsite: config %s: unknown key:\n%s", path, se.String())
		}
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, col := de.Position()
			return c, fmt.Errorf("fedsite: config %s:%d:%d: %w", path, row, col, err)
		}
		return c, fmt.Errorf("fedsite: config %s: %w", path, err)
	}
	return c, nil
}

// check checks the settings serve needs and fills the per-feed defaults: the base URL, a feed or
// the webhook, positive limits, and actors that exist.
func (c *config) check() error {
	switch {
	case len(c.Feeds) == 0 && c.WebhookSecret == "":
		return errors.New("fedsite serve: nothing to federate: give -feed (or feeds in the config file) or a webhook_secret")
	case c.Interval <= 0 || c.FeedTimeout <= 0 || c.MaxFeedBytes <= 0 || c.MaxWebhookBytes <= 0:
		return errors.New("fedsite serve: interval, feed_timeout, max_feed_bytes and max_webhook_bytes must be positive")
	case c.RecordRetention < 0 || c.OperationalRetention < 0:
		return errors.New("fedsite serve: record_retention and operational_retention must not be negative")
	case c.AdminAddr != "" && (c.AdminUser == "" || len(c.AdminPassword) < minAdminPassword):
		return fmt.Errorf("fedsite serve: admin_addr needs admin_user and an admin_password of at least %d characters", minAdminPassword)
	}
	known := map[string]bool{c.Handle: true}
	for _, a := range c.Actors {
		if a.Handle == "" {
			return errors.New("fedsite serve: an actor without a handle")
		}
		known[a.Handle] = true
	}
	seen := map[string]bool{}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		if f.URL == "" {
			return fmt.Errorf("fedsite serve: feed %d has no url", i+1)
		}
		if seen[f.URL] {
			return fmt.Errorf("fedsite serve: feed %s listed twice", f.URL)
		}
		seen[f.URL] = true
		if f.Actor == "" {
			f.Actor = c.Handle
		}
		if f.Interval <= 0 {
			f.Interval = c.Interval
		}
		if !known[f.Actor] {
			return fmt.Errorf("fedsite serve: feed %s: actor %q is not the organization's (handle) or in actors", f.URL, f.Actor)
		}
	}
	for who, actor := range c.Authors {
		if !known[actor] {
			return fmt.Errorf("fedsite serve: authors: %q maps to %q, which is not the organization's (handle) or in actors", who, actor)
		}
	}
	return nil
}

// authorMap returns the authors map with lower-cased keys.
func (c *config) authorMap() authorMap {
	m := authorMap{}
	for who, actor := range c.Authors {
		m[strings.ToLower(strings.TrimSpace(who))] = actor
	}
	return m
}
