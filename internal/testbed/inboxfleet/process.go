package inboxfleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"time"

	"github.com/fedsite/fedsite/signing"
)

// Stats is what a fleet has counted so far.
type Stats struct {
	// Accepted counts the deliveries accepted, Distinct the inboxes that accepted at least one.
	Accepted, Distinct int
	// Total counts the requests, Checked those whose signature was verified, Bad those whose
	// signature failed, Conns the TCP connections accepted.
	Total, Checked, Bad, Conns int64
}

// Stats returns the fleet's counts.
func (f *Fleet) Stats() Stats {
	return Stats{Accepted: f.Accepted(), Distinct: f.Distinct(), Total: f.Total(), Checked: f.Checked(),
		Bad: f.BadSignatures(), Conns: f.Conns()}
}

// processConfig is a Config as it travels to a fleet process.
type processConfig struct {
	KeyPEM                     []byte
	KeyID                      string
	VerifyEvery, Status, Hosts int
	Delay                      time.Duration
}

// processRequest asks a fleet process for its Stats, once it has accepted Wait deliveries in all.
type processRequest struct{ Wait int }

// processReply is a fleet process's answer: its address first, then one Stats per request.
type processReply struct {
	Addr  string
	Stats Stats
	Err   string
}

// ServeProcess runs a fleet for the process that started this one with [StartProcess]: it reads
// the Config from r, answers requests from r on w, and returns once r ends.
func ServeProcess(r io.Reader, w io.Writer) error {
	dec, enc := json.NewDecoder(bufio.NewReader(r)), json.NewEncoder(w)
	var pc processConfig
	if err := dec.Decode(&pc); err != nil {
		return fmt.Errorf("inboxfleet: process config: %w", err)
	}
	key, err := signing.ParsePublicKey(pc.KeyPEM)
	if err != nil {
		return fmt.Errorf("inboxfleet: process config: %w", err)
	}
	f, err := Start(Config{Key: key, KeyID: pc.KeyID, VerifyEvery: pc.VerifyEvery, Status: pc.Status, Delay: pc.Delay, Hosts: pc.Hosts})
	if err != nil {
		_ = enc.Encode(processReply{Err: err.Error()})
		return err
	}
	defer f.Close()
	if err := enc.Encode(processReply{Addr: f.Addr()}); err != nil {
		return err
	}
	for {
		var req processRequest
		if err := dec.Decode(&req); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("inboxfleet: process request: %w", err)
		}
		// The parent ends the process if it stops waiting.
		_ = f.WaitAccepted(context.Background(), req.Wait)
		if err := enc.Encode(processReply{Stats: f.Stats()}); err != nil {
			return err
		}
	}
}

// Process is a fleet running in a process of its own, so that it does not share the scheduler,
// the heap or the CPU accounting of the code it receives from. Its methods are not safe for
// concurrent use.
type Process struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	enc  *json.Encoder
	dec  *json.Decoder
	addr string
}

// StartProcess starts cmd, a program that calls [ServeProcess] with its standard input and
// output (for instance the caller's own executable, told so by an environment variable), and
// starts a fleet there with cfg.
func StartProcess(cmd *exec.Cmd, cfg Config) (*Process, error) {
	pem, err := signing.EncodePublicKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("inboxfleet: %w", err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("inboxfleet: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("inboxfleet: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("inboxfleet: start process: %w", err)
	}
	p := &Process{cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(out)}
	pc := processConfig{KeyPEM: pem, KeyID: cfg.KeyID, VerifyEvery: cfg.VerifyEvery, Status: cfg.Status, Hosts: cfg.Hosts, Delay: cfg.Delay}
	var rep processReply
	err = p.enc.Encode(pc)
	if err == nil {
		err = p.dec.Decode(&rep)
	}
	if err == nil && rep.Err != "" {
		err = errors.New(rep.Err)
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("inboxfleet: start process: %w", err)
	}
	p.addr = rep.Addr
	return p, nil
}

// Addr is the fleet's listening address on 127.0.0.1.
func (p *Process) Addr() string { return p.addr }

// Port is the port the fleet listens on, on every address (see [HostInbox]).
func (p *Process) Port() int {
	ap, _ := netip.ParseAddrPort(p.addr)
	return int(ap.Port())
}

// Stats returns the fleet's counts.
func (p *Process) Stats(ctx context.Context) (Stats, error) { return p.WaitAccepted(ctx, 0) }

// WaitAccepted waits until the fleet has accepted at least n deliveries in all and returns its
// counts then. The wait costs this process no CPU. If ctx ends first, the fleet process is
// killed.
func (p *Process) WaitAccepted(ctx context.Context, n int) (Stats, error) {
	stop := context.AfterFunc(ctx, func() { _ = p.cmd.Process.Kill() })
	defer stop()
	var rep processReply
	err := p.enc.Encode(processRequest{Wait: n})
	if err == nil {
		err = p.dec.Decode(&rep)
	}
	if ctx.Err() != nil {
		return Stats{}, fmt.Errorf("inboxfleet: waiting for %d deliveries: %w", n, ctx.Err())
	}
	if err != nil {
		return Stats{}, fmt.Errorf("inboxfleet: process: %w", err)
	}
	return rep.Stats, nil
}

// Close ends the fleet process and waits for it to exit.
func (p *Process) Close() error {
	p.in.Close()
	return p.cmd.Wait()
}
