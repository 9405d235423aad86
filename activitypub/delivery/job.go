package delivery

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fedsite/fedsite/store"
)

// Job kinds, as stored in [store.Job.Kind].
const (
	// KindFanOut is a job that reads one page of an actor's follower inboxes and turns it into a
	// page job.
	KindFanOut = "fedsite.fanout"
	// KindPage is a job that posts an activity to each inbox of one fan-out page, straight from
	// memory, and puts back as deliver jobs only the deliveries that must wait.
	KindPage = "fedsite.page"
	// KindDeliver is a job that posts an activity to one inbox.
	KindDeliver = "fedsite.deliver"
)

// Activity names an activity to deliver. Its document must be stored (see Config.Documents)
// before it is enqueued.
type Activity struct {
	// ID is the activity's IRI, under which its document is stored. Required.
	ID string
	// ObjectID is the object the activity is about, such as the article a Create carries. It keys
	// delivery order and status. Default: ID.
	ObjectID string
	// ActorID is the local actor that sends the activity and signs it. Required.
	ActorID string
	// Inbox is the one inbox to deliver to. Empty: every distinct delivery inbox of the actor's
	// followers, expanded in the background.
	Inbox string
	// Behind lists earlier activities about the same object that this one must not overtake, such
	// as the Create and Updates of an article its Delete follows. A delivery of this activity to an
	// inbox waits while one of them is still queued or retrying there, as its delivery record
	// says, wherever that delivery is: a page under way in memory on any instance, or a job.
	Behind []string
	// JobID, when set, is the id of the job Enqueue makes for the activity, so that a second
	// Enqueue of it while that job is queued or leased, as an operation resumed after a crash
	// may make, fails with an error matching store.ErrConflict instead of queuing it twice.
	// Default: a unique id.
	JobID string
}

// payload is what a job carries, JSON-encoded in [store.Job.Payload].
type payload struct {
	Activity string `json:"a"`
	Object   string `json:"o"`
	Actor    string `json:"u"`
	Inbox    string `json:"i,omitempty"`
	// After is where a fan-out page starts: the last inbox of the previous page.
	After string `json:"after,omitempty"`
	// Page numbers the fan-out pages of an activity from 0.
	Page int `json:"n,omitempty"`
	// Inboxes are the inboxes of a page job.
	Inboxes []string `json:"is,omitempty"`
	// Failed is how many attempts failed before a deliver job put back from a page, and Error
	// why the last of them failed, which the queue's LastError does not hold until the job is
	// retried.
	Failed int    `json:"f,omitempty"`
	Error  string `json:"e,omitempty"`
	// Behind is Activity.Behind.
	Behind []string `json:"b,omitempty"`
}

func fanOutJob(p payload) (store.Job, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return store.Job{}, err
	}
	// Fan-out pages of one object share a key: the pages of a later activity (a Delete) are then
	// read each after the same page of an earlier one (its Create), so that its page job is
	// enqueued after the earlier one (see pageJob).
	return store.Job{Kind: KindFanOut, OrderingKey: "fanout " + p.Object, Payload: b}, nil
}

func pageJob(p payload) (store.Job, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return store.Job{}, err
	}
	// The page jobs of one object with the same number share a key: a later activity's page runs
	// once the earlier one's has settled every delivery, and puts back behind the earlier
	// activity's deliver jobs the deliveries to their hosts (see Engine.openPage).
	return store.Job{Kind: KindPage, OrderingKey: "page " + p.Object + " " + strconv.Itoa(p.Page), Payload: b}, nil
}

func deliverJob(p payload) (store.Job, error) {
	host, err := inboxHost(p.Inbox)
	if err != nil {
		return store.Job{}, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return store.Job{}, err
	}
	// One object's deliveries to one host go one at a time in enqueue order (see pageJob). A
	// delivery that stays behind earlier activities is ordered by their records instead (see
	// Engine.blocked): at the head of the host's key, waiting for one of them, it would keep that
	// activity's own retry behind it for good.
	key := deliverKey(p.Object, host)
	if len(p.Behind) > 0 {
		key = ""
	}
	return store.Job{Kind: KindDeliver, OrderingKey: key, Payload: b}, nil
}

// deliverKey is the ordering key of the deliver jobs of an object to a host.
func deliverKey(object, host string) string {
	return "deliver " + object + hostSuffix(host)
}

// hostSuffix is the end of the ordering key of every deliver job to host, by which the hosts
// page finds and hurries them.
func hostSuffix(host string) string { return " " + host }

// inboxHost returns the host (with port, if any) of an inbox URL.
func inboxHost(inbox string) (string, error) {
	if !utf8.ValidString(inbox) {
		// JSON would replace the bad bytes, and the job would name another inbox.
		return "", fmt.Errorf("delivery: inbox %q: %w", inbox, errBadInbox)
	}
	u, err := url.Parse(inbox)
	if err != nil {
		return "", fmt.Errorf("delivery: inbox %q: %w", inbox, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("delivery: inbox %q: %w", inbox, errBadInbox)
	}
	return strings.ToLower(u.Host), nil
}

// The number of failed attempts of a delivery is kept at the start of the reason given to Retry
// and DeadLetter, "[3] …", rather than taken from Job.Attempts: a job put back because its host's
// circuit breaker is open, or because this process shut down, is retried without having failed.
func reason(failed int, msg string) string {
	return "[" + strconv.Itoa(failed) + "] " + msg
}

// failures returns the number of failed attempts of a task (see reason): none for a page's
// delivery, the count a deliver job put back from a page carries until it is retried.
func failures(t task) int {
	l := t.l
	if t.page != nil {
		return 0
	}
	if l.LastError == "" && l.Attempts == 0 {
		return t.p.Failed
	}
	s, ok := strings.CutPrefix(l.LastError, "[")
	if !ok {
		return l.Attempts
	}
	n, _, ok := strings.Cut(s, "]")
	if !ok {
		return l.Attempts
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 {
		return l.Attempts
	}
	return v
}

// lastMessage returns the reason without its count.
func lastMessage(l store.Lease) string {
	if s, ok := strings.CutPrefix(l.LastError, "["); ok {
		if n, m, ok := strings.Cut(s, "] "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return m
			}
		}
	}
	return l.LastError
}
