package dispatch

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// recordTimeout bounds the store write that records a peer's answer.
const recordTimeout = 10 * time.Second

// recordShare is how long one recording context is handed out before the
// next is made: the writes of that span share its deadline, so a write is
// bounded by recordTimeout to recordTimeout+recordShare. A context (and
// its timer) per answer cost about 2% of the relay's CPU at full rate.
const recordShare = time.Second

// recording is the context of the write that records an answer a peer has
// already given (a submit_sm_resp, a Kakao result). The end of the drain
// does not cancel it: dropping it would leave the message open while the
// peer holds it, to be sent again after the restart (a second SMS on the
// handset, a Kakao serial billed by Kakao and not by the relay). Only the
// store, or the deadline, can stop it; Shutdown closes the store after
// every worker has returned. It carries no values: the store reads none.
func recording() context.Context {
	now := time.Now()
	if r := recordings.cur.Load(); r != nil && now.Before(r.until) {
		return r.ctx
	}
	recordings.mu.Lock()
	defer recordings.mu.Unlock()
	if r := recordings.cur.Load(); r != nil && now.Before(r.until) {
		return r.ctx
	}
	// Never cancelled: it ends at its deadline, and no write may be cut
	// short before that.
	r := newRecording(now)
	recordings.cur.Store(&r)
	return r.ctx
}

// newRecording is a recording context handed out from now for
// recordShare, each write under it bounded by recordTimeout at least.
func newRecording(now time.Time) recordingCtx {
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(recordTimeout+recordShare))
	return recordingCtx{ctx: ctx, cancel: cancel, until: now.Add(recordShare)}
}

type recordingCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
	until  time.Time // handed out until then
}

// recordings is the recording context being handed out; shared by every
// dispatcher of the process, since it carries nothing but a deadline.
var recordings struct {
	mu  sync.Mutex // serialises making the next one
	cur atomic.Pointer[recordingCtx]
}

// flight counts work in progress, and lets a drain wait for none.
type flight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (f *flight) begin() {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *flight) end() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
	f.mu.Unlock()
}

// wait returns when nothing is in progress, or ctx ends.
func (f *flight) wait(ctx context.Context) {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

// ownRecording is one worker's recording context, made again once every
// recordShare, as recording's is. The store's wait for a write selects on
// its context's channel: on one channel shared by every worker, the
// waits of hundreds of workers contended for its lock (some 3% of the
// CPU at full rate), where each worker's own is uncontended. The worker
// makes its writes one after another, so the last one is done with its
// context when the next is made; abandoned, the store no longer reads it
// either.
type ownRecording struct{ recordingCtx }

func (r *ownRecording) get(now time.Time) context.Context {
	if r.ctx == nil || !now.Before(r.until) {
		r.release()
		r.recordingCtx = newRecording(now)
	}
	return r.ctx
}

// release stops the timer of the last context; its write has returned.
func (r *ownRecording) release() {
	if r.cancel != nil {
		r.cancel()
	}
}
