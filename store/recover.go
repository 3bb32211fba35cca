package store

import (
	"context"
	"errors"
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
// It reads only the open table and those records, however many final
// messages the store holds. fn must not keep the pointer.
func (s *Store) Recover(fn func(*message.Message) error) (RecoveryStats, error) {
	defer s.refs.begin() // the reference filter's scan waits for this one
	start := time.Now()
	idx, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tOpen}, UpperBound: []byte{tOpen + 1}})
	if err != nil {
		return RecoveryStats{}, err
	}
	defer idx.Close()
	var st RecoveryStats
	var undue [][]byte // open messages accepted before every state had a deadline
	err = s.joinRecords(idx, func(m *message.Message) error {
		st.Open++
		k := s.dueOf(m)
		if _, c, err := s.db.Get(k); err == nil {
			c.Close()
		} else if errors.Is(err, pebble.ErrNotFound) {
			undue = append(undue, k)
		} else {
			return err
		}
		return fn(m)
	})
	st.Took = time.Since(start)
	if err != nil {
		return st, err
	}
	if len(undue) > 0 {
		if err := s.do(context.Background(), func(w *writer) error {
			for _, k := range undue {
				if err := w.set(k, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return st, err
		}
		s.log.Info("store: gave open messages their deadline from acceptance", "count", len(undue))
	}
	s.m.recoverOpen.Add(st.Open)
	s.m.recoverSecs.Add(st.Took.Seconds())
	s.log.Info("store: recovered open messages", "open", st.Open, "took", st.Took)
	return st, nil
}
