package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// DefaultDueDelay is the default of Options.DueDelay.
const DefaultDueDelay = 3 * time.Second

// dueMarkKey holds the due watermark: an id such that every message below
// it that is not final has its due key. It moves forward in the batch that
// writes the due keys it covers.
var dueMarkKey = metaKey("due-mark")

// dueWindow is the messages accepted in the last Options.DueDelay whose due
// key is not written yet, in acceptance order, which is id order (ids grow
// in the order buildLoop assigns them). Most messages are final within
// milliseconds: a move that makes one final while it is here writes no due
// key and no removal. One still open after DueDelay gets its key in the
// group being handed over, and the watermark moves past it in that batch.
// Only buildLoop touches it.
type dueWindow struct {
	delay int64 // Options.DueDelay in ns; 0: every key is written at acceptance
	e     []dueEntry
	head  int // e[head:] is the window
	// next is the first entry handOver has not yet flushed or passed over
	// as final: before it, every open entry has its key written.
	next   int
	lastID message.ID // the greatest id accepted
	mark   message.ID // the watermark last written
	markAt int64      // when, unix ns of its group

	// The current group's changes, undone if it aborts.
	groupStart int
	undo       []dueUndo
}

type dueEntry struct {
	id       message.ID
	deadline int64 // unix ms, as the due key holds it
	at       int64 // unix ns of the group that accepted it
	final    bool  // made final before its key was written: it needs none
	// seq is the number of the group that wrote its key (Store.handed
	// after its hand-over); 0 while it is not written.
	seq uint64
}

type dueUndo struct {
	i        int
	deadline int64
}

func (d *dueWindow) on() bool { return d.delay > 0 }

// accepted notes a new message; false if its key must be written now: its
// deadline comes before the window would write it.
func (d *dueWindow) accepted(id message.ID, deadline, now time.Time) bool {
	if id > d.lastID {
		d.lastID = id
	}
	if !d.on() || deadline.Sub(now) < 2*time.Duration(d.delay) {
		return false
	}
	d.e = append(d.e, dueEntry{id: id, deadline: deadline.UnixMilli(), at: now.UnixNano()})
	return true
}

// find is the index of id's entry, if its key is not written and it is
// not final.
func (d *dueWindow) find(id message.ID) (int, bool) {
	w := d.e[d.head:]
	i, ok := slices.BinarySearchFunc(w, id, func(e dueEntry, id message.ID) int {
		switch {
		case e.id < id:
			return -1
		case e.id > id:
			return 1
		}
		return 0
	})
	if !ok || w[i].seq != 0 || w[i].final {
		return 0, false
	}
	return d.head + i, true
}

// moved updates the entry at i for a move of its message: final, or open
// with a new deadline.
func (d *dueWindow) moved(i int, final bool, deadline time.Time) {
	e := &d.e[i]
	if i < d.groupStart {
		d.undo = append(d.undo, dueUndo{i: i, deadline: e.deadline})
	}
	e.final = final
	if !final {
		e.deadline = deadline.UnixMilli()
	}
}

// abort forgets what the current group did to the window.
func (d *dueWindow) abort() {
	for j := len(d.undo) - 1; j >= 0; j-- {
		u := d.undo[j]
		d.e[u.i].final, d.e[u.i].deadline = false, u.deadline
	}
	d.e = d.e[:d.groupStart]
	d.undo = d.undo[:0]
	if d.next > len(d.e) {
		d.next = len(d.e)
	}
}

// flushDue runs at the hand-over of g, before its writes go into the
// batch: it writes the due key of every entry older than DueDelay whose
// message is still open, moves the watermark past them in the same batch,
// and drops the entries nobody needs any more: final ones, and written
// ones whose group is synced (readers take the window and then read
// Pebble, so a written key leaves the window only once visible there).
func (s *Store) flushDue(g *group) {
	d := &s.win
	if !d.on() {
		return
	}
	defer func() { d.groupStart, d.undo = len(d.e), d.undo[:0] }()
	s.synced.Lock()
	synced := s.synced.n
	s.synced.Unlock()
	for d.head < len(d.e) {
		e := &d.e[d.head]
		if !(e.final && e.seq == 0) && !(e.seq != 0 && e.seq <= synced) {
			break
		}
		d.head++
	}
	if d.next < d.head {
		d.next = d.head
	}
	seq := s.handed.Load() + 1 // g's number once handed over
	now := g.now.UnixNano()
	for ; d.next < len(d.e); d.next++ {
		e := &d.e[d.next]
		if now-e.at < d.delay {
			break
		}
		if e.final {
			continue
		}
		var kb [17]byte
		g.pend1(kindSet, appendID(appendDeadlineMs(append(kb[:0], tDue), e.deadline), e.id), nil)
		e.seq = seq
	}
	// The watermark needs to move only to keep Open's scan short: once a
	// DueDelay at most, a write for many groups.
	mark := d.lastID + 1
	if d.next < len(d.e) {
		mark = d.e[d.next].id
	}
	if mark != d.mark && now-d.markAt >= d.delay {
		b := mark.Bytes()
		g.pend1(kindSet, dueMarkKey, b[:])
		d.mark, d.markAt = mark, now
	}
	if d.head > 0 && d.head >= len(d.e)/2 {
		n := copy(d.e, d.e[d.head:])
		d.e = d.e[:n]
		d.next -= d.head
		d.head = 0
	}
}

// windowIDs returns the ids of the messages in the window that may be
// open, whose deadline (unix ms) is at or before limit, once every write
// before it is synced: a reader that reads Pebble after it misses none of
// the messages the window held, since an entry leaves the window only once
// its key is visible there. math.MaxInt64 takes every deadline.
func (s *Store) windowIDs(ctx context.Context, limit int64) ([]message.ID, error) {
	if !s.win.on() {
		return nil, nil
	}
	var ids []message.ID
	err := s.do(ctx, func(w *writer) error {
		d := &s.win
		ids = ids[:0]
		for _, e := range d.e[d.head:] {
			if !(e.final && e.seq == 0) && e.deadline <= limit {
				ids = append(ids, e.id)
			}
		}
		return nil
	})
	return ids, err
}

// settleDue runs at Open, before any write: it gives every message at or
// above the watermark that is not final its due key, if it lacks one (a
// crash took the window), and moves the watermark past the greatest id.
func (s *Store) settleDue(last message.ID) error {
	mark, found, err := readDueMark(s.db)
	if err != nil {
		return err
	}
	s.win.lastID, s.win.mark, s.win.markAt = last, mark, s.now().UnixNano()
	if found && mark > last {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	set := 0
	if found {
		// A store without a watermark was written by a release that set
		// every due key at acceptance.
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: msgKey(mark), UpperBound: []byte{tMsg + 1}})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			var r rec
			if err := decodeRecord(it.Value(), &r); err != nil {
				it.Close()
				return fmt.Errorf("message %x: %w", it.Key(), err)
			}
			k := s.dueOf(&r.Message)
			if k == nil {
				continue
			}
			_, c, err := s.db.Get(k)
			if err == nil {
				c.Close()
				continue
			}
			if !errors.Is(err, pebble.ErrNotFound) {
				it.Close()
				return err
			}
			if err := b.Set(k, nil, nil); err != nil {
				it.Close()
				return err
			}
			set++
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	mark = last + 1
	v := mark.Bytes()
	if err := b.Set(dueMarkKey, v[:], nil); err != nil {
		return err
	}
	if err := commitSynced(b); err != nil {
		return err
	}
	s.win.mark = mark
	if set > 0 {
		s.log.Info("store: due keys written for the open messages of the last window", "count", set)
	}
	return nil
}

// readDueMark reads the watermark from r.
func readDueMark(r pebble.Reader) (message.ID, bool, error) {
	v, c, err := r.Get(dueMarkKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	if len(v) != 8 {
		return 0, false, fmt.Errorf("due watermark: %w", ErrCorrupt)
	}
	return idAt(v), true, nil
}
