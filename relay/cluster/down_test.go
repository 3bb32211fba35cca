package cluster_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// receiptsWaitForTheirNode: receipts for a node that is down wait in
// the stream until it returns; without a NATS quorum they are refused with
// a temporary error, the carrier sends them again, and they are applied
// once the quorum is back. Nothing is lost or billed twice. A payment event
// is refused without a quorum too, unless the node's store has it.
func receiptsWaitForTheirNode(w *world) {
	t := w.t
	month := time.Now().In(seoul).Format("2006-01")
	before, err := w.nodes[1].Store().MonthCounts("shop", month)
	if err != nil {
		t.Fatal(err)
	}

	// Node 2 sends, and stops before the receipts come: they land on
	// node 1 or 3, which keep the quorum, and wait for node 2. The SMSC
	// holds them until node 2 has stopped, however long that takes.
	release := w.hold.close()
	t.Cleanup(release)
	first := w.sendOn(1, 30, "a")
	w.stop(1)
	release()
	w.waitFor("the receipts in the stream", time.Minute, func() bool {
		return w.nodes[0].Cluster().Status().Forwarded+w.nodes[2].Cluster().Status().Forwarded >= 30
	})
	w.start(1)
	w.waitDelivered(1, first)

	// Node 2 sends again; nodes 2 and 3 stop: node 1 alone has no quorum,
	// so it refuses the receipts and the carrier keeps sending them.
	release = w.hold.close()
	t.Cleanup(release)
	second := w.sendOn(1, 30, "b")
	pay := postUntilAnswered(context.Background(), t, w.dialPG(context.Background())[0], approval("pay-before-quorum-lost"))
	w.stop(1)
	w.stop(2)
	release()
	w.waitFor("receipts refused without a quorum", time.Minute, func() bool {
		return w.nodes[0].Cluster().Status().Refused > 0
	})
	// /status says so by its next probe of the stream.
	var s string
	w.waitFor("/status to warn without a quorum", 15*time.Second, func() bool {
		s = w.status(0)
		return strings.Contains(s, "no NATS quorum")
	})
	if pay != nil {
		paymentsWithoutQuorum(w, "pay-before-quorum-lost", pay.MessageIds)
	}
	w.start(1)
	w.start(2)
	w.waitDelivered(1, second)
	// The refused event, sent again to node 1 once the quorum is back, is
	// accepted once, and answered as a duplicate on node 2. (Node 1's claim
	// may have reached the bucket after its answer timed out; it settles it
	// now. Until then node 2 would answer STORE_UNAVAILABLE.)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := w.dialPG(ctx)
	r := postUntilAnswered(ctx, t, pg[0], approval("pay-no-quorum"))
	if r != nil && (r.Duplicate || len(r.MessageIds) != 2) {
		t.Errorf("the refused event again with a quorum, on node 1: %v, want two new messages", r)
	}
	if again := postUntilAnswered(ctx, t, pg[1], approval("pay-no-quorum")); r != nil && again != nil &&
		(!again.Duplicate || !slices.Equal(again.MessageIds, r.MessageIds)) {
		t.Errorf("the refused event again on node 2: %v, want a duplicate of %v", again, r.MessageIds)
	}

	counts, err := w.nodes[1].Store().MonthCounts("shop", month)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[message.ProductSMS] - before[message.ProductSMS]; got != 60 {
		t.Errorf("node 2 billed %d SMS more, want 60", got)
	}
	for i, d := range w.nodes {
		t.Logf("node %d: %+v", i+1, d.Cluster().Status())
	}
}

// gate is the SMSC's clock, real time, except that while it is closed
// nothing the SMSC timed (a receipt's delay, a redelivery) goes out: each
// waits until the gate opens. A test holds receipts with it until the
// nodes they must miss have stopped, whatever the machine's speed.
type gate struct {
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) Now() time.Time { return time.Now() }

func (g *gate) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, func() {
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		<-open
		f()
	}).Stop
}

// close holds what falls due from now until release is called (also at
// the test's end, so the SMSC can close).
func (g *gate) close() (release func()) {
	g.mu.Lock()
	open := make(chan struct{})
	g.open = open
	g.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(open) }) }
	return release
}

// sendOn submits n SMS through node i and returns their ids.
func (w *world) sendOn(i, n int, ref string) []message.ID {
	w.t.Helper()
	ids := w.submitOn(i, n, ref)
	// Sent before the node stops: the receipts then find it gone.
	w.waitFor("the submits answered", time.Minute, func() bool {
		for _, id := range ids {
			m, err := w.nodes[i].Store().Get(id)
			if err != nil || m.State == message.StateAccepted || m.State == message.StateQueued || m.State == message.StateSending {
				return false
			}
		}
		return true
	})
	return ids
}

func (w *world) waitDelivered(i int, ids []message.ID) {
	w.t.Helper()
	w.waitFor("every message delivered", 2*time.Minute, func() bool {
		for _, id := range ids {
			m, err := w.nodes[i].Store().Get(id)
			if err != nil || m.State != message.StateDelivered {
				return false
			}
		}
		return true
	})
}

func (w *world) status(i int) string {
	var b strings.Builder
	resp, err := httpGet("http://" + w.nodes[i].OpsAddr() + "/status?format=json")
	if err != nil {
		return err.Error()
	}
	b.WriteString(resp)
	return b.String()
}
