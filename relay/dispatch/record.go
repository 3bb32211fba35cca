package dispatch

import (
	"context"
	"sync"
	"time"
)

// recordTimeout bounds the store write that records a peer's answer.
const recordTimeout = 10 * time.Second

// recording is the context of the write that records an answer a peer has
// already given (a submit_sm_resp, a Kakao result). The end of the drain
// (ctx) does not cancel it: dropping it would leave the message open while
// the peer holds it, to be sent again after the restart (a second SMS on
// the handset, a Kakao serial billed by Kakao and not by the relay). Only
// the store, or recordTimeout, can stop it; Shutdown closes the store after
// every worker has returned.
func recording(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
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
