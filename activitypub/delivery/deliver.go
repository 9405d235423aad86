package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/internal/mediatype"
	"github.com/fedsite/fedsite/internal/retryafter"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// mediaType is the Content-Type of deliveries.

// fanOut reads one page of follower inboxes and, in one atomic Ack, replaces itself with the
// page job that delivers to them and the fan-out job of the next page.
func (e *Engine) fanOut(ctx context.Context, t task) {
	p := t.p
	log := e.logFor(slog.String("activity", p.Activity), slog.String("actor", p.Actor))
	inboxes, err := e.cfg.Inboxes.DeliveryInboxes(ctx, p.Actor, p.After, e.cfg.PageSize)
	if err != nil {
		e.retryJob(ctx, log, t, fmt.Errorf("delivery: fan-out inboxes: %w", err), 0, false)
		return
	}
	pg := payload{Activity: p.Activity, Object: p.Object, Actor: p.Actor, Page: p.Page, Behind: p.Behind}
	queued := make([]store.DeliveryRecord, 0, len(inboxes))
	for _, inbox := range inboxes {
		host, err := inboxHost(inbox)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "delivery: skipping follower inbox", slog.String("inbox", inbox), slog.Any("err", err))
			continue
		}
		pg.Inboxes = append(pg.Inboxes, inbox)
		queued = append(queued, newRecord(payload{Activity: p.Activity, Object: p.Object, Inbox: inbox}, host, store.DeliveryQueued, 0, "", e.cfg.Now()))
	}
	var jobs []store.Job
	if len(pg.Inboxes) > 0 {
		j, err := pageJob(pg)
		if err != nil {
			e.retryJob(ctx, log, t, err, 0, false)
			return
		}
		jobs = append(jobs, j)
	}
	if len(inboxes) == e.cfg.PageSize {
		next := p
		next.After = inboxes[len(inboxes)-1]
		next.Page++
		j, err := fanOutJob(next)
		if err != nil {
			e.retryJob(ctx, log, t, err, 0, false)
			return
		}
		jobs = append(jobs, j)
	}
	// Recorded, all in one write, before the Ack, so that the page's deliveries never find their
	// records missing (openPage) nor have theirs overwritten by these.
	if err := e.cfg.Store.RecordDelivery(ctx, queued...); err != nil {
		e.retryJob(ctx, log, t, fmt.Errorf("delivery: fan-out records: %w", err), 0, false)
		return
	}
	if err := e.cfg.Store.Ack(ctx, t.l, jobs...); err != nil {
		e.finish(ctx, "fan-out ack", err, t.l)
		return
	}
	e.notify()
	e.tel.queuedFanOut(ctx, len(pg.Inboxes))
	log.LogAttrs(ctx, slog.LevelDebug, "delivery: fan-out page", slog.Int("page", p.Page), slog.Int("inboxes", len(inboxes)))
}

// outcome is what a delivery attempt came to.
type outcome int

const (
	delivered outcome = iota
	gone              // 404, 410: the inbox is gone for good
	retryable         // network error, 408, 429, 5xx
	refused           // any other answer
)

func classify(code int, err error) outcome {
	switch {
	case err != nil:
		return retryable
	case code >= 200 && code < 300:
		return delivered
	case code == http.StatusNotFound || code == http.StatusGone:
		return gone
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return retryable
	default:
		return refused
	}
}

// deliver sends one activity to one inbox and settles the task by the outcome: done writes the
// record (and acks a job) when the inbox accepted it.
func (e *Engine) deliver(ctx context.Context, t task, done *completer) {
	p := t.p
	ctx, span := e.tel.startDelivery(ctx, p, t.host)
	defer span.End()
	log := e.logFor(slog.String("activity", p.Activity), slog.String("inbox", p.Inbox), slog.String("host", t.host))
	failed := failures(t)

	if t.page == nil {
		// A page asked about its inboxes when it opened (see openPage).
		refused, err := e.refused(ctx, p.Inbox)
		if err != nil {
			e.retryJob(ctx, log, t, err, 0, false)
			return
		}
		if refused[p.Inbox] {
			e.finish(ctx, "ack", e.cfg.Store.Ack(ctx, t.l), t.l)
			e.record(ctx, t, store.DeliveryFailed, failed, errBlockedInbox.Error())
			e.tel.count(ctx, tallyBlocked)
			log.LogAttrs(ctx, slog.LevelDebug, "delivery: blocked inbox dropped")
			return
		}
	}
	if t.page == nil && len(p.Behind) > 0 && e.cfg.Now().Sub(t.l.EnqueuedAt) < behindPatience {
		// A page checked when it opened (see openPage): an earlier activity's record, once
		// settled, stays so.
		blocked, err := e.blocked(ctx, p, p.Inbox)
		if err != nil {
			e.retryJob(ctx, log, t, err, 0, false)
			return
		}
		if len(blocked) > 0 {
			e.waitBehind(ctx, log, t)
			return
		}
	}
	st, probe, deferred := e.checkBreaker(ctx, log, t)
	if deferred {
		e.tel.count(ctx, tallyDeferred)
		return
	}
	doc, err := e.document(ctx, p.Activity)
	if errors.Is(err, store.ErrNotFound) {
		e.giveUp(ctx, log, t, failed, err)
		return
	}
	if err != nil {
		e.retryJob(ctx, log, t, err, 0, false)
		return
	}
	key, err := e.cfg.Keys(ctx, p.Actor)
	if err != nil {
		e.retryJob(ctx, log, t, fmt.Errorf("delivery: key of %s: %w", p.Actor, err), 0, false)
		return
	}
	start := time.Now()
	code, asked, err := e.post(ctx, p.Inbox, key, doc)
	if ctx.Err() != nil {
		// Run is stopping: a job stays leased and runs again once its lease ends; a page puts the
		// delivery back.
		if t.page != nil {
			t.page.giveBack(ctx, e, p.Inbox)
		}
		return
	}
	e.tel.posted(ctx, start, code, err)
	out := classify(code, err)
	if err == nil && out != delivered {
		err = &StatusError{Inbox: p.Inbox, Code: code}
	}
	switch out {
	case delivered:
		// Counted before its record is written, so a reader who sees the record sees the count.
		e.delivered.Add(1)
		e.tel.count(ctx, tallyDelivered)
		// The status record (and a job's ack) are written with other workers' (see completer).
		done.complete(t.l, t.page == nil, e.taskRecord(t, store.DeliveryDelivered, failed+1, ""))
		e.hostOK(ctx, log, t.host, st, probe)
		if t.page != nil {
			t.page.done(ctx, e)
		}
		log.LogAttrs(ctx, slog.LevelDebug, "delivery: delivered", slog.Int("status", code))
	case gone:
		e.hostOK(ctx, log, t.host, st, probe)
		e.failed.Add(1)
		e.gone.Add(1)
		e.tel.count(ctx, tallyGone)
		if t.page == nil {
			e.finish(ctx, "ack", e.cfg.Store.Ack(ctx, t.l), t.l)
		}
		e.record(ctx, t, store.DeliveryFailed, failed+1, err.Error())
		e.removeFollowers(ctx, log, p.Inbox)
		if t.page != nil {
			t.page.done(ctx, e)
		}
	case refused:
		e.hostOK(ctx, log, t.host, st, probe)
		e.giveUp(ctx, log, t, failed+1, err)
	case retryable:
		// A 429 says the host is up and busy: it slows this delivery but does not count toward
		// the breaker.
		if code != http.StatusTooManyRequests {
			e.hostFailed(ctx, log, t.host)
		}
		e.retryJob(ctx, log, t, err, asked, true)
	}
}

// retryJob counts a failed attempt and puts the task back per the retry policy, or gives up. A
// failure of the host itself (hostDown: no answer, or 408, 429, 5xx) is logged at Info if it is the
// host's first since it last answered, so that an outage shows once per host above Debug.
func (e *Engine) retryJob(ctx context.Context, log *slog.Logger, t task, err error, asked time.Duration, hostDown bool) {
	if ctx.Err() != nil {
		// Run is stopping, which may be all that failed: nothing is counted. As after a post cut
		// short (see deliver), a job stays leased and a page puts the delivery back.
		if t.page != nil {
			t.page.giveBack(ctx, e, t.p.Inbox)
		}
		return
	}
	failed := failures(t) + 1
	wait, ok := e.cfg.Retry.Delay(failed, asked)
	if !ok {
		e.giveUp(ctx, log, t, failed, err)
		return
	}
	e.retried.Add(1)
	if t.delivery() {
		e.tel.count(ctx, tallyRetried)
	}
	e.putBack(ctx, t, e.cfg.Now().Add(wait), failed, err.Error())
	lvl, msg := slog.LevelDebug, "delivery: will retry"
	if hostDown && e.failing.add(t.host) {
		lvl, msg = slog.LevelInfo, "delivery: host failing, will retry"
	}
	log.LogAttrs(ctx, lvl, msg, slog.Int("failed", failed), slog.Duration("wait", wait), slog.Any("err", err))
}

// putBack returns a task to the queue, not to run before at, after failed failed attempts, and
// records its delivery as retrying: a job through Retry, a page's delivery as a deliver job its
// page's ack enqueues (the record waits for that ack).
func (e *Engine) putBack(ctx context.Context, t task, at time.Time, failed int, msg string) {
	var rec *store.DeliveryRecord
	if t.delivery() {
		r := e.taskRecord(t, store.DeliveryRetrying, failed, msg)
		rec = &r
	}
	if t.page != nil {
		t.page.settle(ctx, e, t.p.Inbox, at, failed, rec)
		return
	}
	e.finish(ctx, "retry", e.cfg.Store.Retry(ctx, t.l, at, reason(failed, msg)), t.l)
	if rec != nil {
		e.writeRecords(ctx, *rec)
	}
}

// errBlockedInbox is the LastError of a delivery dropped because Config.Blocks blocks its inbox.
var errBlockedInbox = errors.New("delivery: inbox blocked")

// refused returns those of inboxes that Config.Blocks blocks, with one call.
func (e *Engine) refused(ctx context.Context, inboxes ...string) (map[string]bool, error) {
	if e.cfg.Blocks == nil || len(inboxes) == 0 {
		return nil, nil
	}
	blocked, err := e.cfg.Blocks.Blocked(ctx, inboxes...)
	if err != nil {
		return nil, fmt.Errorf("delivery: blocks: %w", err)
	}
	if len(blocked) != len(inboxes) {
		return nil, fmt.Errorf("delivery: blocks: %d answers for %d inboxes", len(blocked), len(inboxes))
	}
	out := make(map[string]bool)
	for i, b := range blocked {
		if b {
			out[inboxes[i]] = true
		}
	}
	return out, nil
}

// blocked returns those of inboxes where one of the activities p stays behind is still queued or
// retrying.
func (e *Engine) blocked(ctx context.Context, p payload, inboxes ...string) (map[string]bool, error) {
	out := make(map[string]bool)
	for _, earlier := range p.Behind {
		states, err := e.cfg.Store.DeliveryStates(ctx, p.Object, earlier, inboxes...)
		if err != nil {
			return nil, fmt.Errorf("delivery: states of %s: %w", earlier, err)
		}
		for i, st := range states {
			if st == store.DeliveryQueued || st == store.DeliveryRetrying {
				out[inboxes[i]] = true
			}
		}
	}
	return out, nil
}

// maxBehindWait bounds how long a delivery waits before it looks again at the earlier activities
// it stays behind; the wait doubles from a second with each look. After behindPatience it waits no
// more: an earlier delivery still unsettled then is one to a host that has failed for longer than
// the default retry schedule lasts (at most about 62 h), or one lost with a page job given up (its
// records stay "queued"), and waiting longer would hold this delivery for good.
const (
	maxBehindWait  = 5 * time.Minute
	behindPatience = 72 * time.Hour
)

// waitBehind puts a deliver job back, without counting an attempt, until it looks again at the
// earlier activities it stays behind.
func (e *Engine) waitBehind(ctx context.Context, log *slog.Logger, t task) {
	wait := min(time.Second<<min(t.l.Attempts, 10), maxBehindWait)
	msg := "waiting for an earlier activity of the object"
	e.finish(ctx, "wait", e.cfg.Store.Retry(ctx, t.l, e.cfg.Now().Add(wait), reason(failures(t), msg)), t.l)
	log.LogAttrs(ctx, slog.LevelDebug, "delivery: "+msg, slog.Duration("wait", wait))
}

// giveUp fails the task for good: a job is dead-lettered, a page's delivery only recorded.
func (e *Engine) giveUp(ctx context.Context, log *slog.Logger, t task, failed int, err error) {
	e.failed.Add(1)
	if t.page == nil {
		e.finish(ctx, "dead-letter", e.cfg.Store.DeadLetter(ctx, t.l, reason(failed, err.Error())), t.l)
		e.deadLettered.Add(1)
	}
	switch {
	case t.delivery():
		e.tel.count(ctx, tallyFailed)
		e.record(ctx, t, store.DeliveryFailed, failed, err.Error())
	case t.l.Kind == KindPage:
		e.failPage(ctx, log, t.p, failed, err)
	}
	if t.page != nil {
		t.page.done(ctx, e)
	}
	log.LogAttrs(ctx, slog.LevelWarn, "delivery: given up", slog.Int("failed", failed), slog.Any("err", err))
}

// failPage records "failed" the deliveries of a page job given up before it could open that its
// records do not show as delivered or failed, so that they do not stay "queued" for good (nor hold
// a later activity that stays behind them). Failing to read or write is logged only.
func (e *Engine) failPage(ctx context.Context, log *slog.Logger, p payload, failed int, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	states, err := e.cfg.Store.DeliveryStates(ctx, p.Object, p.Activity, p.Inboxes...)
	if err != nil || len(states) != len(p.Inboxes) {
		log.LogAttrs(ctx, slog.LevelWarn, "delivery: page given up, its records left as they are", slog.Int("states", len(states)), slog.Any("err", err))
		return
	}
	var recs []store.DeliveryRecord
	for i, inbox := range p.Inboxes {
		if !final(states[i]) {
			q := p
			q.Inbox = inbox
			host, _ := inboxHost(inbox) // the fan-out wrote only valid inboxes
			recs = append(recs, newRecord(q, host, store.DeliveryFailed, failed, cause.Error(), e.cfg.Now()))
		}
	}
	e.writeRecords(ctx, recs...)
	e.tel.countMany(ctx, tallyFailed, len(recs))
}

func (e *Engine) removeFollowers(ctx context.Context, log *slog.Logger, inbox string) {
	if e.cfg.Followers == nil {
		return
	}
	// The 410 was received: act on it even as Run stops, as record does.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	removed, err := e.cfg.Followers.RemoveFollowersByInbox(ctx, inbox)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "delivery: remove followers of a gone inbox", slog.Any("err", err))
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "delivery: inbox gone, followers removed", slog.Int("removed", len(removed)))
	if e.cfg.OnGone != nil && len(removed) > 0 {
		e.cfg.OnGone(ctx, inbox, removed)
	}
}

// document returns the stored JSON of an activity.
func (e *Engine) document(ctx context.Context, id string) ([]byte, error) {
	if b, ok := e.docs.get(id); ok {
		return b, nil
	}
	o, err := e.cfg.Documents.Object(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("delivery: load %s: %w", id, err)
	}
	if o.Document == nil {
		return nil, fmt.Errorf("delivery: load %s: deleted: %w", id, store.ErrNotFound)
	}
	e.docs.put(id, o.Document)
	return o.Document, nil
}

// post sends doc to inbox signed with key, and returns the status and the Retry-After wait.
func (e *Engine) post(ctx context.Context, inbox string, key signing.Key, doc []byte) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, e.requestTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(doc))
	if err != nil {
		return 0, 0, fmt.Errorf("delivery: %w", err)
	}
	req.Header.Set("Content-Type", mediatype.Activity)
	req.Header.Set("Accept", mediatype.Activity)
	req.Header.Set("User-Agent", e.cfg.UserAgent)
	client, err := e.client(key)
	if err != nil {
		return 0, 0, fmt.Errorf("delivery: sign: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("delivery: post: %w", err)
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	// Retry-After is honoured on every answer worth retrying (408, 429, 5xx), not only the 429 and
	// 503 that RFC 9110 and RFC 6585 name: its meaning does not depend on the status, and the
	// retry policy only lengthens a wait with it (see Backoff), so a host can slow its own
	// deliveries but never hasten them.
	var asked time.Duration
	if classify(resp.StatusCode, nil) == retryable {
		asked = retryafter.Parse(resp.Header.Get("Retry-After"), e.cfg.Now())
	}
	return resp.StatusCode, asked, nil
}

// requestTimeout is how long one delivery request may take: Config.RequestTimeout, or the
// Timeout of Config.Client when that is shorter.
func (e *Engine) requestTimeout() time.Duration {
	if t := e.cfg.Client.Timeout; t > 0 && t < e.cfg.RequestTimeout {
		return t
	}
	return e.cfg.RequestTimeout
}

// client returns the HTTP client that signs with key: draft-cavage first, RFC 9421 for a host that
// answered 400 or 401 to it, remembering per host what worked (see signing.Transport). One client
// is kept per key, so the memory of each host outlives a delivery.
//
// Its Timeout is left at zero: post's deadline (requestTimeout) already holds Config.Client's. An
// http.Client with a Timeout enforces it, around a RoundTripper it does not know (the signing
// transport), with a goroutine, a timer and a Request.Cancel channel per request, which the
// transport below then watches with a goroutine of its own.
func (e *Engine) client(key signing.Key) (*http.Client, error) {
	e.clientsMu.Lock()
	defer e.clientsMu.Unlock()
	if c, ok := e.clients[key.ID]; ok {
		return c, nil
	}
	tr, err := signing.NewTransport(signing.TransportConfig{Key: key, Base: e.cfg.Client.Transport, Now: e.cfg.Now})
	if err != nil {
		return nil, err
	}
	c := &http.Client{Transport: tr, CheckRedirect: e.cfg.Client.CheckRedirect, Jar: e.cfg.Client.Jar}
	e.clients[key.ID] = c
	return c, nil
}

// record stores the status of the delivery t that just ended. Failing to is logged only. Like the
// completer's flushes, it outlives Run's cancellation: a page's delivery is settled once it ends,
// and its page may be acked, whether or not the record was written.
func (e *Engine) record(ctx context.Context, t task, state store.DeliveryState, attempts int, lastErr string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	e.writeRecords(ctx, e.taskRecord(t, state, attempts, lastErr))
}

// taskRecord builds the status record of the delivery t, at the engine's time.
func (e *Engine) taskRecord(t task, state store.DeliveryState, attempts int, lastErr string) store.DeliveryRecord {
	return newRecord(t.p, t.host, state, attempts, lastErr, e.cfg.Now())
}

// newRecord builds the status record of p's delivery to its inbox, on host (inboxHost of the
// inbox, which the callers have at hand).
func newRecord(p payload, host string, state store.DeliveryState, attempts int, lastErr string, at time.Time) store.DeliveryRecord {
	return store.DeliveryRecord{
		ObjectID: p.Object, ActivityID: p.Activity, Inbox: p.Inbox, Host: host,
		State: state, Attempts: attempts, LastError: lastErr, UpdatedAt: at,
	}
}

// writeRecords writes delivery records in one call, if there are any. Failing to is logged only.
func (e *Engine) writeRecords(ctx context.Context, records ...store.DeliveryRecord) {
	if len(records) == 0 {
		return
	}
	if err := e.cfg.Store.RecordDelivery(ctx, records...); err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: record status", slog.Int("records", len(records)), slog.Any("err", err))
	}
}

// jitter returns a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
