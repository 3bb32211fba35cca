package store

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// DefaultValidity is the default of Options.Validity: an hour inside the
// 48-hour ceiling of the service terms (Art. 5-3), so the final report of
// a message the scan expires leaves well within it.
const DefaultValidity = 47 * time.Hour

// ExpiredResult is the result of a message closed for want of a final
// result before its deadline (set at acceptance, at most acceptance +
// Options.Validity; Art. 5-3).
var ExpiredResult = message.Result{
	Source: message.SourceRelay, Code: "expired", Reason: "no final result within the validity period from acceptance",
}

// ExpireDue closes as expired up to limit messages, in any state that is not
// final, whose deadline is at or before now, in one synced batch, and
// returns their ids. Call it again while it returns limit ids. Due entries
// of messages already final (left by an older deadline rule) are removed.
func (s *Store) ExpireDue(ctx context.Context, now time.Time, limit int) ([]message.ID, error) {
	return s.ExpireBefore(ctx, now, now, limit)
}

// ExpireBefore is ExpireDue for the messages whose deadline is at or
// before due, closed with final time now: a scan that runs every period
// passes due = now + period, so no message is final after its deadline.
//
// The messages of the due window (dueWindow), whose keys are not written
// yet, are taken from it first, and the due table read after: a message
// leaves the window only once its key is visible in Pebble, so none is
// missed.
func (s *Store) ExpireBefore(ctx context.Context, due, now time.Time, limit int) ([]message.ID, error) {
	win, err := s.windowIDs(ctx, due.UnixMilli())
	if err != nil {
		return nil, err
	}
	keys, err := s.keysUntil(tDue, due, limit)
	if err != nil || len(keys)+len(win) == 0 {
		return nil, err
	}
	var expired []message.ID
	var moved map[message.ID]string // by the window's part: the key its move removed
	err = s.do(ctx, func(w *writer) error {
		expired = expired[:0]
		moved = nil
		for _, id := range win {
			if len(expired) == limit {
				break
			}
			r, err := w.load(id)
			if err != nil {
				return err
			}
			if r.State.Final() {
				continue
			}
			// Its key, if the window wrote it since, goes with the move.
			if moved == nil {
				moved = make(map[message.ID]string)
			}
			moved[id] = string(s.dueOf(&r.Message))
			if err := w.move(r, message.StateExpired, func(m *message.Message) {
				m.Result, m.FinalAt = ExpiredResult, now
			}); err != nil {
				return err
			}
			expired = append(expired, r.ID)
		}
		for _, k := range keys {
			if len(expired) == limit {
				break
			}
			if cur, ok := moved[idAt(k)]; ok {
				if string(k) != cur {
					if err := w.del(k); err != nil { // an older rule's entry
						return err
					}
				}
				continue
			}
			r, err := w.load(idAt(k))
			if errors.Is(err, ErrNotFound) {
				if err := w.del(k); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if r.State.Final() {
				// Final since the scan (its move removed the entry), or a
				// stale entry of an older rule (sent + 48h) no move names.
				if err := w.del(k); err != nil {
					return err
				}
				continue
			}
			cur := s.dueOf(&r.Message)
			if err := w.move(r, message.StateExpired, func(m *message.Message) {
				m.Result, m.FinalAt = ExpiredResult, now
			}); err != nil {
				return err
			}
			if string(k) != string(cur) {
				if err := w.del(k); err != nil { // the move removed only the current rule's entry
					return err
				}
			}
			expired = append(expired, r.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.m.expired.Add(len(expired))
	return expired, nil
}

// keysUntil returns up to limit keys of a time-keyed table (the table
// byte, then Unix milliseconds big-endian), oldest first, whose time is at
// or before t.
func (s *Store) keysUntil(table byte, t time.Time, limit int) ([][]byte, error) {
	upper := binary.BigEndian.AppendUint64([]byte{table}, uint64(t.UnixMilli())+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	for ok := it.First(); ok && len(keys) < limit; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	return keys, it.Close()
}
