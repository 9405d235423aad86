package sqlstore

import (
	"context"

	"github.com/fedsite/fedsite/store"
)

// hideReply changes the kind of one interaction, from $2 to $3; its seq, and so its place, stays.
const hideReply = `UPDATE {interactions} SET kind = $3 WHERE id = $1 AND kind = $2`

// HideReply implements [store.Interactions] with one UPDATE of the interaction's kind.
func (s *Store) HideReply(ctx context.Context, id string, hidden bool) error {
	from, to := store.HideKinds(hidden)
	return s.execOne(ctx, "hide reply "+id, s.adminSQL(hideReply), id, string(from), string(to))
}
