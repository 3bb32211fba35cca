package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ErrConflict marks a statement issued by someone else in the meantime.
var ErrConflict = errors.New("store: issued meanwhile")

// stmtVersion is the value version byte of an issued statement.
const stmtVersion = 1

// stmtKey is the key of version v of a customer's statement for month;
// version 0 holds the latest version's number.
func stmtKey(customer, month string, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(customerPrefix(tStmt, customer), month...), v)
}

// IssueStatement stores the next version of a customer's statement for a
// month ("YYYY-MM"): the caller's encoding of it, kept as given and never
// changed. seen is the latest version the caller read (0: none); if
// another was issued since, nothing is written and the error wraps
// ErrConflict. Every version stays. Contract-end purges keep them.
func (s *Store) IssueStatement(ctx context.Context, customer, month string, seen int, body []byte) (int, error) {
	if len(month) != len("2006-01") || len(customer) > maxKeyString {
		return 0, fmt.Errorf("%w: statement %q %q", ErrInvalid, customer, month)
	}
	var version int
	err := s.do(ctx, func(w *writer) error {
		head := stmtKey(customer, month, 0)
		v, ok, err := w.get(head)
		if err != nil {
			return err
		}
		latest := 0
		if ok {
			if len(v) != 2 {
				return fmt.Errorf("statement head %x: %w", head, ErrCorrupt)
			}
			latest = int(binary.BigEndian.Uint16(v))
		}
		if latest != seen {
			return fmt.Errorf("%w: %s %s is at version %d, not %d", ErrConflict, customer, month, latest, seen)
		}
		if latest == 1<<16-1 {
			return fmt.Errorf("%w: %s %s has too many versions", ErrInvalid, customer, month)
		}
		version = latest + 1
		if err := w.set(stmtKey(customer, month, uint16(version)), append([]byte{stmtVersion}, body...)); err != nil {
			return err
		}
		return w.set(head, binary.BigEndian.AppendUint16(nil, uint16(version)))
	})
	return version, err
}

// IssuedStatements returns every issued version of a customer's statement
// for a month, the first first; none if it was never issued.
func (s *Store) IssuedStatements(customer, month string) ([][]byte, error) {
	lower, upper := stmtKey(customer, month, 1), prefixEnd(append(customerPrefix(tStmt, customer), month...))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if len(it.Key()) != len(lower) || len(v) == 0 || v[0] != stmtVersion {
			it.Close()
			return nil, fmt.Errorf("statement %x: %w", it.Key(), ErrCorrupt)
		}
		out = append(out, append([]byte(nil), v[1:]...))
	}
	return out, it.Close()
}
