package store

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// A message its submitter scheduled (message.Message.NotBefore) gets a key
// in the sched table at acceptance, in the same batch: send time (unix ms)
// then id, so the messages due by now are the table's first keys. The
// dispatcher takes them when due (TakeScheduled), which removes the keys;
// until then they wait on disk, not in memory, and a restart reads none
// of them. Scheduled counts the table, for the backlog admission control
// bounds.

func schedKey(at time.Time, id message.ID) []byte {
	b := make([]byte, 0, 17)
	b = append(b, tSched)
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixMilli()))
	return appendID(b, id)
}

// Scheduled is the number of messages waiting for their send time.
func (s *Store) Scheduled() int {
	return int(max(s.scheduled.Load(), 0))
}

// countScheduled counts the sched table, once at Open.
func (s *Store) countScheduled() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tSched}, UpperBound: []byte{tSched + 1}})
	if err != nil {
		return err
	}
	n := int64(0)
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	s.scheduled.Store(n)
	return it.Close()
}

// TakeScheduled returns up to limit scheduled messages whose send time is
// at or before now, oldest send time first, and removes their keys in one
// synced batch: from then on they are the caller's to send. A message no
// longer waiting to be sent (expired meanwhile, say) loses its key and is
// not returned. Call it again while it returns limit messages. A message
// taken but never sent (a crash before its first send) is scheduled again
// by Recover, already due.
func (s *Store) TakeScheduled(ctx context.Context, now time.Time, limit int) ([]*message.Message, error) {
	keys, err := s.keysUntil(tSched, now, limit)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	var out []*message.Message
	err = s.do(ctx, func(w *writer) error {
		out = out[:0]
		for _, k := range keys {
			r, lerr := w.load(idAt(k))
			if lerr != nil && !errors.Is(lerr, ErrNotFound) {
				return lerr
			}
			if err := w.singleDel(k); err != nil {
				return err
			}
			if lerr == nil && r.State == message.StateAccepted {
				m := r.Message
				out = append(out, &m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.scheduled.Add(-int64(len(keys)))
	return out, nil
}
