package relay

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
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
	s, err := smpp.Dial(smpp.Config{Addr: h.d.SMPPAddr(), SystemID: "shop", Password: "shoppass",
		OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
			mu.Lock()
			receipts = append(receipts, d)
			mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		t.Fatal(err)
	}
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
	certFile, keyFile, pool := writeCert(t, t.TempDir())
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
