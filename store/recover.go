package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// RecoveryStats says what Recover found.
type RecoveryStats struct {
	Open int           // messages not final, handed to fn
	Took time.Duration // wall time of the scan
}

// Recover calls fn with every message that is not final, oldest first,
// with its state and attempt count, so the daemon can dispatch them again.
// It reads only the due table (every message that is not final has its
// deadline there, but for those of the due window, which it reads too)
// and those records, however many final messages the store holds. Open
// gave the messages a crash left in the window their keys. fn must not
// keep the pointer.
//
// A store written by a release that kept the open table (0x06) is
// brought up to date on the way: its open messages get their due entry
// if they lack one (a message accepted before every state had a
// deadline), and every open entry goes, with SingleDelete, since it was
// set once.
//
// A scheduled message not yet taken (state accepted, NotBefore set) is in
// the sched table, which hands it over when due (TakeScheduled): fn should
// leave it there. One taken but never sent (a crash in between), or
// accepted before the sched table, is put back in it, already due.
func (s *Store) Recover(fn func(*message.Message) error) (RecoveryStats, error) {
	defer s.refs.begin() // the reference filter's scan waits for this one
	start := time.Now()
	var st RecoveryStats
	// Messages accepted since Open and still in the due window, taken
	// before the due table is read (see windowIDs); they have no key to fix.
	win, err := s.windowIDs(context.Background(), math.MaxInt64)
	if err != nil {
		return st, err
	}
	inWin := make(map[message.ID]bool, len(win))
	for _, id := range win {
		inWin[id] = true
	}
	due, err := s.tableIDs(tDue)
	if err != nil {
		return st, err
	}
	legacy, err := s.tableIDs(tOpen)
	if err != nil {
		return st, err
	}
	ids := slices.Concat(due, legacy, win)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var fix [][]byte     // due keys to set
	var unsched [][]byte // sched keys to set
	err = s.joinIDs(ids, func(m *message.Message) error {
		if m.State.Final() {
			// A due entry of an older deadline rule, which expiry removes,
			// or an open entry removed below.
			return nil
		}
		st.Open++
		k := s.dueOf(m)
		if inWin[m.ID] {
			// the window writes its key
		} else if _, c, err := s.db.Get(k); err == nil {
			c.Close()
		} else if errors.Is(err, pebble.ErrNotFound) {
			fix = append(fix, k)
		} else {
			return err
		}
		if m.State == message.StateAccepted && !m.NotBefore.IsZero() {
			k := schedKey(m.NotBefore, m.ID)
			if _, c, err := s.db.Get(k); err == nil {
				c.Close()
			} else if errors.Is(err, pebble.ErrNotFound) {
				unsched = append(unsched, k)
			} else {
				return err
			}
		}
		return fn(m)
	})
	st.Took = time.Since(start)
	if err != nil {
		return st, err
	}
	if len(fix) > 0 || len(legacy) > 0 {
		if err := s.do(context.Background(), func(w *writer) error {
			for _, k := range fix {
				if err := w.set(k, nil); err != nil {
					return err
				}
			}
			for _, id := range legacy {
				if err := w.singleDel(openKey(id)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return st, err
		}
		s.log.Info("store: brought the open messages up to date", "deadlines_set", len(fix), "open_entries_removed", len(legacy))
	}
	if len(unsched) > 0 {
		if err := s.do(context.Background(), func(w *writer) error {
			for _, k := range unsched {
				if err := w.set(k, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return st, err
		}
		s.scheduled.Add(int64(len(unsched)))
		s.log.Info("store: scheduled again messages taken but never sent", "count", len(unsched))
	}
	s.m.recoverOpen.Add(st.Open)
	s.m.recoverSecs.Add(st.Took.Seconds())
	s.log.Info("store: recovered open messages", "open", st.Open, "took", st.Took)
	return st, nil
}

// tableIDs reads the ids that the keys of a table end in, in key order.
func (s *Store) tableIDs(table byte) ([]message.ID, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: []byte{table + 1}})
	if err != nil {
		return nil, err
	}
	var ids []message.ID
	for ok := it.First(); ok; ok = it.Next() {
		if len(it.Key()) < 9 {
			it.Close()
			return nil, fmt.Errorf("table %#x key %x: %w", table, it.Key(), ErrCorrupt)
		}
		ids = append(ids, idAt(it.Key()))
	}
	return ids, it.Close()
}

// joinIDs calls fn with the record of every id, in ascending order; one
// msg iterator moves forward only.
func (s *Store) joinIDs(ids []message.ID, fn func(*message.Message) error) error {
	msgs, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tMsg}, UpperBound: []byte{tMsg + 1}})
	if err != nil {
		return err
	}
	defer msgs.Close()
	var r rec
	for _, id := range ids {
		k := msgKey(id)
		if !msgs.SeekGE(k) || string(msgs.Key()) != string(k) {
			return fmt.Errorf("index names missing message %s: %w", id, ErrCorrupt)
		}
		r = rec{}
		if err := decodeRecord(msgs.Value(), &r); err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		if err := fn(&r.Message); err != nil {
			return err
		}
	}
	return msgs.Error()
}
