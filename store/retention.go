package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

var purgeCursorKey = metaKey("purge-cursor")

// PurgeBefore removes the personal data (recipient, text, subject, Kakao
// buttons and image) of final messages accepted before cutoff, keeping an
// anonymised sending record and the billing counters. It works in batches
// of Options.PurgeStep records, each its own synced commit, so other writes
// go on between them; a cursor in the store lets the next call resume where
// this one stopped. It returns how many messages it purged.
func (s *Store) PurgeBefore(ctx context.Context, cutoff time.Time) (int, error) {
	end := msgKey(idFloor(cutoff))
	pos, err := s.purgeCursor()
	if err != nil {
		return 0, err
	}
	var pinned message.ID // first message seen that is not final yet
	total := 0
	for {
		ids, last, firstOpen, full, err := s.purgeCandidates(msgKey(pos), end)
		if err != nil {
			return total, err
		}
		if pinned == 0 {
			pinned = firstOpen
		}
		pos = last + 1
		cursor := pos
		if pinned != 0 {
			cursor = pinned // a later call must revisit it
		}
		n := 0
		err = s.do(ctx, func(w *writer) error {
			n = 0
			for _, id := range ids {
				r, err := w.load(id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if !r.State.Final() || r.Purged {
					continue
				}
				if err := w.purge(id, r); err != nil {
					return err
				}
				n++
			}
			c := cursor.Bytes()
			return w.set(purgeCursorKey, c[:])
		})
		if err != nil {
			return total, err
		}
		total += n
		s.m.purged.Add(n)
		if !full {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func anonymise(r *rec) {
	r.Recipient, r.Text, r.Subject = "", "", ""
	r.Kakao.Buttons, r.Kakao.ImageURL = "", ""
	r.Purged = true
}

func (s *Store) purgeCursor() (message.ID, error) {
	v, c, err := s.db.Get(purgeCursorKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("purge cursor: %w", ErrCorrupt)
	}
	return idAt(v), nil
}

// purgeCandidates scans up to PurgeStep records in [lower, upper) and
// returns the final, unpurged ones, the last id scanned, the first id not
// final (0 if none) and whether the step was full.
func (s *Store) purgeCandidates(lower, upper []byte) (ids []message.ID, last, firstOpen message.ID, full bool, err error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, 0, 0, false, err
	}
	defer it.Close()
	last = idAt(lower) - 1
	scanned := 0
	var r rec
	for ok := it.First(); ok && scanned < s.opts.PurgeStep; ok = it.Next() {
		scanned++
		last = idAt(it.Key())
		r = rec{}
		if err := decodeRecord(it.Value(), &r); err != nil {
			return nil, 0, 0, false, fmt.Errorf("message %s: %w", last, err)
		}
		switch {
		case !r.State.Final():
			if firstOpen == 0 {
				firstOpen = last
			}
		case !r.Purged:
			ids = append(ids, last)
		}
	}
	return ids, last, firstOpen, scanned == s.opts.PurgeStep, it.Error()
}

// PurgeCustomer removes the personal data of one customer's messages at
// contract end (Art. 10-2) as PurgeBefore does: text, subject, recipient
// and Kakao content go, with the recipient index and the report outbox
// (whose reports name recipients). What the law and billing need stays:
// each message's record with its id, client reference, products, states,
// timestamps and result, the billing counters and the issued statements,
// so statements, counts and the sending-record export stay true. Messages
// not final yet keep their data (they are still being sent): it returns
// how many it purged and how many were open; run it again once those are
// final. It works in batches of Options.PurgeStep, each its own commit.
func (s *Store) PurgeCustomer(ctx context.Context, customer string) (purged, open int, err error) {
	prefix := customerPrefix(tCust, customer)
	lower := prefix
	for {
		ids, err := s.listIDs(lower, prefixEnd(prefix), s.opts.PurgeStep)
		if err != nil || len(ids) == 0 {
			if err != nil {
				return purged, open, err
			}
			break
		}
		lower = custKey(customer, ids[len(ids)-1]+1)
		n, o := 0, 0
		err = s.do(ctx, func(w *writer) error {
			n, o = 0, 0
			for _, id := range ids {
				r, err := w.load(id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				switch {
				case !r.State.Final():
					o++
					continue
				case r.Purged:
					continue
				}
				if err := w.purge(id, r); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return purged, open, err
		}
		purged, open = purged+n, open+o
		s.m.purged.Add(n)
		if s.purgeStepDone != nil {
			s.purgeStepDone()
		}
		if err := ctx.Err(); err != nil {
			return purged, open, err
		}
	}
	// The outbox's reports carry recipients; its sequence stays, so a
	// later report would not reuse a number.
	err = s.do(ctx, func(w *writer) error {
		p := customerPrefix(tOutbox, customer)
		return w.delRange(p, prefixEnd(p))
	})
	return purged, open, err
}

// Export yields the sending record of every message accepted in [from, to),
// oldest first, for the legally kept sending history (Art. 5-6). Purged
// messages come without their personal data. The caller picks the columns.
func (s *Store) Export(from, to time.Time) iter.Seq2[*message.Message, error] {
	return func(yield func(*message.Message, error) bool) {
		it, err := s.db.NewIter(&pebble.IterOptions{
			LowerBound: msgKey(idFloor(from)), UpperBound: msgKey(idFloor(to)),
		})
		if err != nil {
			yield(nil, err)
			return
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var r rec
			if err := decodeRecord(it.Value(), &r); err != nil {
				yield(nil, fmt.Errorf("message %x: %w", it.Key(), err))
				return
			}
			if !yield(&r.Message, nil) {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(nil, err)
		}
	}
}

// purge removes r's personal data (text, recipient and its index entry)
// and keeps the rest of the record: ids, products, states, times, billing.
func (w *writer) purge(id message.ID, r *rec) error {
	if r.Recipient != "" {
		if err := w.del(rcptKey(r.Customer, r.Recipient, r.ID)); err != nil {
			return err
		}
	}
	anonymise(r)
	return w.set(msgKey(id), encodeRecord(nil, r))
}
