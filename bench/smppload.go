package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

// smppLoad drives the relay's SMPP server as upstream ESMEs do: Conns
// transceiver binds, Window submit_sm in flight on each (one goroutine per
// slot: the ESME client's Submit answers synchronously), SMS and LMS texts
// in UCS2, product auto. The final results come back as deliver_sm
// receipts on the same binds, matched to messages by the relay's id.
type smppLoad struct {
	*load
	sessions []*smpp.Session

	mu    sync.Mutex
	ids   map[string]int              // relay id → message index
	early map[string]pdu.MessageState // receipts that came before their submit_sm_resp was seen
}

// dialSMPP binds one ESME session per connection.
func dialSMPP(ctx context.Context, c *Config, addr string, creds func(i int) (string, string), l *smppLoad) error {
	for i := range c.Conns {
		id, pw := creds(i)
		s, err := smpp.Dial(smpp.Config{
			Addr: addr, SystemID: id, Password: pw, Mode: smpp.BindTransceiver,
			Window: c.Window, ResponseTimeout: 30 * time.Second, EnquireLinkInterval: time.Minute,
			HandlerWorkers: 2, HandlerQueue: 4096, OnDeliver: l.receipt,
		})
		if err != nil {
			return err
		}
		l.sessions = append(l.sessions, s)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = s.WaitBound(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("bench: SMPP bind %d: %w", i+1, err)
		}
	}
	return nil
}

func (l *smppLoad) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range l.sessions {
		_ = s.Close(ctx)
	}
}

func (l *smppLoad) run(ctx context.Context) {
	if l.cfg.Duration > 0 {
		l.end = time.Now().Add(l.cfg.Duration)
	}
	var wg sync.WaitGroup
	for _, s := range l.sessions {
		for range l.cfg.Window {
			wg.Go(func() { l.sender(ctx, s) })
		}
	}
	wg.Wait()
}

func (l *smppLoad) sender(ctx context.Context, s *smpp.Session) {
	for {
		i, ok := l.take(ctx)
		if !ok {
			return
		}
		sm, err := l.cfg.submitSM(i)
		if err != nil {
			l.t.errors.Add(1)
			continue
		}
		l.t.sent(i)
		l.sent.Add(1)
		r, err := s.Submit(ctx, sm)
		var st pdu.Status
		switch {
		case errors.As(err, &st):
			l.t.refused.Add(1)
		case err != nil:
			l.t.errors.Add(1)
		default:
			l.t.accept(i)
			l.matched(r.MessageID, i)
		}
	}
}

// matched files a submit's id, and counts a receipt that beat it here.
func (l *smppLoad) matched(id string, i int) {
	l.mu.Lock()
	st, early := l.early[id]
	if early {
		delete(l.early, id)
	} else {
		l.ids[id] = i
	}
	l.mu.Unlock()
	if early {
		l.final(i, st)
	}
}

// receipt counts one deliver_sm receipt.
func (l *smppLoad) receipt(_ context.Context, d *pdu.DeliverSM) error {
	id, ok := d.TLVs.ReceiptedMessageID()
	st, ok2 := d.TLVs.MessageState()
	if !ok || !ok2 {
		l.t.foreign.Add(1)
		return nil
	}
	l.mu.Lock()
	i, known := l.ids[id]
	if !known {
		l.early[id] = st
	}
	l.mu.Unlock()
	if known {
		l.final(i, st)
	}
	return nil
}

func (l *smppLoad) final(i int, st pdu.MessageState) {
	state := upstreampb.FinalState_FAILED
	switch st {
	case pdu.StateDelivered:
		state = upstreampb.FinalState_DELIVERED
	case pdu.StateExpired:
		state = upstreampb.FinalState_EXPIRED
	}
	// A receipt names no product: the mix's texts pick it (SMS when it
	// fits 80 bytes, LMS otherwise), and the store's own counters are
	// checked against the delivered count after the run.
	billed := upstreampb.Product_PRODUCT_SMS
	if l.cfg.Mix.total() > 0 && i%l.cfg.Mix.total() >= l.cfg.Mix.SMS {
		billed = upstreampb.Product_PRODUCT_LMS
	}
	l.t.final(i, state, 1, billed)
}

// submitSM is message i of the run as an ESME sends it: UCS2 text, the
// product left to the relay's auto (the LMS text is over the SMS limit).
func (c *Config) submitSM(i int) (*pdu.SubmitSM, error) {
	s := c.message(i, "")
	text, err := coding.UCS2.Encode(s.Text)
	if err != nil {
		return nil, err
	}
	sm := &pdu.SubmitSM{
		Source:     pdu.Address{TON: 2, NPI: 1, Addr: s.Sender},
		Dest:       pdu.Address{TON: 2, NPI: 1, Addr: s.Recipient},
		DataCoding: byte(coding.UCS2), RegisteredDelivery: 1,
	}
	if len(text) <= 254 {
		sm.ShortMessage = text
	} else if err := sm.TLVs.SetMessagePayload(text); err != nil {
		return nil, err
	}
	return sm, nil
}
