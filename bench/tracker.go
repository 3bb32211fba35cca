package bench

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// tracker follows every message of a run by its index, which is also the
// tail of its client reference ("<run>-<index>"). Entries live in chunks
// allocated as the run reaches them, so a duration run needs no cap fixed
// in advance.
type tracker struct {
	run    string
	start  time.Time
	chunks [trackChunks]atomic.Pointer[trackChunk]

	accepted, refused, errors        atomic.Int64
	delivered, failed, expired       atomic.Int64
	finals, duplicates, doubleBilled atomic.Int64
	// settled counts the accepted messages with a final report: a
	// message whose answer was lost (its node died) is reported too, and
	// must not stand in for an accepted one still open.
	settled   atomic.Int64
	foreign   atomic.Int64    // reports of other runs
	billed    [8]atomic.Int64 // delivered, by the product billed
	lastFinal atomic.Int64    // ns since start

	acceptLat, reportLat hist
}

const (
	trackChunkBits = 16
	trackChunks    = 1024 // 67 M messages
)

type trackChunk [1 << trackChunkBits]entry

type entry struct {
	sentAt     atomic.Int64 // ns since start, when the submit went out
	accepted   atomic.Bool
	finals     atomic.Int32
	billedSeq  atomic.Uint64 // report_seq of the first delivered report
	billedMore atomic.Bool
	settled    atomic.Bool // counted in tracker.settled
}

// settle counts e in settled once it is both accepted and reported;
// accept and final each call it after setting their own mark, so one of
// them sees both.
func (t *tracker) settle(e *entry) {
	if e.accepted.Load() && e.finals.Load() > 0 && e.settled.CompareAndSwap(false, true) {
		t.settled.Add(1)
	}
}

func newTracker(run string) *tracker { return &tracker{run: run, start: time.Now()} }

func (t *tracker) entry(i int) *entry {
	c := i >> trackChunkBits
	if c >= trackChunks {
		return nil
	}
	p := t.chunks[c].Load()
	if p == nil {
		t.chunks[c].CompareAndSwap(nil, new(trackChunk))
		p = t.chunks[c].Load()
	}
	return &p[i&(1<<trackChunkBits-1)]
}

func (t *tracker) ref(i int) string { return string(t.appendRef(nil, i)) }

func (t *tracker) appendRef(dst []byte, i int) []byte {
	return strconv.AppendInt(append(append(dst, t.run...), '-'), int64(i), 10)
}

// recipientAndRef returns message i's recipient and client reference,
// both cut from one string: one allocation a message instead of two.
func (t *tracker) recipientAndRef(buf []byte, i int) (recipient, ref string, _ []byte) {
	buf = appendRecipient(buf[:0], i)
	n := len(buf)
	buf = t.appendRef(buf, i)
	both := string(buf)
	return both[:n], both[n:], buf
}

func (t *tracker) since() int64 { return int64(time.Since(t.start)) }

func (t *tracker) sent(i int) { t.entry(i).sentAt.Store(t.since()) }

func (t *tracker) answered(i int, r *upstreampb.SubmitResp) {
	if r.Status != upstreampb.Status_OK {
		t.refused.Add(1)
		return
	}
	t.accept(i)
}

// accept counts message i accepted now.
func (t *tracker) accept(i int) {
	e := t.entry(i)
	t.acceptLat.Record(time.Duration(t.since() - e.sentAt.Load()))
	e.accepted.Store(true)
	t.accepted.Add(1)
	t.settle(e)
}

// report counts one status report of the upstream protocol.
func (t *tracker) report(r *upstreampb.Report) {
	rest, ok := strings.CutPrefix(r.ClientRef, t.run+"-")
	i, err := strconv.Atoi(rest)
	if !ok || err != nil || i < 0 {
		t.foreign.Add(1)
		return
	}
	t.final(i, r.State, r.ReportSeq, r.Billed)
}

// final counts the final result of message i. A second final result of
// the same message is a duplicate (redelivery is allowed, and counted); a
// second delivered one under another seq is a second bill.
func (t *tracker) final(i int, state upstreampb.FinalState, seq uint64, billed upstreampb.Product) {
	e := t.entry(i)
	if e == nil {
		t.foreign.Add(1)
		return
	}
	if state == upstreampb.FinalState_DELIVERED {
		if !e.billedSeq.CompareAndSwap(0, seq) && e.billedSeq.Load() != seq && !e.billedMore.Swap(true) {
			t.doubleBilled.Add(1)
		}
	}
	if e.finals.Add(1) > 1 {
		t.duplicates.Add(1)
		return
	}
	t.settle(e)
	now := t.since()
	t.reportLat.Record(time.Duration(now - e.sentAt.Load()))
	t.finals.Add(1)
	t.lastFinal.Store(now)
	switch state {
	case upstreampb.FinalState_DELIVERED:
		t.delivered.Add(1)
		if int(billed) < len(t.billed) {
			t.billed[billed].Add(1)
		}
	case upstreampb.FinalState_FAILED:
		t.failed.Add(1)
	case upstreampb.FinalState_EXPIRED:
		t.expired.Add(1)
	}
}

// lost counts accepted messages among the first n with no final report.
func (t *tracker) lost(n int) int64 {
	var lost int64
	for i := 0; i < n; i++ {
		e := t.entry(i)
		if e != nil && e.accepted.Load() && e.finals.Load() == 0 {
			lost++
		}
	}
	return lost
}
