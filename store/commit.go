package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// op is one write waiting for the commit pipeline. fn runs on the build
// goroutine against the group's batch; it must check everything before it
// writes anything, and if it fails after writing, the whole group is
// aborted rather than committed half-applied.
type op struct {
	fn   func(w *writer) error
	done chan error // buffered 1: the pipeline never blocks on it

	// first: answered before the other ops of its group. An acceptance
	// has a client waiting on the other end; a group can wake hundreds of
	// goroutines at once, and the ones woken first run first.
	first bool
}

// group is the writes of many ops: one Pebble batch, one synced commit.
type group struct {
	ops  []*op
	errs []error
	b    *pebble.Batch
	now  time.Time // the commit time its ops see

	// over holds the group's writes to the tables ops read back, readable
	// before b is committed. They go into b only when the group is handed
	// over, the last value of each key: ops of one group rewrite the same
	// counters (billing counts, report sequences) many times, and often a
	// message's record too (its submit answer and its receipt).
	over   overlay
	writes int // writes by the group's ops

	// pend are the group's writes to the other tables, in the order they
	// were made, with their bytes in arena; they go into b at hand-over,
	// in key order (see putPending).
	pend    []pending
	arena   []byte
	order   []sortKey
	scratch []sortKey

	reported []string // customers the group added reports for
	// for the report tails once synced: the reports the group wrote, the
	// acknowledgements, and whether it cut a range out of an outbox
	tailReports []tailReport
	tailAcks    []tailAck
	outboxCut   bool
	final       []*message.Message // messages the group made final, for OnFinal

	ctr counters // the counters its ops read and wrote (counters.go)

	// rec is the record its ops loaded last (writer.load).
	rec rec

	w writer // what the op running sees
}

// writer is what an op sees: reads go to its group's writes, then to the
// groups still being synced, then to Pebble; writes go to the group.
type writer struct {
	s   *Store
	g   *group
	now time.Time

	// interim is set while an op moves a message through states it does
	// not stop in: move then skips writing the record, which the op's
	// last move writes as it ends up.
	interim bool
}

// do hands fn to the commit pipeline and waits until the batch that holds
// its writes, and every batch before it, is synced; or until it fails.
func (s *Store) do(ctx context.Context, fn func(w *writer) error) error {
	return s.doOp(ctx, &op{fn: fn, done: doneChans.Get().(chan error)})
}

// doFirst is do for a write whose caller is answered first in its group.
func (s *Store) doFirst(ctx context.Context, fn func(w *writer) error) error {
	return s.doOp(ctx, &op{fn: fn, done: doneChans.Get().(chan error), first: true})
}

// doneChans recycles the answer channels of ops. The pipeline answers each
// op exactly once, so a channel whose answer was received is empty and
// nobody sends on it again; one whose caller gave up is not recycled.
var doneChans = sync.Pool{New: func() any { return make(chan error, 1) }}

func (s *Store) doOp(ctx context.Context, o *op) error {
	// The builder waiting to receive takes o at once; a full select, which
	// locks every channel it names, only when it is busy.
	select {
	case s.ops <- o:
	default:
		select {
		case s.ops <- o:
		case <-s.stop:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case err := <-o.done:
		doneChans.Put(o.done)
		return err
	case <-ctx.Done():
		return ctx.Err() // the write may still commit; see the package doc
	}
}

// barrier returns once every write taken before it is synced: a read
// followed by a barrier has seen only durable data. It waits for the
// groups handed to the syncer so far, without a write of its own: whatever
// a read saw was applied by one of them.
func (s *Store) barrier(ctx context.Context) error {
	upTo := s.handed.Load()
	for {
		s.synced.Lock()
		n, next := s.synced.n, s.synced.next
		s.synced.Unlock()
		if n >= upTo {
			break
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.buildDone:
			return ErrClosed
		}
	}
	if err := s.failure(); err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return nil
}

// buildLoop is the only goroutine that runs ops. It runs each op as it
// arrives into the current group, and hands the group to syncLoop as soon
// as syncLoop is free; so a group holds every write that arrived while the
// previous one synced. Reads see unsynced groups through their overlays.
func (s *Store) buildLoop() {
	defer s.wg.Done()
	defer close(s.buildDone)
	cur := s.newGroup(0)
	avg := 0 // ops per group handed over, a moving average ×8
	for {
		ops, ready := s.ops, s.ready
		if len(cur.ops) >= s.opts.MaxGroup {
			ops = nil // full: wait for the syncer
		}
		if len(cur.ops) == 0 {
			ready = nil // nothing to hand over
		}
		select {
		case o := <-ops:
			s.run(cur, o)
		case <-ready:
			if max(len(cur.ops), avg/8) >= s.opts.CommitSiblings {
				s.gather(cur)
			}
			avg += len(cur.ops) - avg/8
			keys := len(cur.over.puts) // the syncer empties the maps once cur is synced
			s.handOver(cur)
			next := s.newGroup(keys)
			// The batch holds what they held once handed over.
			next.pend, next.arena, next.order, next.scratch = cur.pend[:0], cur.arena[:0], cur.order[:0], cur.scratch[:0]
			cur = next
		case <-s.stop:
			if len(cur.ops) > 0 {
				<-s.ready // received ops are committed and answered
				s.handOver(cur)
			}
			return
		}
	}
}

// gather lets a group that is about to be handed over take the ops that
// are on their way, when the store is busy: the callers the last commit
// answered, woken but not yet run. It yields the processor to them and
// takes what they send, round after round, until a round brings nothing,
// the group is full, or Options.CommitDelay has passed. A synced commit
// costs about the same CPU however many writes it carries, so under load
// fewer, larger commits leave more of it for the work the writes wait
// behind; a lone writer (groups of one or two) never waits, and with
// nothing else runnable a round ends at once.
func (s *Store) gather(g *group) {
	if s.opts.CommitDelay <= 0 {
		return
	}
	s.m.gathered.Inc()
	deadline := time.Now().Add(s.opts.CommitDelay)
	for len(g.ops) < s.opts.MaxGroup && time.Now().Before(deadline) {
		runtime.Gosched()
		took := 0
	drain:
		for len(g.ops) < s.opts.MaxGroup {
			select {
			case o := <-s.ops:
				s.run(g, o)
				took++
			default:
				break drain
			}
		}
		if took == 0 {
			return
		}
	}
}

// handOver publishes g to readers as in flight, then to the syncer, which
// is waiting for it: no op built after this can miss g's writes.
func (s *Store) handOver(g *group) {
	g.flushCounters(&s.hot)
	s.flushDue(g)
	for k, v := range g.over.puts {
		p := pending{key: unsafe.Slice(unsafe.StringData(k), len(k)), value: v, kind: kindSet}
		if base, merged := g.over.merged[k]; merged {
			p.kind, p.value = kindMerge, v[base:]
		} else if _, single := g.over.single[k]; v == nil && single {
			p.kind = kindSingleDel
		} else if v == nil {
			p.kind = kindDel
		}
		g.pend = append(g.pend, p)
	}
	if err := g.putPending(); err != nil {
		s.fail(fmt.Errorf("store: batch: %w", err)) // the group is answered with it
	}
	s.mu.Lock()
	s.mu.inflight = append(s.mu.inflight, g)
	s.mu.Unlock()
	s.handed.Add(1)
	s.toSync <- g
}

// newGroup starts a group whose overlay map is one a synced group
// emptied, or else one sized for as many keys as the last group held, so
// that it does not grow from empty under load.
func (s *Store) newGroup(hint int) *group {
	g := &group{b: s.db.NewBatch()}
	select {
	case sp := <-s.spare:
		g.over, g.tailReports = sp.over, sp.tailReports
	default:
		if hint > 0 {
			g.over.puts = make(map[string][]byte, hint)
		}
	}
	return g
}

// groupSpare is what a synced group leaves to a group to come: its overlay's
// maps and its reports' array, emptied.
type groupSpare struct {
	over        overlay
	tailReports []tailReport
}

// recycle empties the overlay maps and the reports of a group that is
// visible in Pebble, no longer in flight, and whose reports are in the
// tails, for a group to come. It runs on the syncer, which waits for the
// disk most of the time, not on the busy builder.
func (s *Store) recycle(g *group) {
	o := &g.over
	if o.puts == nil {
		return
	}
	clear(o.puts)
	clear(o.fresh)
	clear(o.single)
	clear(o.merged)
	clear(g.tailReports)
	select {
	case s.spare <- groupSpare{overlay{puts: o.puts, fresh: o.fresh, single: o.single, merged: o.merged}, g.tailReports[:0]}:
	default:
	}
}

// run runs one op into the group. An op that fails after writing aborts
// the group: its ops are answered with their errors or ErrAborted, and the
// group starts empty.
func (s *Store) run(g *group, o *op) {
	if err := s.failure(); err != nil {
		o.done <- fmt.Errorf("%w: %w", ErrFailed, err)
		return
	}
	if len(g.ops) == 0 {
		// The group is first published to ops (for the syncer) when handed
		// over; before that only this goroutine touches it.
		g.now = s.now()
	}
	before := g.writes
	g.w = writer{s: s, g: g, now: g.now} // one per group: ops take it by pointer
	err := o.fn(&g.w)
	g.ops = append(g.ops, o)
	g.errs = append(g.errs, err)
	if err == nil || g.writes == before {
		return
	}
	s.log.Error("store: write failed half-way; batch aborted", "err", err)
	for i, o := range g.ops {
		if g.errs[i] == nil {
			g.errs[i] = ErrAborted
		}
		o.done <- g.errs[i]
	}
	g.b.Reset()
	g.pend, g.arena = g.pend[:0], g.arena[:0]
	clear(g.ctr.idx)
	g.ctr.e = g.ctr.e[:0]
	g.ops, g.errs, g.over = g.ops[:0], g.errs[:0], overlay{}
	g.writes, g.reported, g.final = 0, nil, nil
	g.tailReports, g.tailAcks, g.outboxCut = nil, nil, false
	s.hot.reset() // it holds the aborted writes
	s.win.abort()
}

// syncLoop commits groups in the order they were built, each with one
// synced WAL write, and answers their ops. A group is answered only after
// it and every group before it is synced, so no op (not even a duplicate
// acceptance, which writes nothing) is acknowledged on unsynced data.
func (s *Store) syncLoop() {
	defer s.wg.Done()
	for {
		select {
		case s.ready <- struct{}{}:
		case <-s.buildDone:
			return
		}
		g := <-s.toSync
		start := time.Now()
		var err error
		if prior := s.failure(); prior != nil {
			err = fmt.Errorf("%w: %w", ErrFailed, prior)
		} else if !g.b.Empty() {
			if s.committing != nil {
				s.committing(g.b)
			}
			s.m.entries.Add(int(g.b.Count()))
			s.m.bytes.Add(len(g.b.Repr()))
			if err = commitSynced(g.b); err != nil {
				err = fmt.Errorf("store: commit: %w", err)
				s.fail(err)
			}
		}
		if err == nil {
			// Before anyone is answered: an acknowledged report must not
			// be read again from a tail.
			s.tails.apply(g.tailReports, g.tailAcks, g.outboxCut)
		}
		s.mu.Lock()
		s.mu.inflight = s.mu.inflight[1:] // g is visible in Pebble now
		s.mu.Unlock()
		s.recycle(g) // no read finds it now, and the tails have its reports
		g.b.Close()
		for _, first := range [...]bool{true, false} {
			for i, o := range g.ops {
				if o.first != first {
					continue
				}
				if g.errs[i] == nil {
					g.errs[i] = err
				}
				o.done <- g.errs[i]
			}
		}
		s.synced.Lock()
		s.synced.n++
		close(s.synced.next)
		s.synced.next = make(chan struct{})
		s.synced.Unlock()
		if err == nil && s.opts.OnReports != nil {
			for _, c := range g.reported {
				s.opts.OnReports(c)
			}
		}
		if err == nil && s.opts.OnFinal != nil {
			for _, m := range g.final {
				s.opts.OnFinal(m)
			}
		}
		s.m.commits.Inc()
		s.m.groupSize.Update(float64(len(g.ops)))
		s.m.commitSeconds.UpdateDuration(start)
	}
}

// fail makes every later write fail: after a failed sync nothing written
// since the last good one can be trusted, so the store must be reopened.
func (s *Store) fail(err error) {
	s.mu.Lock()
	if s.mu.failed == nil {
		s.mu.failed = err
		s.m.commitErrors.Inc()
		s.log.Error("store: commit failed; refusing further writes", "err", err)
		close(s.failed)
	}
	s.mu.Unlock()
}

// Failed is closed when a commit has failed: from then on the store refuses
// every write, and only reopening it (which replays what was synced) brings
// it back. The daemon exits on it so that its supervisor restarts it.
func (s *Store) Failed() <-chan struct{} { return s.failed }

// failure is the error of the failed commit, if any. Every op asks:
// the closed channel (fail closes it after setting the error) answers
// without the lock the syncer takes.
func (s *Store) failure() error {
	select {
	case <-s.failed:
	default:
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.failed
}

// commitSynced commits b with a synced WAL write. A fatal Pebble error
// becomes an error here.
func commitSynced(b *pebble.Batch) (err error) {
	defer catchFatal(&err)
	return b.Commit(pebble.Sync)
}

// get reads key as the op would see it after every earlier write. The
// value must not be modified.
func (w *writer) get(key []byte) ([]byte, bool, error) {
	if v, found, ok := w.s.hot.get(key); ok {
		return v, found, nil
	}
	if v, found, ok := w.g.over.get(key); ok {
		return v, found, nil
	}
	if v, found, ok := w.s.inflightGet(key); ok {
		return v, found, nil
	}
	// Pebble keeps the key it is given; a copy here lets the callers
	// build their keys on the stack for the hits above.
	v, c, err := w.s.db.Get(bytes.Clone(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v = append([]byte(nil), v...)
	return v, true, c.Close()
}

// inflightGet looks key up in the groups built but not yet visible in
// Pebble, newest first.
func (s *Store) inflightGet(key []byte) (v []byte, found, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.mu.inflight) - 1; i >= 0; i-- {
		if v, found, ok := s.mu.inflight[i].over.get(key); ok {
			return v, found, true
		}
	}
	return nil, false, false
}

// load reads message id's record into the group's one: it is valid until
// the next load of any op of the group, so an op that keeps anything of
// it keeps a copy.
func (w *writer) load(id message.ID) (*rec, error) {
	var kb [9]byte
	v, ok, err := w.get(appendMsgKey(kb[:0], id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: message %s", ErrNotFound, id)
	}
	r := &w.g.rec
	*r = rec{}
	body, err := decodeRecordBody(v, r, true) // get's values are never modified
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	r.raw, r.bodyLen = v, body
	return r, nil
}

// readTables are the tables ops read with get; only their writes need to
// go into the overlay. The others (open, due, outbox, rcpt, cust) are
// written by ops and read only by scans of committed data.
var readTables = [256]bool{tMsg: true, tRef: true, tDLR: true, tParked: true,
	tOutSeq: true, tBill: true, tMeta: true, tStmt: true, tDaily: true}

func (w *writer) set(key, value []byte) error {
	switch key[0] {
	case tRef:
		w.s.refs.add(key)
	case tDLR:
		w.s.dlrs.add(key)
	}
	w.g.writes++
	if !readTables[key[0]] {
		w.g.pend1(kindSet, key, value)
		return nil
	}
	k := string(key)
	w.g.over.set(k, value) // into the batch at handOver
	w.s.hot.set(k, value, true)
	return nil
}

// merge sets key, of a read table, to value, which is its value before
// this write (of base bytes) with more appended: the batch gets only what
// the group appended, as a Pebble merge, which concatenates it to what is
// stored.
func (w *writer) merge(key, value []byte, base int) error {
	w.g.writes++
	k := string(key)
	w.g.over.merge(k, value, base)
	w.s.hot.set(k, value, true)
	return nil
}

// setFresh is set for a key of a read table that the op read as absent.
func (w *writer) setFresh(key, value []byte) error {
	w.g.writes++
	k := string(key)
	w.g.over.setFresh(k, value)
	w.s.hot.set(k, value, true)
	return nil
}

func (w *writer) del(key []byte) error {
	w.g.writes++
	if !readTables[key[0]] {
		w.g.pend1(kindDel, key, nil)
		return nil
	}
	k := string(key)
	w.g.over.del(k) // into the batch at handOver
	w.s.hot.set(k, nil, false)
	return nil
}

// singleDelRead is singleDel for a key of a read table, set once since
// it was last removed: a parked receipt that replaced none.
func (w *writer) singleDelRead(key []byte) error {
	w.g.writes++
	k := string(key)
	w.g.over.singleDel(k) // into the batch at handOver
	w.s.hot.set(k, nil, false)
	return nil
}

// singleDel removes a key that was set exactly once since it was last
// removed: a due key (set at acceptance, removed when the message is
// final; move never sets the key it already holds), an outbox report (its
// sequence number is never reused) and an open key an earlier release
// left. Pebble
// drops such a key and its removal together when they meet in a flush or
// compaction, where a plain deletion leaves a tombstone to carry down to
// the last level. None of these tables is read by ops, so nothing is
// cached.
func (w *writer) singleDel(key []byte) error {
	w.g.pend1(kindSingleDel, key, nil)
	w.g.writes++
	return nil
}

// delRange removes every key in [start, end). The writes made before it
// go into the batch first, in their order, so that it covers them.
func (w *writer) delRange(start, end []byte) error {
	if err := w.g.putPending(); err != nil {
		return err
	}
	if err := w.g.b.DeleteRange(start, end, nil); err != nil {
		return err
	}
	w.g.writes++
	if start[0] == tOutbox {
		w.g.outboxCut = true
	}
	if readTables[start[0]] {
		w.g.flushCounters(&w.s.hot) // read again after the range is gone
		w.g.over.delRange(start, end)
		w.s.hot.reset()
	}
	return nil
}
