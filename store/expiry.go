package store

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// ExpiredResult is the result of a message closed for want of a receipt
// within message.ResultWindow (Art. 5-3).
var ExpiredResult = message.Result{
	Source: message.SourceRelay, Code: "expired", Reason: "no result within 48 hours of sending",
}

// ExpireDue closes as expired up to limit messages whose result deadline
// (sent time + 48h) is at or before now, in one synced batch, and returns
// their ids. Call it again while it returns limit ids.
func (s *Store) ExpireDue(ctx context.Context, now time.Time, limit int) ([]message.ID, error) {
	upper := binary.BigEndian.AppendUint64([]byte{tDue}, uint64(now.UnixMilli())+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tDue}, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	var due []message.ID
	for ok := it.First(); ok && len(due) < limit; ok = it.Next() {
		due = append(due, idAt(it.Key()))
	}
	if err := it.Close(); err != nil || len(due) == 0 {
		return nil, err
	}
	var expired []message.ID
	err = s.do(ctx, func(w *writer) error {
		expired = expired[:0]
		for _, id := range due {
			r, err := w.load(id)
			if err != nil {
				return err
			}
			// A receipt may have closed it since the scan.
			if !r.State.AwaitingResult() || r.SentAt.Add(message.ResultWindow).After(now) {
				continue
			}
			if err := w.move(r, message.StateExpired, func(m *message.Message) {
				m.Result, m.FinalAt = ExpiredResult, now
			}); err != nil {
				return err
			}
			expired = append(expired, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.m.expired.Add(len(expired))
	return expired, nil
}
