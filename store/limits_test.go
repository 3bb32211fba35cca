package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestOverLongFieldsRefusedForGood: a field longer than the store keeps is
// refused on acceptance and on every later write, with an error that says
// so (ErrInvalid, a *message.FieldError naming the field), never one that
// reads as a store failure; nothing is written, and the store stays whole.
func TestOverLongFieldsRefusedForGood(t *testing.T) {
	s := openTest(t, nil, newClock())
	defer s.Close()
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		field string
		mod   func(m *message.Message)
	}{
		{"client_ref", func(m *message.Message) { m.ClientRef = long(message.MaxIndexed + 1) }},
		{"recipient", func(m *message.Message) { m.Recipient = long(message.MaxIndexed + 1) }},
		{"text", func(m *message.Message) { m.Text = long(message.MaxField + 1) }},
		{"buttons", func(m *message.Message) { m.Kakao.Buttons = long(message.MaxField + 1) }},
	} {
		m := sms("c1", "over-"+c.field)
		c.mod(m)
		_, _, err := s.Accept(ctx, m)
		checkFieldError(t, "Accept", err, c.field)
		out := make([]Accepted, 2)
		_ = s.AcceptBatch(ctx, []*message.Message{m, sms("c1", "beside-"+c.field)}, out)
		checkFieldError(t, "AcceptBatch", out[0].Err, c.field)
		if out[1].Err != nil {
			t.Errorf("%s: the message beside the over-long one: %v", c.field, out[1].Err)
		}
	}
	// A carrier message id the index cannot key is refused with the write
	// that would record it.
	id := mustAccept(t, s, sms("c1", "leg"))
	err := s.Advance(ctx, id, message.StateAccepted, []message.State{message.StateQueued, message.StateSending, message.StateSent},
		func(r *message.Message) { r.Carrier, r.CarrierMsgID, r.SentAt = "skt", long(300), time.Now() })
	checkFieldError(t, "Advance", err, "carrier_msg_id")
	if m, err := s.Get(id); err != nil || m.State != message.StateAccepted {
		t.Fatalf("after the refused write: %+v %v", m, err)
	}
	mustVerify(t, s)
}

func checkFieldError(t *testing.T, op string, err error, field string) {
	t.Helper()
	var fe *message.FieldError
	switch {
	case !errors.Is(err, ErrInvalid) || !errors.Is(err, message.ErrTooLong):
		t.Errorf("%s with an over-long %s: %v, want ErrInvalid and message.ErrTooLong", op, field, err)
	case !errors.As(err, &fe) || fe.Field != field:
		t.Errorf("%s: %v names the wrong field, want %s", op, err, field)
	case errors.Is(err, ErrFailed) || errors.Is(err, ErrAborted):
		t.Errorf("%s: %v reads as a store failure", op, err)
	}
}
