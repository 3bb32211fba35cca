package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

var toSentPath = []message.State{message.StateQueued, message.StateSending, message.StateSent}

// Advance moves a message through several states in one batch, checks the
// whole path before writing, and refuses when the message is not where the
// caller last saw it.
func TestAdvance(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()

	id := mustAccept(t, s, sms("c1", "adv-1"))
	before, _ := s.Get(id)
	// Wrong starting state, and an illegal step: nothing is written.
	if err := s.Advance(ctx, id, message.StateQueued, toSentPath[1:], nil); !errors.Is(err, message.ErrIllegalTransition) {
		t.Fatalf("from the wrong state: %v", err)
	}
	bad := []message.State{message.StateQueued, message.StateSent}
	if err := s.Advance(ctx, id, message.StateAccepted, bad, nil); !errors.Is(err, message.ErrIllegalTransition) {
		t.Fatalf("queued → sent: %v", err)
	}
	if after, _ := s.Get(id); *after != *before {
		t.Fatalf("a refused Advance changed the record:\n%+v\n%+v", before, after)
	}

	err := s.Advance(ctx, id, message.StateAccepted, toSentPath, func(m *message.Message) {
		m.Carrier, m.CarrierMsgID, m.SentAt = "skt", "A1", c.Now()
	})
	if err != nil {
		t.Fatalf("accepted → sent: %v", err)
	}
	m, _ := s.Get(id)
	if m.State != message.StateSent || m.Attempts != 1 || m.CarrierMsgID != "A1" {
		t.Fatalf("after Advance: %+v", m)
	}
	// The receipt index and deadline were written as for RecordSubmitResp.
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "A1", Delivered: true, Final: true}); err != nil || out != OutcomeApplied {
		t.Fatalf("receipt after Advance: %v %v", out, err)
	}

	// A receipt parked before the id is recorded, but after the submit_sm
	// went out, is applied in the same batch.
	id2 := mustAccept(t, s, sms("c1", "adv-2"))
	sentAt := c.Now()
	c.Add(time.Second)
	if out, _ := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "A2", Delivered: true, Final: true}); out != OutcomeParked {
		t.Fatalf("early receipt: %v", out)
	}
	err = s.Advance(ctx, id2, message.StateAccepted, toSentPath, func(m *message.Message) {
		m.Carrier, m.CarrierMsgID, m.SentAt = "skt", "A2", sentAt
	})
	if m, _ := s.Get(id2); err != nil || m.State != message.StateDelivered {
		t.Fatalf("Advance onto a parked receipt: %v %v, want delivered", m.State, err)
	}
	if counts, _ := s.MonthCounts("c1", billingMonth(c.Now())); counts[message.ProductSMS] != 2 {
		t.Fatalf("billed %v, want 2 SMS", counts)
	}
}
