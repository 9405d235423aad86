package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Blocks = (*Store)(nil)

// blockQueries are the statements of blocks, but for the prepared blocked (see queueQueries).
type blockQueries struct {
	addBlock, removeBlock, blocksFirst, blocksAfter string
	// followersLike lists the followers whose lower-cased id matches a LIKE pattern: the
	// candidates a block may cover, which AddBlock then checks one by one.
	followersLike string
}

const blockCols = `domain, actor_id, reason, created_by, created_at`

func newBlockQueries(d Dialect, r func(string) string) blockQueries {
	// MySQL's LOWER leaves binary strings as they are, so the id is read as utf8mb4 first; its
	// LIKE escapes with '\' by default, which a literal would spell '\\'.
	like := `lower(follower_id) LIKE $1 ESCAPE '\'`
	if d == MySQL {
		like = `LOWER(CONVERT(follower_id USING utf8mb4)) COLLATE utf8mb4_bin LIKE $1`
	}
	return blockQueries{
		addBlock: r(`INSERT INTO {blocks} (target, ` + blockCols + `) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (target) DO NOTHING`),
		removeBlock:   r(`DELETE FROM {blocks} WHERE target = $1`),
		blocksFirst:   r(`SELECT seq, ` + blockCols + ` FROM {blocks} ORDER BY seq DESC LIMIT $1`),
		blocksAfter:   r(`SELECT seq, ` + blockCols + ` FROM {blocks} WHERE seq < $1 ORDER BY seq DESC LIMIT $2`),
		followersLike: r(`SELECT ` + followerCols + ` FROM {followers} WHERE ` + like),
	}
}

// AddBlock implements [store.Blocks] in one transaction: it inserts the block unless its target is
// there, then removes the followers the block covers. Those are found with one scan of the
// followers table, which lets only the rows whose id contains the domain (or starts with the
// actor's IRI) leave the database; blocks are rare, follower lookups by remote host are not
// indexed.
func (s *Store) AddBlock(ctx context.Context, b store.Block) ([]store.Follower, error) {
	const op = "add block"
	if err := s.check(op); err != nil {
		return nil, err
	}
	b, err := b.Normalized()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now()
	}
	pattern := escapeLike(strings.ToLower(b.ActorID)) + "%"
	if b.Domain != "" {
		pattern = "%" + escapeLike(b.Domain) + "%"
	}
	var removed []store.Follower
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.blocks.addBlock, b.Target(), b.Domain, b.ActorID, b.Reason, b.CreatedBy,
			b.CreatedAt.UnixNano()); err != nil {
			return err
		}
		candidates, err := queryFollowers(ctx, tx, s.q.blocks.followersLike, pattern)
		if err != nil {
			return err
		}
		for _, f := range candidates {
			if !b.Covers(f.FollowerID) {
				continue
			}
			gone, err := s.removeFollower(ctx, tx, f.ActorID, f.FollowerID)
			if err != nil {
				return err
			}
			if gone {
				removed = append(removed, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return removed, nil
}

// escapeLike escapes the LIKE wildcards of s, for the escape character '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// RemoveBlock implements [store.Blocks].
func (s *Store) RemoveBlock(ctx context.Context, target string) error {
	return s.execOne(ctx, "remove block", s.q.blocks.removeBlock, target)
}

// BlocksPage implements [store.Blocks], paged as [Store.InteractionsPage].
func (s *Store) BlocksPage(ctx context.Context, cursor string, limit int) (store.Page[store.Block], error) {
	return seqPage(ctx, s, "blocks page", s.q.blocks.blocksFirst, s.q.blocks.blocksAfter, nil, cursor, limit,
		func(rows *sql.Rows) (store.Block, string, error) {
			var seq, created int64
			var b store.Block
			err := rows.Scan(&seq, &b.Domain, &b.ActorID, &b.Reason, &b.CreatedBy, &created)
			b.CreatedAt = fromNanos(created)
			return b, formatCursor(seq), err
		})
}

// Blocked implements [store.Blocks] with one prepared query, which probes the unique index on the
// target once for each of the IRIs' [store.BlockTargets].
func (s *Store) Blocked(ctx context.Context, iris ...string) ([]bool, error) {
	const op = "blocked"
	if err := s.check(op); err != nil {
		return nil, err
	}
	if len(iris) == 0 {
		return []bool{}, wrap(op, ctx.Err())
	}
	var targets []string
	for _, iri := range iris {
		targets = append(targets, store.BlockTargets(iri)...)
	}
	blocked := make(map[string]bool)
	rows, err := queryJSON(ctx, s.qs.blocked, targets)
	if err := eachRow(rows, err, func(rows *sql.Rows) error {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		blocked[t] = true
		return nil
	}); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]bool, len(iris))
	for i, iri := range iris {
		for _, t := range store.BlockTargets(iri) {
			out[i] = out[i] || blocked[t]
		}
	}
	return out, nil
}
