package cluster_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/upstream/upstreamtest"
)

// unavailable is a node that takes the payment system's bind and answers
// every payment event STORE_UNAVAILABLE, as a node without its store or
// without a quorum does.
type unavailable struct{ *upstreamtest.MemHandler }

func (unavailable) PaymentEvent(context.Context, upstream.Session, *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	return &upstreampb.PaymentEventResp{Status: upstreampb.Status_STORE_UNAVAILABLE, Reason: "STORE_UNAVAILABLE: test"}
}

// paymentEventsThroughMulti: the payment system's Multi client of a node
// that is down, a node answering STORE_UNAVAILABLE and the three nodes
// sends each event to a live node, and again to another while the answer
// is worth a retry. Every event makes the messages of one event, however
// many nodes it went to; sent again, it is a duplicate with the same ids.
func paymentEventsThroughMulti(w *world) {
	t := w.t
	h := upstreamtest.NewMemHandler()
	h.AddCustomer("pg", secret)
	refusing := upstreamtest.NewServer(upstream.Config{}, unavailable{h})
	defer refusing.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there: a node that is down
	addrs := []string{down, refusing.Addr}
	for _, d := range w.nodes {
		addrs = append(addrs, d.UpstreamAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := client.DialMulti(ctx, strings.Join(addrs, ","), client.Options{Customer: "pg", Secret: secret, ClientName: "pg-multi"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := w.accepted()
	const n = 6
	first := map[string][]string{}
	for round := range 2 {
		for i := range n {
			id := "pay-multi-" + strconv.Itoa(i)
			var r *upstreampb.PaymentEventResp
			for r == nil || r.Status == upstreampb.Status_STORE_UNAVAILABLE {
				if r != nil {
					time.Sleep(50 * time.Millisecond) // a pause between tries, not synchronisation
				}
				if r, err = m.PaymentEvent(ctx, approval(id)); err != nil {
					t.Fatalf("event %s: %v", id, err)
				}
			}
			switch {
			case r.Status != upstreampb.Status_OK || len(r.MessageIds) != 2:
				t.Errorf("event %s: %v, want two messages", id, r)
			case round == 0:
				first[id] = r.MessageIds
			case !r.Duplicate || !slices.Equal(r.MessageIds, first[id]):
				t.Errorf("event %s again: %v, want a duplicate of %v", id, r, first[id])
			}
		}
	}
	if got := w.accepted() - before; got != 2*n {
		t.Errorf("%d events sent twice through the Multi: %d messages accepted, want %d", n, got, 2*n)
	}
}
