package upstreamtest

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Outbox is an in-memory report outbox of one customer: reports get
// increasing report_seqs and stay until acknowledged, across connections.
type Outbox struct {
	mu struct {
		sync.Mutex
		next    uint64
		pending []*upstreampb.Report // unacked, by report_seq
		acked   int
		views   map[*view]struct{}
	}
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox {
	o := &Outbox{}
	o.mu.views = make(map[*view]struct{})
	return o
}

// Add gives r the next report_seq and queues it.
func (o *Outbox) Add(r *upstreampb.Report) uint64 {
	o.mu.Lock()
	o.mu.next++
	r.ReportSeq = o.mu.next
	o.mu.pending = append(o.mu.pending, r)
	for v := range o.mu.views {
		select {
		case v.notify <- struct{}{}:
		default:
		}
	}
	o.mu.Unlock()
	return r.ReportSeq
}

// Unacked is the number of reports not yet acknowledged.
func (o *Outbox) Unacked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.mu.pending)
}

// Acked is the number of reports acknowledged so far.
func (o *Outbox) Acked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mu.acked
}

// View is the ReportSource for one connection.
func (o *Outbox) View() upstream.ReportSource {
	v := &view{o: o, notify: make(chan struct{}, 1)}
	o.mu.Lock()
	o.mu.views[v] = struct{}{}
	o.mu.Unlock()
	return v
}

type view struct {
	o      *Outbox
	notify chan struct{}
}

func (v *view) Notify() <-chan struct{} { return v.notify }

func (v *view) Next(_ context.Context, after uint64, limit int) ([]*upstreampb.Report, uint64, error) {
	v.o.mu.Lock()
	defer v.o.mu.Unlock()
	p := v.o.mu.pending
	i, _ := slices.BinarySearchFunc(p, after+1, func(r *upstreampb.Report, seq uint64) int {
		return cmp.Compare(r.ReportSeq, seq)
	})
	p = p[i:min(len(p), i+limit)]
	if len(p) == 0 {
		return nil, after, nil
	}
	return slices.Clone(p), p[len(p)-1].ReportSeq, nil
}

func (v *view) Ack(_ context.Context, seqs []uint64) error {
	v.o.mu.Lock()
	defer v.o.mu.Unlock()
	acked := make(map[uint64]bool, len(seqs))
	for _, s := range seqs {
		acked[s] = true
	}
	n := len(v.o.mu.pending)
	v.o.mu.pending = slices.DeleteFunc(v.o.mu.pending, func(r *upstreampb.Report) bool { return acked[r.ReportSeq] })
	v.o.mu.acked += n - len(v.o.mu.pending)
	return nil
}

func (v *view) Close() {
	v.o.mu.Lock()
	delete(v.o.mu.views, v)
	v.o.mu.Unlock()
}
