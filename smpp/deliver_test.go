package smpp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestDeliverRespOnlyAfterHandlerAccepts(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	release := make(chan error)
	got := make(chan *pdu.DeliverSM, 4)
	cfg.OnDeliver = func(ctx context.Context, d *pdu.DeliverSM) error {
		got <- d
		select {
		case err := <-release:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s := newSession(t, cfg)
	m := sm(1)
	m.RegisteredDelivery = 1
	r, err := s.Submit(ctxT(t, 30*time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	var d *pdu.DeliverSM
	select {
	case d = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no receipt reached the handler")
	}
	if id, _ := d.TLVs.ReceiptedMessageID(); id != r.MessageID || d.ESMClass&0x3C != 0x04 {
		t.Fatalf("receipt for %q (esm %#x), want %q", id, d.ESMClass, r.MessageID)
	}
	// The handler holds the receipt: no deliver_sm_resp may have gone out.
	// A submit round trip flushes anything the session wrote before the
	// handler was called (the writer keeps order, and so does the server).
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(2)); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.DeliverAcks+st.DeliverNacks != 0 {
		t.Fatalf("deliver_sm_resp sent before the handler returned: %+v", st)
	}
	release <- nil
	waitFor(t, 30*time.Second, "deliver_sm_resp", func() bool { return srv.Stats().DeliverAcks == 1 })

	// A handler error answers with an error status, so the SMSC redelivers.
	if _, err := s.Submit(ctxT(t, 30*time.Second), m); err != nil {
		t.Fatal(err)
	}
	<-got
	release <- errors.New("store unavailable")
	waitFor(t, 30*time.Second, "deliver_sm_resp with error", func() bool { return srv.Stats().DeliverNacks == 1 })
}

func TestTxRxReceiptsOnReceiver(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	cfg.Mode = smpp.BindTxRx
	got := receiptIDs(&cfg, 8)
	s := newSession(t, cfg)
	if now, _ := srv.OpenSockets("relay"); now != 2 {
		t.Fatalf("open sockets = %d, want 2", now)
	}
	wantReceipt(t, got, submitForReceipt(t, s))
}

// receiptIDs makes cfg's handler accept every deliver_sm and pass on its
// receipted message id.
func receiptIDs(cfg *smpp.Config, buffer int) <-chan string {
	got := make(chan string, buffer)
	cfg.OnDeliver = func(ctx context.Context, d *pdu.DeliverSM) error {
		id, _ := d.TLVs.ReceiptedMessageID()
		got <- id
		return nil
	}
	return got
}

// submitForReceipt submits one message asking for a receipt and returns
// its message id.
func submitForReceipt(t *testing.T, s *smpp.Session) string {
	t.Helper()
	m := sm(1)
	m.RegisteredDelivery = 1
	r, err := s.Submit(ctxT(t, 30*time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	return r.MessageID
}

func wantReceipt(t *testing.T, got <-chan string, msgID string) {
	t.Helper()
	select {
	case id := <-got:
		if id != msgID {
			t.Fatalf("receipt for %q, want %q", id, msgID)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no receipt for %q", msgID)
	}
}

func TestReceiptBeforeSubmitResp(t *testing.T) {
	srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{ReceiptBeforeResp: true, DuplicateReceipts: true}})
	cfg := fastConfig(srv.Addr())
	got := receiptIDs(&cfg, 4)
	s := newSession(t, cfg)
	id := submitForReceipt(t, s)
	for range 2 { // the duplicate reaches the handler too: the relay dedups
		wantReceipt(t, got, id)
	}
	waitFor(t, 30*time.Second, "two deliver_sm_resp", func() bool { return srv.Stats().DeliverAcks == 2 })
}

func TestFullHandlerQueueRefusesWithoutStallingSubmits(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	cfg.HandlerWorkers, cfg.HandlerQueue = 1, 1
	release := make(chan struct{})
	cfg.OnDeliver = func(ctx context.Context, d *pdu.DeliverSM) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	s := newSession(t, cfg)
	m := sm(1)
	m.RegisteredDelivery = 1
	for range 5 { // receipts 3..5 find worker and queue taken
		if _, err := s.Submit(ctxT(t, 30*time.Second), m); err != nil {
			t.Fatalf("submit while handlers are stuck: %v", err)
		}
	}
	// Deadlines are generous: the whole suite shares two cores under -race.
	waitFor(t, 30*time.Second, "refused receipts", func() bool { return srv.Stats().DeliverNacks == 3 })
	close(release)
	waitFor(t, 30*time.Second, "accepted receipts", func() bool { return srv.Stats().DeliverAcks == 2 })
	if v := metricValue(t, s, "relay_smpp_deliver_sm_refused_busy_total"); v != 3 {
		t.Fatalf("refused counter = %v", v)
	}
}

// With OnDeliverBatch a worker hands over every deliver_sm waiting when it
// takes one, and answers each by its own error.
func TestDeliverBatchTakesWhatWaits(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	cfg.HandlerWorkers = 1
	release := make(chan struct{})
	batches := make(chan []string, 8)
	cfg.OnDeliverBatch = func(ctx context.Context, ds []*pdu.DeliverSM, errs []error) {
		var ids []string
		for i, d := range ds {
			id, _ := d.TLVs.ReceiptedMessageID()
			ids = append(ids, id)
			if i == 1 {
				errs[i] = errors.New("store unavailable")
			}
		}
		batches <- ids
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	s := newSession(t, cfg)
	submit := func(n int) {
		t.Helper()
		for i := range n {
			m := sm(i)
			m.RegisteredDelivery = 1
			if _, err := s.Submit(ctxT(t, 30*time.Second), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	submit(1)
	select {
	case ids := <-batches: // the lone worker now holds it
		if len(ids) != 1 {
			t.Fatalf("first batch %v", ids)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no receipt reached the handler")
	}
	submit(4)
	// The server writes each receipt right after its submit_sm_resp, and
	// the reader queues a deliver_sm before it reads on: the answer to a
	// submit after them shows the four wait in the queue.
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(9)); err != nil {
		t.Fatal(err)
	}
	release <- struct{}{}
	select {
	case ids := <-batches:
		if len(ids) != 4 {
			t.Fatalf("second batch %v, want the 4 that waited", ids)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no second batch")
	}
	close(release)
	// The refusal was the second batch's second receipt.
	waitFor(t, 30*time.Second, "deliver_sm_resp", func() bool {
		st := srv.Stats()
		return st.DeliverAcks == 4 && st.DeliverNacks == 1
	})
}
