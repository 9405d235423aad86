package sqlstore

import (
	"context"

	"github.com/fedsite/fedsite/store"
)

var _ store.ReplyHider = (*Store)(nil)

// hideReply changes the kind of one interaction ($2), from $3 to $1; its seq, and so its place,
// stays.
const hideReply = `UPDATE {interactions} SET kind = $1 WHERE id = $2 AND kind = $3`

// HideReply implements [store.ReplyHider] with one UPDATE of the interaction's kind.
func (s *Store) HideReply(ctx context.Context, id string, hidden bool) error {
	from, to := store.HideKinds(hidden)
	return s.execOne(ctx, "hide reply "+id, s.adminSQL(hideReply), string(to), id, string(from))
}
