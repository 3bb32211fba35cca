package faults

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// benchLedger is what a bench.Run load knows of its messages, through
// its Accepted and Reported hooks: every acknowledged message's
// client_ref and id, every report. It is the oracle's per-message
// knowledge when the load is relaybench's own.
type benchLedger struct {
	start   time.Time
	mu      sync.Mutex
	ids     map[string]string // client_ref → relay id
	reports map[string][]upstreampb.FinalState
	refused map[string][]time.Duration // refusals by status, since start
}

func newBenchLedger() *benchLedger {
	return &benchLedger{start: time.Now(), ids: map[string]string{}, reports: map[string][]upstreampb.FinalState{},
		refused: map[string][]time.Duration{}}
}

func (b *benchLedger) answered(ref string, r *upstreampb.SubmitResp) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Status == upstreampb.Status_OK {
		b.ids[ref] = r.MessageId
		return
	}
	b.refused[r.Status.String()] = append(b.refused[r.Status.String()], time.Since(b.start))
}

// refusedBy counts the refusals by status.
func (b *benchLedger) refusedBy() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for st, at := range b.refused {
		out[st] = len(at)
	}
	return out
}

// refusals sums up the refusals: how many of each status, first and last
// (since the ledger began).
func (b *benchLedger) refusals() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for st, at := range b.refused {
		out = append(out, fmt.Sprintf("%s=%d (%.1fs to %.1fs)", st, len(at), slices.Min(at).Seconds(), slices.Max(at).Seconds()))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func (b *benchLedger) reported(r *upstreampb.Report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reports[r.MessageId] = append(b.reports[r.MessageId], r.State)
}

// node is the part of the ledger a cluster node holds: the messages
// whose id carries its node number.
func (b *benchLedger) node(n uint8) ledger {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := nodeLedger{ids: map[string]string{}, reports: map[string][]upstreampb.FinalState{}}
	for ref, id := range b.ids {
		if mid, err := message.ParseID(id); err == nil && mid.Node() == n {
			v.ids[ref] = id
		}
	}
	for id, rs := range b.reports {
		v.reports[id] = append([]upstreampb.FinalState(nil), rs...)
	}
	return v
}

type nodeLedger struct {
	ids     map[string]string
	reports map[string][]upstreampb.FinalState
}

func (v nodeLedger) acked() map[string]string                    { return v.ids }
func (v nodeLedger) Reports() map[string][]upstreampb.FinalState { return v.reports }

// handsetCopies is counted over the whole run (recipientCopies): the
// bench's texts are alike, its recipients one per message.
func (nodeLedger) handsetCopies([]*Carrier) (dups, most int) { return 0, 0 }

// recipientCopies counts the carriers' submits to one recipient beyond
// the first, and the most to one: relaybench gives each message its own
// recipient.
func recipientCopies(carriers []*Carrier) (dups, most int) {
	copies := map[string]int{}
	for _, c := range carriers {
		for _, s := range c.Submitted() {
			copies[s.SM.Dest.Addr]++
		}
	}
	for _, n := range copies {
		dups += n - 1
		most = max(most, n)
	}
	return dups, most
}
