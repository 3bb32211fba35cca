package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// op is one write waiting for the commit goroutine. fn runs on that
// goroutine, against the group's batch; it must check everything before it
// writes anything, and if it fails after writing, the whole group is
// aborted rather than committed half-applied.
type op struct {
	fn   func(w *writer) error
	done chan error // buffered 1: the commit loop never blocks on it
}

// writer is what an op sees: the group's indexed batch (reads see the
// writes of earlier ops in the same group, then committed data) and the
// commit time.
type writer struct {
	s   *Store
	b   *pebble.Batch
	now time.Time
}

// do hands fn to the commit goroutine and waits until the batch that holds
// its writes is synced, or fails.
func (s *Store) do(ctx context.Context, fn func(w *writer) error) error {
	o := &op{fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- o:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // the write may still commit; see the package doc
	}
}

// commitLoop is the only writer of the database. It takes every write that
// is waiting, runs them in order against one indexed batch, commits the
// batch with one synced write, and then answers every waiter.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	group := make([]*op, 0, s.opts.MaxGroup)
	var failed error // sticky: after a failed commit nothing more is written
	for {
		group = group[:0]
		select {
		case o := <-s.ops:
			group = append(group, o)
		case <-s.stop:
			return
		}
	gather:
		for len(group) < s.opts.MaxGroup {
			select {
			case o := <-s.ops:
				group = append(group, o)
			default:
				break gather
			}
		}
		if failed != nil {
			for _, o := range group {
				o.done <- fmt.Errorf("%w: %w", ErrFailed, failed)
			}
			continue
		}
		if err := s.commitGroup(group); err != nil {
			failed = err
			s.m.commitErrors.Inc()
			s.log.Error("store: commit failed; refusing further writes", "err", err)
		}
	}
}

// commitGroup runs and commits one group and answers its ops. It returns an
// error only when the commit itself failed.
func (s *Store) commitGroup(group []*op) error {
	start := time.Now()
	b := s.db.NewIndexedBatch()
	defer b.Close()
	w := &writer{s: s, b: b, now: s.now()}
	errs := make([]error, len(group))
	var abort error
	for i, o := range group {
		before := b.Count()
		errs[i] = o.fn(w)
		if errs[i] != nil && b.Count() != before {
			abort = errs[i] // half-applied: commit none of the group
			break
		}
	}
	var commitErr error
	switch {
	case abort != nil:
		s.log.Error("store: write failed half-way; batch aborted", "err", abort)
		for i := range errs {
			if errs[i] == nil {
				errs[i] = ErrAborted
			}
		}
	case !b.Empty():
		if err := commitSynced(b); err != nil {
			commitErr = fmt.Errorf("store: commit: %w", err)
			for i := range errs {
				if errs[i] == nil {
					errs[i] = commitErr
				}
			}
		}
	}
	for i, o := range group {
		o.done <- errs[i]
	}
	s.m.groupSize.Update(float64(len(group)))
	s.m.commitSeconds.UpdateDuration(start)
	return commitErr
}

// get reads key through the batch; the value is copied.
func (w *writer) get(key []byte) ([]byte, bool, error) {
	v, c, err := w.b.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v = append([]byte(nil), v...)
	return v, true, c.Close()
}

func (w *writer) load(id message.ID) (*rec, error) {
	v, ok, err := w.get(msgKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: message %s", ErrNotFound, id)
	}
	r := new(rec)
	if err := decodeRecord(v, r); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	return r, nil
}

func (w *writer) set(key, value []byte) error { return w.b.Set(key, value, nil) }
func (w *writer) del(key []byte) error        { return w.b.Delete(key, nil) }

// commitSynced commits b with a synced WAL write. A fatal Pebble error
// becomes an error here.
func commitSynced(b *pebble.Batch) (err error) {
	defer catchFatal(&err)
	return b.Commit(pebble.Sync)
}
