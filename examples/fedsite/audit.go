package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/record"
)

const auditUsage = `Usage:
  fedsite audit export [flags] [-since T] [-until T] [-actor IRI] [-o FILE]
      write the record of activities, with its hash chain, as JSON Lines
  fedsite audit verify FILE
      check an export's hash chain; exits 1 naming the first broken line
`

// audit runs the audit subcommands: export and verify.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return errors.New("fedsite audit: want export or verify")
	}
	switch args[0] {
	case "export":
		return auditExport(ctx, args[1:], stdout, stderr)
	case "verify":
		return auditVerify(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, auditUsage)
	return fmt.Errorf("fedsite audit: unknown subcommand %q", args[0])
}

// timeFlag is a -since or -until: RFC 3339, or a date (midnight UTC).
type timeFlag struct{ t *time.Time }

func (f timeFlag) Set(s string) error {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			*f.t = t
			return nil
		}
	}
	return fmt.Errorf("%q is neither RFC 3339 (2026-01-02T15:04:05Z) nor a date (2026-01-02)", s)
}

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339Nano)
}

// auditExport writes the record of the store the flags name, as the sidecar's Federation
// exports it (the export is audited), to -o or stdout.
func auditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var filter record.Filter
	var out string
	c, fs, err := flags("fedsite audit export", args, stderr, func(fs *flag.FlagSet, _ *config) {
		fs.Var(timeFlag{&filter.Since}, "since", "export entries recorded at or after this time (RFC 3339 or a date)")
		fs.Var(timeFlag{&filter.Until}, "until", "export entries recorded before this time (RFC 3339 or a date)")
		fs.StringVar(&filter.Actor, "actor", "", "export in full only this actor's entries (its IRI); the others are elided")
		fs.StringVar(&out, "o", "", "write to this file instead of stdout")
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), auditUsage)
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errors.New("fedsite audit export: no arguments but flags")
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
		return errors.New("fedsite audit export: -until must be after -since")
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	fed, closeStore, err := openFederation(ctx, c, nil, log, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	w, file := stdout, (*os.File)(nil)
	if out != "" {
		if file, err = os.Create(out); err != nil {
			return fmt.Errorf("fedsite audit export: %w", err)
		}
		defer file.Close() // after the Close below, for an early return
		w = file
	}
	sum, err := fed.ExportRecord(activitypub.WithUser(ctx, "fedsite audit export"), w, filter)
	if err != nil {
		return fmt.Errorf("fedsite audit export: %w", err)
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("fedsite audit export: %w", err)
		}
	}
	fmt.Fprintf(stderr, "exported %d entries in full, %d elided, %d checkpoints\n", sum.Entries, sum.Elided, sum.Checkpoints)
	return nil
}

// auditVerify checks the export in the file named by its one argument.
func auditVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fedsite audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditUsage) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("fedsite audit verify: want one FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("fedsite audit verify: %w", err)
	}
	defer f.Close()
	rep, err := record.Verify(f)
	if err != nil {
		return fmt.Errorf("fedsite audit verify: %s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(stdout, "%s: intact: %d entries in full and %d elided, seq %d to %d, last hash %s; the chain's head was seq %d, hash %s\n",
		fs.Arg(0), rep.Entries, rep.Elided, rep.FirstSeq, rep.LastSeq, rep.LastHash, rep.HeadSeq, rep.HeadHash)
	return nil
}
