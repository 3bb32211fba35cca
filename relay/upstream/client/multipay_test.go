package client_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/upstream/upstreamtest"
)

// events is what the nodes of a cluster share of payment events: an event
// stored once, by its id, whichever node took it (the relay's shared
// client references). Each event makes two messages.
type events struct {
	mu     sync.Mutex
	stored map[string][]string
	made   int // messages made
}

// node is one relay node taking payment events into the shared events.
// refuse, when set, answers every event so without storing it; cut is
// called, when set, after the event is stored and before it is answered:
// the node dies there.
type node struct {
	*upstreamtest.MemHandler
	ev     *events
	refuse upstreampb.Status
	cut    func()
	seen   int
	mu     sync.Mutex
}

func newNode(ev *events) *node {
	h := upstreamtest.NewMemHandler()
	h.AddCustomer("pg", "pg-secret")
	return &node{MemHandler: h, ev: ev}
}

func (n *node) PaymentEvent(ctx context.Context, _ upstream.Session, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	n.mu.Lock()
	n.seen++
	n.mu.Unlock()
	if n.refuse != upstreampb.Status_STATUS_UNSPECIFIED {
		return &upstreampb.PaymentEventResp{Status: n.refuse, Reason: n.refuse.String()}
	}
	n.ev.mu.Lock()
	ids, dup := n.ev.stored[ev.EventId]
	if !dup {
		for k := range 2 {
			ids = append(ids, ev.EventId+"/"+strconv.Itoa(k))
		}
		n.ev.stored[ev.EventId] = ids
		n.ev.made += len(ids)
	}
	n.ev.mu.Unlock()
	if n.cut != nil {
		n.cut()
		<-ctx.Done()
		return nil
	}
	return &upstreampb.PaymentEventResp{Status: upstreampb.Status_OK, Duplicate: dup, MessageIds: ids}
}

func (n *node) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.seen
}

// TestMultiPaymentEvent: a Multi sends a payment event to any live node,
// and again to another when the answer is worth a retry or the
// connection fails before the answer. Each event is taken once: the
// messages of one event, every answer with its ids.
func TestMultiPaymentEvent(t *testing.T) {
	ev := &events{stored: map[string][]string{}}
	unavailable, good, dying := newNode(ev), newNode(ev), newNode(ev)
	unavailable.refuse = upstreampb.Status_STORE_UNAVAILABLE
	a := upstreamtest.NewServer(upstream.Config{}, unavailable)
	defer a.Close()
	b := upstreamtest.NewServer(upstream.Config{}, good)
	closeB := sync.OnceFunc(b.Close)
	defer closeB()
	c := upstreamtest.NewServer(upstream.Config{}, dying)
	var once sync.Once
	dying.cut = func() {
		once.Do(func() {
			go func() {
				// The handler never answers: its connection is cut.
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				_ = c.CloseContext(ctx)
			}()
		})
	}
	down := newGate(t, b.Addr) // a node that is down
	defer down.close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := client.DialMulti(ctx, down.ln.Addr().String()+","+a.Addr+","+b.Addr+","+c.Addr,
		client.Options{Customer: "pg", Secret: "pg-secret", PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 12
	for i := range n {
		id := "pay-" + strconv.Itoa(i)
		r, err := m.PaymentEvent(ctx, &upstreampb.PaymentEvent{EventId: id, Mid: "mall"})
		if err != nil || r.Status != upstreampb.Status_OK {
			t.Fatalf("event %s: %v %v (seen: refusing %d, good %d, dying %d; %d live)", id, r, err, unavailable.count(), good.count(), dying.count(), m.Live())
		}
		if want := []string{id + "/0", id + "/1"}; !slices.Equal(r.MessageIds, want) {
			t.Errorf("event %s answered ids %v, want %v", id, r.MessageIds, want)
		}
	}
	ev.mu.Lock()
	made := ev.made
	ev.mu.Unlock()
	if made != 2*n {
		t.Errorf("%d events made %d messages, want %d", n, made, 2*n)
	}
	if unavailable.count() == 0 || dying.count() != 1 {
		t.Errorf("the node answering STORE_UNAVAILABLE saw %d events, the one dying %d: want some, and 1", unavailable.count(), dying.count())
	}

	// With only the node answering STORE_UNAVAILABLE live, its answer is
	// the Multi's: the caller tries later.
	closeB()
	waitFor(t, "only the refusing node live", func() bool { return m.Live() == 1 })
	r, err := m.PaymentEvent(ctx, &upstreampb.PaymentEvent{EventId: "pay-later", Mid: "mall"})
	if err != nil || r.Status != upstreampb.Status_STORE_UNAVAILABLE {
		t.Errorf("with no node taking it: %v %v, want STORE_UNAVAILABLE", r, err)
	}
}
