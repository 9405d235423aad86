package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/fedsite/fedsite/store"
)

// ErrClosed is returned by every method called after [Store.Close].
var ErrClosed = errors.New("sqlstore: store is closed")

// SQLite result codes for unique-key violations (SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY).
const (
	sqliteConstraintUnique     = 2067
	sqliteConstraintPrimaryKey = 1555
)

// wrap turns backend signals into the store sentinels and prefixes op. The drivers are recognised
// by their error methods or types, so the package imports none.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, ErrClosed):
	case errors.Is(err, sql.ErrNoRows):
		err = store.ErrNotFound
	case isUniqueViolation(err):
		err = fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

func isUniqueViolation(err error) bool {
	// go-sql-driver/mysql's MySQLError has no method to ask; its message starts with the code,
	// ER_DUP_ENTRY.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fmt.Sprintf("%T", e) == "*mysql.MySQLError" {
			return strings.HasPrefix(e.Error(), "Error 1062 ")
		}
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		c := lite.Code()
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	return false
}

// isDeadlock reports whether the database chose err's transaction as a deadlock's victim, which
// is then worth running again: MySQL's ER_LOCK_DEADLOCK, Postgres's deadlock_detected.
func isDeadlock(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fmt.Sprintf("%T", e) == "*mysql.MySQLError" {
			return strings.HasPrefix(e.Error(), "Error 1213 ")
		}
	}
	var pg interface{ SQLState() string }
	return errors.As(err, &pg) && pg.SQLState() == "40P01"
}

// check returns ErrClosed, wrapped with op, once the store is closed.
func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlstore: %s: %w", op, ErrClosed)
	}
	return nil
}
