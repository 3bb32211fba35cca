package store

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// Open and due keys are removed with SingleDelete. Each is set once per
// removal, also when a Kakao leg falls back to SMS and the message waits
// for a result again under the same deadline; nothing may come back after
// the set and its removal land in different tables and are compacted.
func TestOpenAndDueKeysStayRemoved(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "r1"))
	flush := func() {
		t.Helper()
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	sentAt := c.Now()
	steps := []struct {
		to     message.State
		mutate func(*message.Message)
	}{
		{message.StateQueued, nil},
		{message.StateKakaoSending, nil},
		{message.StateKakaoSent, func(m *message.Message) { m.SentAt = sentAt }},
		{message.StateQueued, nil}, // fallback: the due key goes
		{message.StateSending, nil},
		{message.StateSent, func(m *message.Message) { m.Carrier, m.CarrierMsgID = "skt", "M1" }}, // the same due key again
		{message.StateDelivered, nil},
	}
	for _, st := range steps {
		flush()
		if err := s.Transition(ctx, id, st.to, st.mutate); err != nil {
			t.Fatalf("to %s: %v", st.to, err)
		}
	}
	flush()
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	for _, table := range []byte{tOpen, tDue} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: []byte{table + 1}})
		if err != nil {
			t.Fatal(err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			t.Errorf("table %#x still holds %x after delivery and compaction", table, it.Key())
		}
		it.Close()
	}
	st, err := s.Recover(func(m *message.Message) error {
		t.Errorf("recovered delivered message %s", m.ID)
		return nil
	})
	if err != nil || st.Open != 0 {
		t.Fatalf("recover: %+v, %v", st, err)
	}
}
