package cluster_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

const (
	merchantPhone = "01099990000"
	buyerPhone    = "01088887777"
)

// withPayments gives every node the payment system "pg", one merchant
// "mall" subscribed to payment AlimTalk (a card approval makes two
// messages: one to the merchant, one to the buyer) and one simulated Kakao
// server shared by the nodes, which it returns too. The merchant is a
// customer of its own, so the other scenarios' counts of shop's SMS are
// not touched.
func withPayments(t *testing.T) (func(i int, cfg *relay.Config), *kakaotest.Server) {
	ks, err := kakaotest.NewServer(kakaotest.Config{ClientID: "relay", ClientSecret: "kakao-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ks.Close)
	tune := func(i int, cfg *relay.Config) {
		hash := cfg.Customers[0].SecretHash
		cfg.Customers = append(cfg.Customers,
			customer.Config{ID: "pg", Name: "Payment system", SecretHash: hash, Products: []string{"payment_alimtalk"}, Rate: 100000},
			customer.Config{ID: "mall", Name: "Mall", SecretHash: hash, Products: []string{"payment_alimtalk", "sms", "lms"},
				Senders: []string{"0212340000"}, SenderKeys: []string{"key-mall"}, Rate: 100000})
		cfg.PaymentSource = "pg"
		tpl := func(a payment.Audience, text string) payment.Template {
			return payment.Template{Audience: a, Notice: payment.NoticeApproval, Code: "PAY_" + string(a), Text: text}
		}
		sub := payment.Subscription{MID: "mall_mid", Customer: "mall", SenderKey: "key-mall",
			Merchant:  payment.MerchantAudience{Events: []payment.Notice{payment.NoticeApproval}, Recipients: []string{merchantPhone}},
			Buyer:     payment.BuyerAudience{Events: []payment.Notice{payment.NoticeApproval}},
			Templates: []payment.Template{tpl(payment.AudienceMerchant, "[승인] #{order_name} #{amount}"), tpl(payment.AudienceBuyer, "#{order_name} 결제 완료 #{amount}")}}
		cfg.Payments = []payment.Subscription{sub}
		for _, tp := range sub.Templates {
			cfg.Templates = append(cfg.Templates, templates.Template{SenderKey: "key-mall", Code: tp.Code, Text: tp.Text})
		}
		cfg.Kakao = dispatch.KakaoConfig{BaseURL: ks.URL(), ClientID: "relay", ClientSecret: "kakao-secret",
			MaxConns: 4, RequestTimeout: 10 * time.Second, PollEvery: time.Hour}
	}
	return tune, ks
}

// approval is a card approval of 12,300원 with event id id.
func approval(id string) *upstreampb.PaymentEvent {
	return &upstreampb.PaymentEvent{EventId: id, Mid: "mall_mid", Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED,
		Method: upstreampb.PaymentMethod_CARD, Amount: 12300, OrderId: "order-" + id, OrderName: "겨울 코트",
		BuyerNumber: buyerPhone, TimeMs: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).UnixMilli()}
}

// dialPG opens one upstream connection of the payment system to each node.
func (w *world) dialPG(ctx context.Context) []*client.Client {
	w.t.Helper()
	var conns []*client.Client
	for _, d := range w.nodes {
		c, err := client.Dial(ctx, d.UpstreamAddr(), client.Options{Customer: "pg", Secret: secret, ClientName: "pg-test"})
		if err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	return conns
}

// postUntilAnswered sends ev until it is answered OK, new or duplicate
// (see untilAnswered).
func postUntilAnswered(ctx context.Context, t *testing.T, c *client.Client, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	return untilAnswered(t, "event "+ev.EventId, func() (*upstreampb.PaymentEventResp, error) { return c.PaymentEvent(ctx, ev) })
}

// paymentEventsAcrossNodes: a payment event the payment system posts to
// node 1 and then again to node 2 and node 3 (its first node timed out, or
// it spreads its connections) makes its messages once; every repeat is
// answered as the duplicate a repeat on one node gets, with the first
// message ids. One new event posted to the three nodes at once makes its
// messages once too, and every node answers it with the same ids.
func paymentEventsAcrossNodes(w *world) {
	t := w.t
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := w.dialPG(ctx)
	accepted := w.accepted()

	first := postUntilAnswered(ctx, t, pg[0], approval("pay-1"))
	if first == nil {
		t.FailNow()
	}
	if first.Duplicate || len(first.MessageIds) != 2 {
		t.Fatalf("event on node 1: %v, want two new messages", first)
	}
	for i := 1; i < 3; i++ {
		again := postUntilAnswered(ctx, t, pg[i], approval("pay-1"))
		if again == nil {
			t.FailNow()
		}
		if !again.Duplicate || !slices.Equal(again.MessageIds, first.MessageIds) {
			t.Errorf("the same event on node %d: duplicate %v ids %v, want duplicate ids %v", i+1, again.Duplicate, again.MessageIds, first.MessageIds)
		}
	}
	// The node that accepted it answers from its store.
	if again := postUntilAnswered(ctx, t, pg[0], approval("pay-1")); again != nil &&
		(!again.Duplicate || !slices.Equal(again.MessageIds, first.MessageIds)) {
		t.Errorf("the same event on node 1 again: %v, want duplicate ids %v", again, first.MessageIds)
	}
	if got := w.accepted() - accepted; got != 2 {
		t.Errorf("one event posted to three nodes: %d messages accepted, want 2", got)
	}

	// One new event on every node at once.
	for round := range 3 {
		ev := "pay-race-" + strconv.Itoa(round)
		answers := make([]*upstreampb.PaymentEventResp, 3)
		var wg sync.WaitGroup
		for i := range pg {
			wg.Go(func() { answers[i] = postUntilAnswered(ctx, t, pg[i], approval(ev)) })
		}
		wg.Wait()
		fresh := 0
		for i, a := range answers {
			if a == nil {
				t.FailNow()
			}
			if !a.Duplicate {
				fresh++
			}
			if !slices.Equal(a.MessageIds, answers[0].MessageIds) || len(a.MessageIds) != 2 {
				t.Errorf("%s on three nodes at once: node %d answered ids %v, node 1 %v", ev, i+1, a.MessageIds, answers[0].MessageIds)
			}
		}
		// Usually one answer is new and two are duplicates. The nodes may
		// also split the event's messages, each storing the one it claimed
		// first and answering STORE_UNAVAILABLE for the other: then every
		// answer that follows is a duplicate.
		if fresh > 1 {
			t.Errorf("%s on three nodes at once: %d answers not duplicates, want at most 1", ev, fresh)
		}
	}
	if got := w.accepted() - accepted; got != 2+3*2 {
		t.Errorf("four events posted to three nodes: %d messages accepted, want 8", got)
	}
}

// postOnce sends ev once to node i on a connection of its own and returns
// the answer.
func (w *world) postOnce(i int, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, w.nodes[i].UpstreamAddr(), client.Options{Customer: "pg", Secret: secret, ClientName: "pg-test"})
	if err != nil {
		w.t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.PaymentEvent(ctx, ev)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

// paymentsWithoutQuorum runs while node 1 is alone, without a NATS quorum:
// a new payment event is answered STORE_UNAVAILABLE (retry later), never
// accepted blindly; an event node 1 accepted before (acceptedIDs) is still
// answered by its store as a duplicate.
func paymentsWithoutQuorum(w *world, acceptedEvent string, acceptedIDs []string) {
	t := w.t
	before := w.accepted()
	if r := w.postOnce(0, approval(acceptedEvent)); r.Status != upstreampb.Status_OK || !r.Duplicate || !slices.Equal(r.MessageIds, acceptedIDs) {
		t.Errorf("an event node 1 accepted, again without a quorum: %v, want a duplicate of %v", r, acceptedIDs)
	}
	r := w.postOnce(0, approval("pay-no-quorum"))
	if r.Status != upstreampb.Status_STORE_UNAVAILABLE || len(r.MessageIds) != 0 {
		t.Errorf("a new event without a quorum: %v, want STORE_UNAVAILABLE", r)
	}
	if got := w.accepted() - before; got != 0 {
		t.Errorf("without a quorum node 1 accepted %d payment messages", got)
	}
}
