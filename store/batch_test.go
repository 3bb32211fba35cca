package store

import (
	"context"
	"errors"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

func TestAcceptBatch(t *testing.T) {
	s := openTest(t, nil, newClock())
	defer s.Close()
	first := mustAccept(t, s, sms("c1", "old"))
	ms := []*message.Message{
		sms("c1", "a"), sms("c1", "old"), sms("c1", "a"), {Customer: "c1"}, sms("c1", "b"),
	}
	out := make([]Accepted, len(ms))
	if err := s.AcceptBatch(context.Background(), ms, out); err != nil {
		t.Fatal(err)
	}
	switch {
	case out[0].Err != nil || out[0].Dup:
		t.Fatalf("new: %+v", out[0])
	case out[1].ID != first || !out[1].Dup:
		t.Fatalf("resubmitted: %+v", out[1])
	case out[2].ID != out[0].ID || !out[2].Dup:
		t.Fatalf("repeated inside the batch: %+v", out[2])
	case !errors.Is(out[3].Err, ErrInvalid):
		t.Fatalf("invalid: %+v", out[3])
	case out[4].Err != nil || out[4].ID == out[0].ID:
		t.Fatalf("second new: %+v", out[4])
	}
	mustVerify(t, s)
}
