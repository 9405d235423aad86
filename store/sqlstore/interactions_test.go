package sqlstore

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestMigrationOnePerActor brings a database at version 5, where an actor's repeated Likes and
// Announces were kept under each id, to the current version: the oldest of each actor, object and
// kind stays, replies all stay, and a further repeat is dropped.
func TestMigrationOnePerActor(t *testing.T) {
	const a, b = "https://news.example/a", "https://news.example/b"
	const x, y = "https://x.example/users/x", "https://y.example/users/y"
	rows := []store.Interaction{
		{ID: x + "/like/1", Kind: store.InteractionLike, ObjectID: a, ActorID: x},
		{ID: x + "/like/2", Kind: store.InteractionLike, ObjectID: a, ActorID: x},
		{ID: x + "/like/3", Kind: store.InteractionLike, ObjectID: a, ActorID: x},
		{ID: y + "/like/1", Kind: store.InteractionLike, ObjectID: a, ActorID: y},
		{ID: x + "/like/4", Kind: store.InteractionLike, ObjectID: b, ActorID: x},
		{ID: x + "/announce/1", Kind: store.InteractionAnnounce, ObjectID: a, ActorID: x},
		{ID: x + "/announce/2", Kind: store.InteractionAnnounce, ObjectID: a, ActorID: x},
		{ID: x + "/reply/1", Kind: store.InteractionReply, ObjectID: a, ActorID: x, Document: []byte(`{"content":"1"}`)},
		{ID: x + "/reply/2", Kind: store.InteractionReply, ObjectID: a, ActorID: x, Document: []byte(`{"content":"2"}`)},
	}
	dropped := map[string]bool{x + "/like/2": true, x + "/like/3": true, x + "/announce/2": true}
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := t.Context()
			v5 := atVersion(t, be, 5)
			// The insert as version 5 wrote it: later versions add columns.
			add := rewrite(v5.dialect, v5.schema, `INSERT INTO {interactions} (id, kind, object_id, actor_id, document, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`)
			// Reverse seq order against CreatedAt: the migration keeps the first stored, not the
			// earliest CreatedAt.
			for n, i := range rows {
				if _, err := v5.db.ExecContext(ctx, add, i.ID, string(i.Kind), i.ObjectID, i.ActorID,
					nonNilBytes(i.Document), time.Unix(int64(1000-n), 0).UnixNano()); err != nil {
					t.Fatal(err)
				}
			}

			up, err := Open(ctx, Config{DB: v5.db, Dialect: v5.dialect, Schema: v5.schema})
			if err != nil {
				t.Fatal(err)
			}
			defer up.Close()
			if _, v := schemaState(t, up); v != latestVersion() {
				t.Errorf("version %d after Open, want %d", v, latestVersion())
			}
			for _, i := range rows {
				_, err := up.Interaction(ctx, i.ID)
				if dropped[i.ID] && !errors.Is(err, store.ErrNotFound) || !dropped[i.ID] && err != nil {
					t.Errorf("Interaction(%s) error = %v, want it dropped: %t", i.ID, err, dropped[i.ID])
				}
			}
			tests := []struct {
				object string
				want   map[store.InteractionKind]int
			}{
				{a, map[store.InteractionKind]int{store.InteractionLike: 2, store.InteractionAnnounce: 1, store.InteractionReply: 2}},
				{b, map[store.InteractionKind]int{store.InteractionLike: 1}},
			}
			for _, tt := range tests {
				got, err := up.CountInteractions(ctx, tt.object)
				if err != nil || !maps.Equal(got, tt.want) {
					t.Errorf("CountInteractions(%s) = %v, %v; want %v", tt.object, got, err, tt.want)
				}
			}
			// The unique index now drops a further repeat.
			added, err := up.AddInteraction(ctx, store.Interaction{ID: x + "/like/5", Kind: store.InteractionLike, ObjectID: a, ActorID: x})
			if err != nil || added {
				t.Fatalf("AddInteraction(a further repeat) = %t, %v; want false, nil", added, err)
			}
			got, err := up.InteractionBy(ctx, x, a, store.InteractionLike, "")
			if err != nil || got.ID != x+"/like/1" {
				t.Errorf("InteractionBy after a repeat = %s, %v; want %s", got.ID, err, x+"/like/1")
			}
			if n, err := up.CountInteractions(ctx, a); err != nil || n[store.InteractionLike] != 2 {
				t.Errorf("likes of %s after a repeat = %v, %v; want 2", a, n, err)
			}
		})
	}
}

// TestInteractionByPlan checks that the lookup of an actor's Like reads the unique index rather
// than scanning the object's interactions.
func TestInteractionByPlan(t *testing.T) {
	s := newSQLite(t)
	rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+s.q.social.interactionBy, "o", "a", "like", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += fmt.Sprintln(detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "interactions_one_per_actor"; !strings.Contains(plan, want) {
		t.Errorf("plan:\n%s want it to use %s", plan, want)
	}
}
