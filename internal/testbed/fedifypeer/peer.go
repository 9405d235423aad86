package fedifypeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Activity is one activity the peer's inbox received.
type Activity struct {
	// Type is the activity type as compacted JSON-LD names it, e.g. "Follow".
	Type string `json:"type"`
	// ID is the activity's id, empty if it had none.
	ID string `json:"id"`
	// Actor is the id of the activity's actor.
	Actor string `json:"actor"`
	// Verified reports whether Fedify verified the activity's signature and
	// passed it to an inbox listener. When false, Fedify answered 401.
	Verified bool `json:"verified"`
	// Reason says why verification failed, e.g. "noSignature" or
	// "invalidSignature"; empty when Verified.
	Reason string `json:"reason,omitempty"`
	// ReceivedAt is when the peer recorded the activity.
	ReceivedAt time.Time `json:"receivedAt"`
	// Document is the activity as Fedify compacts it (toJsonLd).
	Document json.RawMessage `json:"document"`
}

// LogEntry is a warning or error the peer logged.
type LogEntry struct {
	// Time is when the peer logged the entry.
	Time time.Time `json:"time"`
	// Level is "warning", "error" or "fatal".
	Level string `json:"level"`
	// Category is the LogTape category, e.g. "fedify.federation.inbox".
	Category string `json:"category"`
	// Message is the rendered message.
	Message string `json:"message"`
}

// Following is one actor the peer asked to follow.
type Following struct {
	// Actor is the followed actor's id.
	Actor string `json:"actor"`
	// Follow is the id of the Follow activity.
	Follow string `json:"follow"`
	// State is "pending", "accepted" or "rejected".
	State string `json:"state"`
	// MovedFrom is, for a Follow the peer sent on a Move, the id of the actor that moved, whose
	// Follow the peer undid.
	MovedFrom string `json:"movedFrom,omitempty"`
}

// State is the peer's social graph.
type State struct {
	// Actor is the peer actor's id, as [Peer.ActorID].
	Actor string `json:"actor"`
	// Followers are the ids of actors whose Follow the peer accepted.
	Followers []string `json:"followers"`
	// Following lists the peer's own Follows.
	Following []Following `json:"following"`
}

// Peer is a running Fedify peer process. Its methods are safe for
// concurrent use.
type Peer struct {
	url    string
	log    *slog.Logger
	client *http.Client
	cmd    *exec.Cmd
	stderr *tail

	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // set before exited is closed

	closeOnce sync.Once
	closed    chan struct{}
}

// readyLine is what the peer prints to stdout once it listens.
type readyLine struct {
	Ready bool   `json:"ready"`
	URL   string `json:"url"`
}

// Start installs Fedify if needed (see [Install]) and starts the peer on a
// free loopback port: the peer binds 127.0.0.1:0, so no other process can
// take the port between choosing and binding it. Start returns once the
// peer has printed its ready line.
//
// ctx bounds installation and start-up only; the process runs until
// [Peer.Close]. If the peer exits or Config.StartTimeout passes first, Start
// returns an error that includes the peer's stderr.
func Start(ctx context.Context, cfg Config) (*Peer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	node, err := Install(ctx, cfg)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.CacheDir, peerDirName)
	cmd := exec.Command(node, peerScript, "0")
	cmd.Dir = dir
	if cfg.ExtraCACerts != "" {
		ca, err := filepath.Abs(cfg.ExtraCACerts)
		if err != nil {
			return nil, fmt.Errorf("fedifypeer: extra CA certificates: %w", err)
		}
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+ca)
	}
	ownProcessGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("fedifypeer: start: %w", err)
	}
	p := &Peer{
		log:    cfg.Logger.With("component", "fedifypeer"),
		cmd:    cmd,
		stderr: newTail(64 << 10),
		exited: make(chan struct{}),
		closed: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fedifypeer: start %s: %w", node, err)
	}
	ready := make(chan readyLine, 1)
	go p.readStdout(stdout, ready)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	command := node + " " + filepath.Join(dir, peerScript)
	select {
	case r := <-ready:
		p.url = r.URL
		p.log.LogAttrs(ctx, slog.LevelInfo, "fedifypeer: peer ready", slog.String("url", p.url))
		return p, nil
	case <-p.exited:
		return nil, &OutputError{Command: command, Output: p.stderr.String(), Err: fmt.Errorf("%w: %v", ErrExited, p.waitErr)}
	case <-timer.C:
		p.Close()
		return nil, &OutputError{Command: command, Output: p.stderr.String(), Err: fmt.Errorf("no ready line within %v", cfg.StartTimeout)}
	case <-ctx.Done():
		p.Close()
		return nil, &OutputError{Command: command, Output: p.stderr.String(), Err: ctx.Err()}
	}
}

// readStdout sends the first ready line on ready and logs the rest at Debug.
// It drains stdout so the peer never blocks writing to it.
func (p *Peer) readStdout(r io.Reader, ready chan<- readyLine) {
	sc := bufio.NewScanner(r)
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		if !sent {
			if rl, err := parseReady(line); err == nil {
				ready <- rl
				sent = true
				continue
			}
		}
		p.log.Debug("fedifypeer: stdout", "line", string(line))
	}
}

// parseReady decodes the peer's ready line and checks that it names a
// loopback http URL.
func parseReady(line []byte) (readyLine, error) {
	var r readyLine
	if err := json.Unmarshal(bytes.TrimSpace(line), &r); err != nil {
		return r, fmt.Errorf("fedifypeer: ready line: %w", err)
	}
	if !r.Ready {
		return r, errors.New("fedifypeer: ready line: ready is not true")
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return r, fmt.Errorf("fedifypeer: ready line: %w", err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
		return r, fmt.Errorf("fedifypeer: ready line: url %q is not http://127.0.0.1:PORT", r.URL)
	}
	return r, nil
}

// URL returns the peer's origin, e.g. "http://127.0.0.1:41234".
func (p *Peer) URL() string { return p.url }

// ActorID returns the id of the peer's actor, alice.
func (p *Peer) ActorID() string { return p.url + "/users/alice" }

// Stderr returns the end of what the peer wrote to stderr: its warnings and
// errors, one per line.
func (p *Peer) Stderr() string { return p.stderr.String() }

// Follow makes the peer look up the actor at actorURL, or by its handle
// (@user@host, through WebFinger over https), and deliver a signed Follow to
// its inbox. It returns the Follow's id once the delivery got a
// 2xx answer; a failed delivery is a *[ControlError].
func (p *Peer) Follow(ctx context.Context, actorURL string) (followID string, err error) {
	var out struct {
		ID string `json:"id"`
	}
	err = p.control(ctx, http.MethodPost, "/_control/follow", map[string]string{"actor": actorURL}, &out)
	return out.ID, err
}

// Send makes the peer deliver activity, signed, to the inbox of the actor at
// toActorURL. The peer parses activity with Fedify's Activity.fromJsonLd,
// so it must be an ActivityStreams activity; "@context", "actor" (the peer's
// actor) and "id" are filled in when missing. activity is not modified.
// Send returns the activity's id once the delivery got a 2xx answer.
func (p *Peer) Send(ctx context.Context, toActorURL string, activity map[string]any) (id string, err error) {
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"to": toActorURL, "activity": activity}
	err = p.control(ctx, http.MethodPost, "/_control/send", body, &out)
	return out.ID, err
}

// RelayID is the IRI of the peer's second actor, relay, which signs the
// HTTP requests of [Peer.Forward].
func (p *Peer) RelayID() string { return p.url + "/users/relay" }

// Forward has the peer deliver activity, filled in as by [Peer.Send] and
// carrying alice's Linked Data Signature (RsaSignature2017, made by Fedify's
// signJsonLd), to the shared inbox (else the inbox) of the actor at
// toActorURL with an HTTP signature by relay ([Peer.RelayID]), as Mastodon
// forwards a reply. With tamper, the object's content is changed after
// signing. It returns the activity's id and the status the inbox answered.
func (p *Peer) Forward(ctx context.Context, toActorURL string, activity map[string]any, tamper bool) (id string, status int, err error) {
	var out struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
	}
	body := map[string]any{"to": toActorURL, "activity": activity, "tamper": tamper}
	err = p.control(ctx, http.MethodPost, "/_control/forward", body, &out)
	return out.ID, out.Status, err
}

// Quote makes the peer write a public Note quoting the object at objectURL
// (FEP-044f) and send it, embedded in a QuoteRequest, to the inbox of the
// actor at toActorURL. It returns the QuoteRequest's and the Note's ids once
// the delivery got a 2xx answer.
func (p *Peer) Quote(ctx context.Context, toActorURL, objectURL, content string) (requestID, noteID string, err error) {
	var out struct {
		ID   string `json:"id"`
		Note string `json:"note"`
	}
	body := map[string]string{"to": toActorURL, "object": objectURL, "content": content}
	err = p.control(ctx, http.MethodPost, "/_control/quote", body, &out)
	return out.ID, out.Note, err
}

// QuoteAnswer is what the peer made of the answer to one of its
// QuoteRequests (see [Peer.VerifyQuote]).
type QuoteAnswer struct {
	// Answer is "Accept" or "Reject"; Verified whether Fedify verified its
	// signature.
	Answer   string `json:"answer"`
	Verified bool   `json:"verified"`
	// For an Accept: the QuoteAuthorization its result names, as Fedify
	// fetched it by id and read it, and its attributedTo, interactingObject
	// and interactionTarget. Error says why it could not be read as one.
	Authorization     string `json:"authorization"`
	AttributedTo      string `json:"attributedTo"`
	InteractingObject string `json:"interactingObject"`
	InteractionTarget string `json:"interactionTarget"`
	Error             string `json:"error"`
}

// VerifyQuote returns what the peer made of the answer to its QuoteRequest
// requestID: for an Accept, the QuoteAuthorization Fedify fetched by the id
// the Accept names as its result. No answer yet is a *[ControlError] (404).
func (p *Peer) VerifyQuote(ctx context.Context, requestID string) (QuoteAnswer, error) {
	var out QuoteAnswer
	err := p.control(ctx, http.MethodPost, "/_control/verify-quote", map[string]string{"request": requestID}, &out)
	return out, err
}

// ProofCheck is what the peer's Fedify said of a document's FEP-8b32 proofs.
type ProofCheck struct {
	// Verified reports that Fedify's verifyObject accepted every proof of the
	// document, with keys it fetched, as the activity's actor's.
	Verified bool `json:"verified"`
	// Reason is "noProof", "invalidProof" or "keyUnavailable" and the key id
	// when Verified is false.
	Reason string `json:"reason,omitempty"`
}

// VerifyProof makes the peer check the FEP-8b32 object integrity proofs of
// document, a JSON object as it was delivered, with Fedify's verifyObject.
func (p *Peer) VerifyProof(ctx context.Context, document json.RawMessage) (ProofCheck, error) {
	var out ProofCheck
	err := p.control(ctx, http.MethodPost, "/_control/verify-proof", map[string]any{"document": document}, &out)
	return out, err
}

// Received returns every activity the peer's inbox has received, oldest
// first.
func (p *Peer) Received(ctx context.Context) ([]Activity, error) {
	var raw json.RawMessage
	if err := p.control(ctx, http.MethodGet, "/_control/inbox", nil, &raw); err != nil {
		return nil, err
	}
	return decodeActivities(raw)
}

// decodeActivities parses the peer's /_control/inbox answer. A record whose
// document is absent decodes with a nil Document.
func decodeActivities(data []byte) ([]Activity, error) {
	var out []Activity
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("fedifypeer: decode received activities: %w", err)
	}
	for i := range out {
		if string(out[i].Document) == "null" {
			out[i].Document = nil
		}
	}
	return out, nil
}

// WaitFor polls [Peer.Received] until an activity satisfies match and
// returns the first that does. It gives up when ctx is done, so ctx should
// carry a deadline; the error then wraps ctx.Err().
func (p *Peer) WaitFor(ctx context.Context, match func(Activity) bool) (Activity, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	seen := 0
	for {
		got, err := p.Received(ctx)
		if err != nil && ctx.Err() == nil {
			return Activity{}, err
		}
		seen = max(seen, len(got))
		for _, a := range got {
			if match(a) {
				return a, nil
			}
		}
		select {
		case <-ctx.Done():
			return Activity{}, fmt.Errorf("fedifypeer: wait for activity (%d received, none matched): %w", seen, ctx.Err())
		case <-p.exited:
			return Activity{}, &OutputError{Command: "peer", Output: p.Stderr(), Err: ErrExited}
		case <-tick.C:
		}
	}
}

// Log returns the recent warnings and errors the peer logged, oldest first.
func (p *Peer) Log(ctx context.Context) ([]LogEntry, error) {
	var out []LogEntry
	err := p.control(ctx, http.MethodGet, "/_control/log", nil, &out)
	return out, err
}

// State returns the peer's followers and the actors it follows.
func (p *Peer) State(ctx context.Context) (State, error) {
	var out State
	err := p.control(ctx, http.MethodGet, "/_control/state", nil, &out)
	return out, err
}

// Close kills the peer's process group and waits for the process to end.
// It is safe to call more than once; later calls return nil.
func (p *Peer) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		err = killProcessGroup(p.cmd)
		<-p.exited
		p.client.CloseIdleConnections()
		if err != nil {
			err = fmt.Errorf("fedifypeer: close: %w", err)
		}
	})
	return err
}

// control does one control-API round trip: in (if not nil) is sent as
// JSON, the answer is decoded into out.
func (p *Peer) control(ctx context.Context, method, path string, in, out any) error {
	select {
	case <-p.closed:
		return ErrClosed
	default:
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("fedifypeer: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, body)
	if err != nil {
		return fmt.Errorf("fedifypeer: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("fedifypeer: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("fedifypeer: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &ControlError{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("fedifypeer: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}
