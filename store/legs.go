package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// legV1 is the version byte of an ended leg's value. Part of the on-disk
// format.
const legV1 = 1

// Leg is a leg of a message that ended without a final result because the
// message moved on to its next leg: the Kakao leg of a message that fell
// back to SMS/LMS, with the Kakao result that made it fall back. The
// current (or last) leg is the message record itself.
type Leg struct {
	N        uint8           // 0: the first leg
	Product  message.Product // what the leg sent
	Result   message.Result  // the result that ended it
	Attempts uint32
	SentAt   time.Time // zero if it never reached the peer
	EndedAt  time.Time
}

// legKey is │0d│ id(8) │ leg(1) │.
func legKey(id message.ID, n uint8) []byte {
	return append(appendID(append(make([]byte, 0, 10), tLegs), id), n)
}

// endedLeg is the leg a move from old to m leaves, if the move starts the
// next leg; the result that ended it is the one the move's mutate set.
func endedLeg(old, m *message.Message, now time.Time) *Leg {
	if m.Leg == old.Leg {
		return nil
	}
	p := old.Product
	if old.Leg > 0 {
		p = old.Billed
	}
	return &Leg{N: old.Leg, Product: p, Result: m.Result, Attempts: old.Attempts, SentAt: old.SentAt, EndedAt: now}
}

func encodeLeg(l *Leg) []byte {
	b := make([]byte, 0, 32+len(l.Result.Code)+len(l.Result.Reason))
	b = append(b, legV1, l.N, byte(l.Product), byte(l.Result.Source))
	b = binary.AppendUvarint(b, uint64(l.Attempts))
	b = appendTime(b, l.SentAt)
	b = appendTime(b, l.EndedAt)
	b = appendField(b, l.Result.Code)
	return appendField(b, l.Result.Reason)
}

func decodeLeg(v []byte) (Leg, error) {
	d := decoder{b: v}
	var l Leg
	if d.byte1() != legV1 {
		return l, fmt.Errorf("leg version: %w", ErrCorrupt)
	}
	l.N, l.Product, l.Result.Source = d.byte1(), message.Product(d.byte1()), message.Source(d.byte1())
	l.Attempts = uint32(d.uvarint())
	l.SentAt, l.EndedAt = d.time(), d.time()
	l.Result.Code, l.Result.Reason = d.str(), d.str()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return l, d.err
}

// Legs returns the ended legs of a message, first first; none for a
// message that never changed legs.
func (s *Store) Legs(id message.ID) ([]Leg, error) {
	prefix := appendID([]byte{tLegs}, id)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	var out []Leg
	for ok := it.First(); ok; ok = it.Next() {
		l, err := decodeLeg(it.Value())
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("leg %x: %w", it.Key(), err)
		}
		out = append(out, l)
	}
	return out, it.Close()
}
