package relay

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/internal/testcert"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

func withSMPPServer(su *setup) {
	su.cfg.SMPPServer.Listen = "127.0.0.1:0"
	h, err := customer.HashSecret("shoppass", customer.MinIterations)
	if err != nil {
		panic(err)
	}
	su.cfg.Customers[0].SMPPPasswordHash = h
}

// TestSMPPIngress: an ESME binds to the daemon's SMPP server and sends a
// Korean SMS in UCS2; it goes through the same intake and carriers as the
// upstream protocol, is billed once, and its receipt comes back on the
// bind. A report of a message that came by the upstream protocol stays in
// the outbox for it.
func TestSMPPIngress(t *testing.T) {
	h := newHarness(t, withSMPPServer)
	u := h.connect("shop")
	r := h.submit(u, sms("up-1", "upstream message"))
	if r.Status != upstreampb.Status_OK {
		t.Fatal(r.Status)
	}
	u.Close() // its report waits in the outbox
	upID, _ := message.ParseID(r.MessageId)
	h.waitFor("the upstream message's report", func() bool {
		rs, err := h.d.Store().Reports("shop", 0, 10)
		return err == nil && len(rs) == 1 && rs[0].ID == upID
	})

	var mu sync.Mutex
	var receipts []*pdu.DeliverSM
	s := h.bindESME(smpp.Config{OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
		mu.Lock()
		receipts = append(receipts, d)
		mu.Unlock()
		return nil
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, _ := coding.UCS2.Encode("주문하신 상품이 발송되었습니다")
	resp, err := s.Submit(ctx, &pdu.SubmitSM{
		Source: pdu.Address{TON: 2, NPI: 1, Addr: "0212345678"}, Dest: pdu.Address{TON: 1, NPI: 1, Addr: "821098765432"},
		DataCoding: 0x08, ShortMessage: text, RegisteredDelivery: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the receipt", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(receipts) > 0
	})
	mu.Lock()
	got := receipts[0]
	mu.Unlock()
	if id, _ := got.TLVs.ReceiptedMessageID(); id != resp.MessageID {
		t.Fatalf("receipt for %q, want %q", id, resp.MessageID)
	}
	if st, _ := got.TLVs.MessageState(); st != pdu.StateDelivered {
		t.Fatalf("message_state %v", st)
	}
	id, _ := message.ParseID(resp.MessageID)
	m, err := h.d.Store().Get(id)
	if err != nil || m.Ingress != message.IngressSMPP || m.Billed != message.ProductSMS || m.Recipient != "01098765432" {
		t.Fatalf("stored %+v %v", m, err)
	}
	if len(h.carrierSubmits()) != 2 {
		t.Fatalf("%d carrier submits, want 2", len(h.carrierSubmits()))
	}
	h.waitFor("the SMPP receipt acknowledged", func() bool {
		rs, err := h.d.Store().Reports("shop", 0, 10)
		return err == nil && len(rs) == 1 && rs[0].ID == upID
	})
	mu.Lock()
	defer mu.Unlock()
	if len(receipts) != 1 {
		t.Fatalf("%d receipts on the SMPP bind, want 1", len(receipts))
	}
}

// TestSMPPServerTLS: with a certificate configured the SMPP server speaks
// TLS only: a verified TLS ESME binds and submits; a plain one does not
// bind.
func TestSMPPServerTLS(t *testing.T) {
	certFile, keyFile, pool := testcert.Write(t, t.TempDir())
	h := newHarness(t, withSMPPServer, func(su *setup) {
		su.cfg.SMPPServer.CertFile, su.cfg.SMPPServer.KeyFile = certFile, keyFile
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := smpp.Dial(smpp.Config{SystemID: "shop", Password: "shoppass", FailFast: true,
		Dial: func(ctx context.Context) (net.Conn, error) {
			d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
			return d.DialContext(ctx, "tcp", h.d.SMPPAddr())
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WaitBound(ctx); err != nil {
		t.Fatalf("TLS bind: %v", err)
	}
	if _, err := s.Submit(ctx, &pdu.SubmitSM{Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01098765432"},
		ShortMessage: []byte("over TLS")}); err != nil {
		t.Fatalf("submit over TLS: %v", err)
	}
	plain, err := smpp.Dial(smpp.Config{Addr: h.d.SMPPAddr(), SystemID: "shop", Password: "shoppass",
		ResponseTimeout: 300 * time.Millisecond, ReconnectMin: time.Second, ReconnectMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close(context.Background())
	short, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if err := plain.WaitBound(short); err == nil {
		t.Fatal("a plain-TCP ESME bound to the TLS server")
	}
}

// TestReportsGoBackByTheirIngress: a customer with an upstream connection
// and SMPP binds gets each message's result by the door the message came
// in by: an SMPP message's only as a deliver_sm, even while no receiver is
// bound and the upstream connection is idle, and an upstream message's
// only upstream.
func TestReportsGoBackByTheirIngress(t *testing.T) {
	h := newHarness(t, withSMPPServer)
	u := h.connect("shop")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx := h.bindESME(smpp.Config{Mode: smpp.BindTransmitter})
	resp, err := tx.Submit(ctx, &pdu.SubmitSM{Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01098765432"},
		ShortMessage: []byte("by SMPP"), RegisteredDelivery: 1})
	if err != nil {
		t.Fatal(err)
	}
	smppID, _ := message.ParseID(resp.MessageID)
	up := h.submit(u, sms("up-1", "by the upstream protocol"))
	if up.Status != upstreampb.Status_OK {
		t.Fatal(up.Status)
	}
	h.waitReport(u, up.MessageId)
	h.waitFor("the SMPP message final", func() bool {
		m, err := h.d.Store().Get(smppID)
		return err == nil && m.State.Final()
	})
	// The upstream connection has read the outbox past the SMPP message's
	// report by now: it acknowledged its own report, which came later.
	upID, _ := message.ParseID(up.MessageId)
	h.waitFor("the upstream report acknowledged", func() bool {
		rs, err := h.d.Store().Reports("shop", 0, 10)
		return err == nil && !slices.ContainsFunc(rs, func(r store.Report) bool { return r.ID == upID })
	})
	if n := u.reportCount(resp.MessageID); n != 0 {
		t.Fatalf("the upstream connection got %d reports of the SMPP message", n)
	}
	var mu sync.Mutex
	var receipts []string
	rx, err := smpp.Dial(smpp.Config{Addr: h.d.SMPPAddr(), SystemID: "shop", Password: "shoppass", Mode: smpp.BindReceiver,
		OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
			id, _ := d.TLVs.ReceiptedMessageID()
			mu.Lock()
			receipts = append(receipts, id)
			mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close(context.Background())
	h.waitFor("the SMPP message's receipt", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(receipts) > 0
	})
	h.waitFor("the outbox empty", func() bool {
		rs, err := h.d.Store().Reports("shop", 0, 10)
		return err == nil && len(rs) == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(receipts) != 1 || receipts[0] != resp.MessageID {
		t.Fatalf("receipts on the SMPP bind %q, want only %q", receipts, resp.MessageID)
	}
	if n := u.reportCount(resp.MessageID); n != 0 {
		t.Fatalf("the upstream connection got %d reports of the SMPP message", n)
	}
}
