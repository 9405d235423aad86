package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var objectTests = []test{
	{"PutAndGet", testPutAndGet},
	{"PutReplaces", testPutReplaces},
	{"DeleteLeavesTombstone", testDeleteTombstone},
	{"PutAfterDeleteConflicts", testPutAfterDelete},
}

var outboxTests = []test{
	{"AppendStoresAll", testAppendOutbox},
	{"AppendDuplicateConflicts", testAppendDuplicate},
	{"AppendIsAllOrNothing", testAppendAtomic},
	{"PageNewestFirst", testOutboxPage},
	{"PageBadCursor", testOutboxBadCursor},
	{"DeleteTakesActivitiesOut", testDeleteLeavesOutbox},
	{"AppendAboutDeletedConflicts", testAppendAboutDeleted},
}

var seenTests = []test{
	{"MarkOnce", testMarkOnce},
	{"ConcurrentMarkOneWins", testMarkConcurrent},
	{"Expires", testMarkExpires},
	{"Forget", testForgetSeen},
}

var actorCacheTests = []test{
	{"PutAndGet", testRemotePutGet},
	{"PutReplacesKeys", testRemoteReplace},
}

var keyTests = []test{
	{"CreateAndGet", testKeyCreateGet},
	{"CreateConflicts", testKeyConflict},
	{"ConcurrentCreateOneWins", testKeyConcurrent},
}

var auditTests = []test{
	{"AppendAndPage", testAudit},
	{"AppendSetsTime", testAuditTime},
	{"PageBadCursor", testAuditBadCursor},
}

func object(actor, typ string, n int) store.Object {
	id := fmt.Sprintf("%s/objects/%d", actor, n)
	return store.Object{
		ID:      id,
		ActorID: actor,
		Type:    typ,
		// Odd spacing and key order: adapters must hand back the bytes they were given.
		Document:  fmt.Appendf(nil, `{"type":"%s", "id":"%s","content":"<p>caf\u00e9 n°%d</p>"}`, typ, id, n),
		Published: base.Add(time.Duration(n) * time.Second),
	}
}

func sameObject(got, want store.Object) bool {
	return got.ID == want.ID && got.ActorID == want.ActorID && got.Type == want.Type && got.ObjectID == want.ObjectID &&
		bytes.Equal(got.Document, want.Document) && sameTime(got.Published, want.Published) && sameTime(got.Deleted, want.Deleted)
}

func testPutAndGet(t *testing.T, s store.Site) {
	want := object(actorA, "Article", 1)
	must(t, "PutObject", s.PutObject(ctx(t), want))
	got, err := s.Object(ctx(t), want.ID)
	must(t, "Object", err)
	if !sameObject(got, want) {
		t.Errorf("Object = %+v\nwant %+v (document byte for byte)", got, want)
	}
	if !got.Deleted.IsZero() {
		t.Errorf("Object.Deleted = %v, want zero for a live object", got.Deleted)
	}
	_, err = s.Object(ctx(t), actorA+"/objects/unknown")
	wantErr(t, "Object(unknown)", err, store.ErrNotFound)
	// An activity keeps the id of the object it is about.
	act := activity(actorA, 1)
	must(t, "PutObject(activity)", s.PutObject(ctx(t), act))
	got, err = s.Object(ctx(t), act.ID)
	must(t, "Object(activity)", err)
	if !sameObject(got, act) {
		t.Errorf("Object = %+v\nwant %+v (ObjectID kept)", got, act)
	}
}

func testPutReplaces(t *testing.T, s store.Site) {
	first := object(actorA, "Article", 1)
	must(t, "PutObject", s.PutObject(ctx(t), first))
	edit := first
	edit.Document = []byte(`{"id":"` + first.ID + `","type":"Article","content":"corrected"}`)
	must(t, "PutObject(edit)", s.PutObject(ctx(t), edit))
	got, err := s.Object(ctx(t), first.ID)
	must(t, "Object", err)
	if !bytes.Equal(got.Document, edit.Document) {
		t.Errorf("after an edit, Document = %s, want %s", got.Document, edit.Document)
	}
}

func testDeleteTombstone(t *testing.T, s store.Site) {
	o := object(actorA, "Note", 2)
	must(t, "PutObject", s.PutObject(ctx(t), o))
	at := base.Add(time.Hour)
	must(t, "DeleteObject", s.DeleteObject(ctx(t), o.ID, at))
	got, err := s.Object(ctx(t), o.ID)
	must(t, "Object(deleted)", err)
	if !sameTime(got.Deleted, at) {
		t.Errorf("Deleted = %v, want %v", got.Deleted, at)
	}
	if len(got.Document) != 0 {
		t.Errorf("Document of a tombstone = %s, want none", got.Document)
	}
	if got.ID != o.ID || got.Type != o.Type || got.ActorID != o.ActorID || !sameTime(got.Published, o.Published) {
		t.Errorf("tombstone = %+v, want id, type, actor and published kept from %+v", got, o)
	}
	wantErr(t, "DeleteObject(unknown)", s.DeleteObject(ctx(t), actorA+"/objects/unknown", at), store.ErrNotFound)
}

func testPutAfterDelete(t *testing.T, s store.Site) {
	o := object(actorA, "Article", 3)
	must(t, "PutObject", s.PutObject(ctx(t), o))
	must(t, "DeleteObject", s.DeleteObject(ctx(t), o.ID, base))
	wantErr(t, "PutObject(deleted id)", s.PutObject(ctx(t), o), store.ErrConflict)
	got, err := s.Object(ctx(t), o.ID)
	must(t, "Object", err)
	if got.Deleted.IsZero() || len(got.Document) != 0 {
		t.Errorf("after a refused put, Object = %+v, want the tombstone unchanged", got)
	}
}

// activity is an activity about object(actor, …, n).
func activity(actor string, n int) store.Object {
	a := object(actor, "Create", 1000+n)
	a.ID = fmt.Sprintf("%s/activities/%d", actor, n)
	a.ObjectID = object(actor, "Note", n).ID
	return a
}

func testAppendOutbox(t *testing.T, s store.Site) {
	note := object(actorA, "Note", 1)
	act := activity(actorA, 1)
	must(t, "AppendOutbox", s.AppendOutbox(ctx(t), act, note))
	for _, want := range []store.Object{act, note} {
		got, err := s.Object(ctx(t), want.ID)
		must(t, "Object", err)
		if !sameObject(got, want) {
			t.Errorf("Object(%s) = %+v, want %+v", want.ID, got, want)
		}
	}
	// An activity that carries nothing, such as an Update of a profile, is fine too.
	must(t, "AppendOutbox(no objects)", s.AppendOutbox(ctx(t), activity(actorA, 2)))
	n, err := store.CountOutbox(ctx(t), s, actorA)
	wantCount(t, "CountOutbox", n, err, 2)
}

func testAppendDuplicate(t *testing.T, s store.Site) {
	note := object(actorA, "Note", 1)
	act := activity(actorA, 1)
	must(t, "AppendOutbox", s.AppendOutbox(ctx(t), act, note))
	changed := note
	changed.Document = []byte(`{"changed":true}`)
	other := object(actorA, "Note", 2)
	wantErr(t, "AppendOutbox(same activity id)", s.AppendOutbox(ctx(t), act, changed, other), store.ErrConflict)
	got, err := s.Object(ctx(t), note.ID)
	must(t, "Object", err)
	if !bytes.Equal(got.Document, note.Document) {
		t.Errorf("a refused append changed object %s to %s", note.ID, got.Document)
	}
	_, err = s.Object(ctx(t), other.ID)
	wantErr(t, "Object(carried by a refused append)", err, store.ErrNotFound)
	n, err := store.CountOutbox(ctx(t), s, actorA)
	wantCount(t, "CountOutbox after a refused append", n, err, 1)
}

func testAppendAtomic(t *testing.T, s store.Site) {
	gone := object(actorA, "Note", 9)
	must(t, "PutObject", s.PutObject(ctx(t), gone))
	must(t, "DeleteObject", s.DeleteObject(ctx(t), gone.ID, base))
	fresh := object(actorA, "Note", 10)
	act := activity(actorA, 1)
	// The second object is a tombstone, so the whole append must fail and leave nothing behind.
	wantErr(t, "AppendOutbox(carrying a deleted id)", s.AppendOutbox(ctx(t), act, fresh, gone), store.ErrConflict)
	_, err := s.Object(ctx(t), act.ID)
	wantErr(t, "Object(activity of a failed append)", err, store.ErrNotFound)
	_, err = s.Object(ctx(t), fresh.ID)
	wantErr(t, "Object(object of a failed append)", err, store.ErrNotFound)
	n, err := store.CountOutbox(ctx(t), s, actorA)
	wantCount(t, "CountOutbox after a failed append", n, err, 0)
	p, err := s.OutboxPage(ctx(t), actorA, "", 10)
	must(t, "OutboxPage", err)
	if len(p.Items) != 0 {
		t.Errorf("OutboxPage after a failed append lists %d activities, want 0", len(p.Items))
	}
	// The same activity can then be appended without the tombstone.
	must(t, "AppendOutbox(retry)", s.AppendOutbox(ctx(t), act, fresh))
}

func testOutboxPage(t *testing.T, s store.Site) {
	var want []store.Object
	for i := range 11 {
		a := activity(actorA, i)
		must(t, "AppendOutbox", s.AppendOutbox(ctx(t), a, object(actorA, "Note", i)))
		want = append([]store.Object{a}, want...)
		must(t, "AppendOutbox(other actor)", s.AppendOutbox(ctx(t), activity(actorB, i)))
	}
	for _, limit := range []int{1, 4, 11, 50} {
		got := walkPages(t, "OutboxPage", limit, 100, func(cursor string) (store.Page[store.Object], error) {
			return s.OutboxPage(ctx(t), actorA, cursor, limit)
		})
		if !slices.EqualFunc(got, want, sameObject) {
			t.Errorf("limit %d: outbox = %v, want newest first %v", limit, ids(got), ids(want))
		}
	}
	n, err := store.CountOutbox(ctx(t), s, actorB)
	wantCount(t, "CountOutbox("+actorB+")", n, err, 11)
}

func ids(os []store.Object) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// testDeleteLeavesOutbox deletes a post that one actor created and another boosted: both
// activities leave their outboxes, pages and counts alike, and stay stored under their ids.
func testDeleteLeavesOutbox(t *testing.T, s store.Site) {
	post, kept := object(actorA, "Article", 1), object(actorA, "Article", 2)
	create, createKept := activity(actorA, 1), activity(actorA, 2)
	boost := object(actorB, "Announce", 1)
	boost.ID = actorB + "/activities/boost-1"
	boost.ObjectID = post.ID
	must(t, "AppendOutbox", s.AppendOutbox(ctx(t), create, post))
	must(t, "AppendOutbox", s.AppendOutbox(ctx(t), createKept, kept))
	must(t, "AppendOutbox(boost)", s.AppendOutbox(ctx(t), boost))
	at := base.Add(time.Hour)
	for range 2 { // deleting twice changes nothing more
		must(t, "DeleteObject", s.DeleteObject(ctx(t), post.ID, at))
		for _, c := range []struct {
			actor string
			want  []store.Object
		}{{actorA, []store.Object{createKept}}, {actorB, nil}} {
			p, err := s.OutboxPage(ctx(t), c.actor, "", 10)
			must(t, "OutboxPage", err)
			if !slices.EqualFunc(p.Items, c.want, sameObject) {
				t.Errorf("outbox of %s after the delete = %v, want %v", c.actor, ids(p.Items), ids(c.want))
			}
			n, err := store.CountOutbox(ctx(t), s, c.actor)
			must(t, "CountOutbox", err)
			if n != len(c.want) {
				t.Errorf("CountOutbox(%s) after the delete = %d, want %d", c.actor, n, len(c.want))
			}
		}
	}
	for _, want := range []store.Object{create, boost} {
		got, err := s.Object(ctx(t), want.ID)
		must(t, "Object", err)
		if !sameObject(got, want) {
			t.Errorf("Object(%s) after the delete = %+v, want it kept %+v", want.ID, got, want)
		}
	}
	got, err := s.Object(ctx(t), post.ID)
	must(t, "Object(deleted post)", err)
	if !sameTime(got.Deleted, at) {
		t.Errorf("deleted post = %+v, want a tombstone deleted at %v", got, at)
	}
}

// testAppendAboutDeleted appends a boost of a deleted post, which would never leave the outbox.
func testAppendAboutDeleted(t *testing.T, s store.Site) {
	post := object(actorA, "Article", 1)
	must(t, "PutObject", s.PutObject(ctx(t), post))
	must(t, "DeleteObject", s.DeleteObject(ctx(t), post.ID, base))
	boost := activity(actorB, 1)
	boost.Type, boost.ObjectID = "Announce", post.ID
	wantErr(t, "AppendOutbox(about a deleted object)", s.AppendOutbox(ctx(t), boost), store.ErrConflict)
	_, err := s.Object(ctx(t), boost.ID)
	wantErr(t, "Object(activity of a refused append)", err, store.ErrNotFound)
	n, err := store.CountOutbox(ctx(t), s, actorB)
	wantCount(t, "CountOutbox after a refused append", n, err, 0)
}

func testOutboxBadCursor(t *testing.T, s store.Site) {
	must(t, "AppendOutbox", s.AppendOutbox(ctx(t), activity(actorA, 1)))
	_, err := s.OutboxPage(ctx(t), actorA, "%%not a cursor%%", 10)
	wantErr(t, "OutboxPage(forged cursor)", err, store.ErrBadCursor)
}

func testMarkOnce(t *testing.T, s store.Site) {
	steps := []struct {
		id   string
		want bool
	}{
		{"https://a.example/activities/1", true},
		{"https://a.example/activities/1", false},
		{"https://a.example/activities/2", true},
		{"https://a.example/activities/1", false},
	}
	for _, st := range steps {
		got, err := s.MarkSeen(ctx(t), st.id, time.Hour)
		must(t, "MarkSeen", err)
		if got != st.want {
			t.Errorf("MarkSeen(%s) = %v, want %v", st.id, got, st.want)
		}
	}
}

// testMarkConcurrent holds MarkSeen to one winner per id over many rounds. Each round's callers
// wait at a barrier and start together, so a check-then-set adapter loses the race even on two
// CPUs, where goroutines started one by one mostly run one after another.
func testMarkConcurrent(t *testing.T, s store.Site) {
	const rounds, n = 50, 16
	for round := range rounds {
		id := fmt.Sprintf("https://a.example/activities/race-%d", round)
		var wins atomic.Int32
		var ready, wg sync.WaitGroup
		start := make(chan struct{})
		ready.Add(n)
		for range n {
			wg.Go(func() {
				ready.Done()
				<-start
				ok, err := s.MarkSeen(ctx(t), id, time.Hour)
				if err != nil {
					t.Errorf("MarkSeen: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		ready.Wait()
		close(start)
		wg.Wait()
		if w := wins.Load(); w != 1 {
			t.Fatalf("round %d: %d concurrent MarkSeen calls with one id: %d reported true, want exactly 1", round, n, w)
		}
	}
}

func testMarkExpires(t *testing.T, s store.Site) {
	const ttl = 200 * time.Millisecond
	id := "https://a.example/activities/short"
	ok, err := s.MarkSeen(ctx(t), id, ttl)
	must(t, "MarkSeen", err)
	if !ok {
		t.Fatalf("MarkSeen(new id) = false, want true")
	}
	ok, err = s.MarkSeen(ctx(t), id, ttl)
	must(t, "MarkSeen", err)
	if ok {
		t.Errorf("MarkSeen(id within ttl) = true, want false")
	}
	time.Sleep(ttl + 150*time.Millisecond)
	ok, err = s.MarkSeen(ctx(t), id, ttl)
	must(t, "MarkSeen", err)
	if !ok {
		t.Errorf("MarkSeen(id after ttl %v passed) = false, want true: entries must expire", ttl)
	}
}

func testForgetSeen(t *testing.T, s store.Site) {
	id := "https://a.example/activities/failed"
	must(t, "ForgetSeen(unknown id)", s.ForgetSeen(ctx(t), id))
	ok, err := s.MarkSeen(ctx(t), id, time.Hour)
	must(t, "MarkSeen", err)
	if !ok {
		t.Fatalf("MarkSeen(new id) = false, want true")
	}
	must(t, "ForgetSeen", s.ForgetSeen(ctx(t), id))
	ok, err = s.MarkSeen(ctx(t), id, time.Hour)
	must(t, "MarkSeen", err)
	if !ok {
		t.Errorf("MarkSeen(forgotten id) = false, want true: a forgotten id is new again")
	}
	other := "https://a.example/activities/kept"
	_, err = s.MarkSeen(ctx(t), other, time.Hour)
	must(t, "MarkSeen", err)
	must(t, "ForgetSeen", s.ForgetSeen(ctx(t), id))
	if ok, err := s.MarkSeen(ctx(t), other, time.Hour); err != nil || ok {
		t.Errorf("MarkSeen(other id) after forgetting another = %v, %v; want false: ForgetSeen removes only its id", ok, err)
	}
}

func remoteActor(host string, keys ...string) store.RemoteActor {
	id := "https://" + host + "/users/alice"
	a := store.RemoteActor{
		ID:          id,
		Inbox:       id + "/inbox",
		SharedInbox: "https://" + host + "/inbox",
		Document:    []byte(`{"id":"` + id + `", "type":"Person"}`),
		FetchedAt:   base,
	}
	for _, k := range keys {
		a.Keys = append(a.Keys, store.RemoteKey{ID: id + "#" + k, PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\n" + k + "\n-----END PUBLIC KEY-----\n"})
	}
	return a
}

func sameRemote(got, want store.RemoteActor) bool {
	sortKeys := func(ks []store.RemoteKey) []store.RemoteKey {
		ks = slices.Clone(ks)
		slices.SortFunc(ks, func(a, b store.RemoteKey) int {
			switch {
			case a.ID < b.ID:
				return -1
			case a.ID > b.ID:
				return 1
			}
			return 0
		})
		return ks
	}
	return got.ID == want.ID && got.Inbox == want.Inbox && got.SharedInbox == want.SharedInbox &&
		bytes.Equal(got.Document, want.Document) && sameTime(got.FetchedAt, want.FetchedAt) &&
		slices.Equal(sortKeys(got.Keys), sortKeys(want.Keys))
}

func testRemotePutGet(t *testing.T, s store.Site) {
	want := remoteActor("a.example", "main-key", "ed25519-key")
	must(t, "PutRemoteActor", s.PutRemoteActor(ctx(t), want))
	must(t, "PutRemoteActor(other)", s.PutRemoteActor(ctx(t), remoteActor("b.example", "main-key")))
	got, err := s.RemoteActor(ctx(t), want.ID)
	must(t, "RemoteActor", err)
	if !sameRemote(got, want) {
		t.Errorf("RemoteActor = %+v\nwant %+v", got, want)
	}
	for _, k := range want.Keys {
		got, err := s.RemoteActorByKey(ctx(t), k.ID)
		must(t, "RemoteActorByKey", err)
		if !sameRemote(got, want) {
			t.Errorf("RemoteActorByKey(%s) = %+v\nwant %+v", k.ID, got, want)
		}
	}
	_, err = s.RemoteActor(ctx(t), "https://c.example/users/nobody")
	wantErr(t, "RemoteActor(unknown)", err, store.ErrNotFound)
	_, err = s.RemoteActorByKey(ctx(t), "https://c.example/users/nobody#main-key")
	wantErr(t, "RemoteActorByKey(unknown)", err, store.ErrNotFound)
}

func testRemoteReplace(t *testing.T, s store.Site) {
	old := remoteActor("a.example", "main-key", "old-key")
	must(t, "PutRemoteActor", s.PutRemoteActor(ctx(t), old))
	// The actor rotated its keys: old-key is gone, new-key is new.
	want := remoteActor("a.example", "main-key", "new-key")
	want.Inbox = "https://a.example/users/alice/inbox2"
	want.Document = []byte(`{"id":"` + want.ID + `","type":"Person","name":"Alice"}`)
	want.FetchedAt = base.Add(time.Hour)
	must(t, "PutRemoteActor(replace)", s.PutRemoteActor(ctx(t), want))
	got, err := s.RemoteActor(ctx(t), want.ID)
	must(t, "RemoteActor", err)
	if !sameRemote(got, want) {
		t.Errorf("after replacing, RemoteActor = %+v\nwant %+v", got, want)
	}
	_, err = s.RemoteActorByKey(ctx(t), old.Keys[1].ID)
	wantErr(t, "RemoteActorByKey(key dropped by the replacement)", err, store.ErrNotFound)
	for _, k := range want.Keys {
		got, err := s.RemoteActorByKey(ctx(t), k.ID)
		must(t, "RemoteActorByKey", err)
		if got.ID != want.ID {
			t.Errorf("RemoteActorByKey(%s) = %s, want %s", k.ID, got.ID, want.ID)
		}
	}
}

func keyPair(actor, name string) store.KeyPair {
	return store.KeyPair{
		ActorID:       actor,
		Name:          name,
		PrivateKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\n" + actor + name + "\n-----END PRIVATE KEY-----\n"),
		CreatedAt:     base,
	}
}

func sameKey(got, want store.KeyPair) bool {
	return got.ActorID == want.ActorID && got.Name == want.Name &&
		bytes.Equal(got.PrivateKeyPEM, want.PrivateKeyPEM) && sameTime(got.CreatedAt, want.CreatedAt)
}

func testKeyCreateGet(t *testing.T, s store.Site) {
	_, err := s.KeyPair(ctx(t), actorA, "main-key")
	wantErr(t, "KeyPair(before creation)", err, store.ErrNotFound)
	want := keyPair(actorA, "main-key")
	must(t, "CreateKeyPair", s.CreateKeyPair(ctx(t), want))
	must(t, "CreateKeyPair(other name)", s.CreateKeyPair(ctx(t), keyPair(actorA, "ed25519-key")))
	must(t, "CreateKeyPair(other actor)", s.CreateKeyPair(ctx(t), keyPair(actorB, "main-key")))
	got, err := s.KeyPair(ctx(t), actorA, "main-key")
	must(t, "KeyPair", err)
	if !sameKey(got, want) {
		t.Errorf("KeyPair = %v, want %v (PEM byte for byte)", got, want)
	}
}

func testKeyConflict(t *testing.T, s store.Site) {
	first := keyPair(actorA, "main-key")
	must(t, "CreateKeyPair", s.CreateKeyPair(ctx(t), first))
	second := first
	second.PrivateKeyPEM = []byte("another key")
	wantErr(t, "CreateKeyPair(existing name)", s.CreateKeyPair(ctx(t), second), store.ErrConflict)
	got, err := s.KeyPair(ctx(t), actorA, "main-key")
	must(t, "KeyPair", err)
	if !sameKey(got, first) {
		t.Errorf("after a refused create, KeyPair = %v, want the first key kept", got)
	}
}

func testKeyConcurrent(t *testing.T, s store.Site) {
	const n = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := keyPair(actorA, "main-key")
			k.PrivateKeyPEM = fmt.Appendf(nil, "key %d", i)
			err := s.CreateKeyPair(ctx(t), k)
			switch {
			case err == nil:
				wins.Add(1)
			case !isConflict(err):
				t.Errorf("concurrent CreateKeyPair: error = %v, want nil or one matching store.ErrConflict", err)
			}
		})
	}
	wg.Wait()
	if w := wins.Load(); w != 1 {
		t.Errorf("%d racing CreateKeyPair calls: %d succeeded, want exactly 1", n, w)
	}
}

func testAudit(t *testing.T, s store.Site) {
	a := capability[store.Audit](t, s)
	var want []store.AuditEntry
	for i := range 9 {
		e := store.AuditEntry{
			Time:   base.Add(msec(i)),
			Actor:  fmt.Sprintf("https://h%d.example/users/u", i),
			User:   []string{"", "editor-1", "sso|42"}[i%3],
			Action: []string{"follow", "unfollow", "publish"}[i%3],
			Object: actorA,
			Detail: fmt.Sprintf("entry %d", i),
		}
		must(t, "AppendAudit", a.AppendAudit(ctx(t), e))
		want = append([]store.AuditEntry{e}, want...)
	}
	for _, limit := range []int{1, 4, 9, 20} {
		got := walkPages(t, "AuditPage", limit, 100, func(cursor string) (store.Page[store.AuditEntry], error) {
			return a.AuditPage(ctx(t), cursor, limit)
		})
		if !slices.EqualFunc(got, want, sameAudit) {
			t.Errorf("limit %d: audit = %+v\nwant newest first %+v", limit, got, want)
		}
	}
}

func sameAudit(a, b store.AuditEntry) bool {
	return sameTime(a.Time, b.Time) && a.Actor == b.Actor && a.User == b.User && a.Action == b.Action && a.Object == b.Object && a.Detail == b.Detail
}

func testAuditTime(t *testing.T, s store.Site) {
	a := capability[store.Audit](t, s)
	must(t, "AppendAudit", a.AppendAudit(ctx(t), store.AuditEntry{Action: "publish", Object: actorA}))
	p, err := a.AuditPage(ctx(t), "", 10)
	must(t, "AuditPage", err)
	if len(p.Items) != 1 || !recent(p.Items[0].Time) {
		t.Errorf("AuditPage = %+v, want one entry with Time set to about now", p.Items)
	}
}

func testAuditBadCursor(t *testing.T, s store.Site) {
	a := capability[store.Audit](t, s)
	must(t, "AppendAudit", a.AppendAudit(ctx(t), store.AuditEntry{Action: "publish"}))
	_, err := a.AuditPage(ctx(t), "%%not a cursor%%", 10)
	wantErr(t, "AuditPage(forged cursor)", err, store.ErrBadCursor)
}
